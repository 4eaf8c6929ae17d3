// Command receiver is an example upstream app for Hookgate: it logs every
// webhook it receives and can be told to be slow or to fail, to watch
// Hookgate's retries and dead-letter queue at work.
//
//	go run ./examples/receiver -addr 127.0.0.1:9000 -delay 2s -fail 3
package main

import (
	"flag"
	"io"
	"log"
	"net/http"
	"sync/atomic"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "listen address")
	delay := flag.Duration("delay", 0, "wait this long before answering each request")
	fail := flag.Int("fail", 0, "answer the first N requests with -status")
	status := flag.Int("status", http.StatusServiceUnavailable, "status of failed answers")
	flag.Parse()

	var seen atomic.Int64
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "reading body", http.StatusBadRequest)
			return
		}
		n := seen.Add(1)
		time.Sleep(*delay)
		code := http.StatusOK
		if n <= int64(*fail) {
			code = *status
		}
		log.Printf("#%d %s %s webhook-id=%s attempt=%s -> %d\n%s",
			n, r.Method, r.URL.RequestURI(), r.Header.Get("Webhook-Id"), r.Header.Get("Webhook-Attempt"), code, body)
		w.WriteHeader(code)
	})
	log.Printf("example receiver listening on %s (delay %s, failing the first %d with %d)", *addr, *delay, *fail, *status)
	log.Fatal(http.ListenAndServe(*addr, nil))
}
