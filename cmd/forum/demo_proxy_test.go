package main

import (
	"net/http"
	"strings"
	"testing"

	"forum/commands"
)

// serve with its demo accounts behind a trusted proxy: a sign-in as ada
// that the proxy says comes from another machine, or names no client for,
// is refused; from this machine it is not. A request naming another host
// answers 421.
func TestDemoBehindAProxy(t *testing.T) {
	t.Parallel()
	f := startForum(t, t.TempDir(), "--demo=true", "--trusted-proxies", "127.0.0.1/32")
	signin := func(xff, host string) int {
		req, err := http.NewRequest("POST", "http://"+f.HTTP+"/api/signin", strings.NewReader(`{"login":"ada","password":"`+commands.DemoPassword+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := signin("203.0.113.5", ""); got != http.StatusUnauthorized {
		t.Errorf("ada from 203.0.113.5 through the proxy: %d, want 401", got)
	}
	if got := signin("", "rebound.example"); got != http.StatusMisdirectedRequest {
		t.Errorf("ada for the host rebound.example: %d, want 421", got)
	}
	if got := signin("", ""); got != http.StatusUnauthorized {
		t.Errorf("ada from the trusted proxy naming no client: %d, want 401", got)
	}
	if got := signin("127.0.0.1", ""); got != http.StatusOK {
		t.Errorf("ada from this machine through the proxy: %d, want 200", got)
	}
	f.stop()
}
