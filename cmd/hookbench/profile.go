package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// fetchProfile fetches a profile of Caddy from its admin endpoint
// (/debug/pprof/<kind>, "profile" for CPU, "allocs" for allocations)
// covering d, starting after wait, and writes it to path. Errors are
// reported on stderr: a missing profile spoils no result.
func fetchProfile(ctx context.Context, adminAddr, kind string, wait, d time.Duration, path string) {
	select {
	case <-time.After(wait):
	case <-ctx.Done():
		return
	}
	secs := max(1, int(d.Seconds()))
	url := fmt.Sprintf("http://%s/debug/pprof/%s?seconds=%d", adminAddr, kind, secs)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return
	}
	client := &http.Client{Timeout: d + 30*time.Second}
	resp, err := client.Do(req)
	if err != nil {
		fmt.Fprintf(os.Stderr, "hookbench: profile: %v\n", err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(os.Stderr, "hookbench: profile: %s\n", resp.Status)
		return
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		fmt.Fprintf(os.Stderr, "hookbench: profile: %v\n", err)
		return
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "hookbench: profile: %v\n", err)
		return
	}
	defer f.Close()
	if _, err := io.Copy(f, resp.Body); err != nil {
		fmt.Fprintf(os.Stderr, "hookbench: profile: %v\n", err)
	}
}
