package main

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

func TestPprofOnLoopbackOnly(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	if _, err := servePprof("0.0.0.0:0", logger); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("servePprof on every interface: err %v, want a refusal", err)
	}
	var buf strings.Builder
	stop, err := servePprof("127.0.0.1:0", slog.New(slog.NewTextHandler(&buf, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	_, url, _ := strings.Cut(buf.String(), "url=")
	url = strings.TrimSpace(url)
	resp, err := http.Get(url + "goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "goroutine profile") {
		t.Fatalf("GET %sgoroutine: %d %.100s", url, resp.StatusCode, body)
	}
}
