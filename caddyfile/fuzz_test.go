package caddyfile_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// caddytestInputs returns the Caddyfiles of testdata/*.caddytest: the seeds.
func caddytestInputs(f *testing.F) []string {
	files, err := filepath.Glob("testdata/*.caddytest")
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds: %v", err)
	}
	var out []string
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		input, _, _ := strings.Cut(string(raw), separator)
		out = append(out, input+"\n")
	}
	return out
}

// checkAdapt adapts caddyfile: it may be refused, but must never panic, and
// what it adapts to must be JSON.
func checkAdapt(t *testing.T, caddyfile string) {
	out, err := adapt(caddyfile)
	if err == nil && !json.Valid([]byte(out)) {
		t.Fatalf("adapted to invalid JSON:\n%s", out)
	}
}

// FuzzCaddyfile feeds random Caddyfile text, grown from every golden
// Caddyfile, through the adapter.
func FuzzCaddyfile(f *testing.F) {
	for _, in := range caddytestInputs(f) {
		f.Add(in)
	}
	f.Fuzz(checkAdapt)
}

// FuzzDirectiveBlock fuzzes the inside of the webhooks global option and of
// both directives' blocks, where random text reaches our parsers at once
// rather than dying in Caddy's own site parsing.
func FuzzDirectiveBlock(f *testing.F) {
	for _, seed := range []struct {
		where uint8
		block string
	}{
		{0, "storage embedded /tmp/x\ndead_retention 1h"},
		{0, "storage redis redis://127.0.0.1:6379 {\nkey_prefix a:\nmin_replicas 1\n}"},
		{0, "notify https://ops.example.com {\nretry 1s\nsign standard_webhooks {\nsecret whsec_abc\n}\n}"},
		{1, "verify stripe {\nsecret {env.X}\n}\ndedupe {json.id}\nmax_body 1KiB"},
		{1, "verify hmac {\nheader X-Sig\nalgorithm sha256\nencoding hex\nprefix sha256=\nsecret s\n}\nupstream http://127.0.0.1:9 {\nretry 1s 5s\nconcurrency 2\nrate 5/s burst 2\n}"},
		{1, "ack within 3s\nmax_rate 10/s burst 20\nbad_signatures 20 per 1m block 10m\norder_by {json.k}\nupstream http://x"},
		{2, "name emit\nsign standard_webhooks {\nsecret whsec_abc\n}\nretry 1s\nallow_http\nallow_private 127.0.0.0/8"},
		{2, "event_type {json.type}\nendpoint a https://a.example {\nevents order.*\n}\ndisable_after 5"},
	} {
		f.Add(seed.where, seed.block)
	}
	f.Fuzz(func(t *testing.T, where uint8, block string) {
		var cf string
		switch where % 3 {
		case 0:
			cf = "{\n\twebhooks {\n" + block + "\n\t}\n}\n:8080\n"
		case 1:
			cf = ":8080 {\n\twebhook_inbound {\n" + block + "\n\t}\n}\n"
		default:
			cf = ":8080 {\n\twebhook_outbound https://example.com {\n" + block + "\n\t}\n}\n"
		}
		checkAdapt(t, cf)
	})
}
