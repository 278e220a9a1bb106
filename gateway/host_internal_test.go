package gateway

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

// The address a request's connection came in on counts as the forum's own
// (a forum listening on every interface is reached by any of its
// addresses); another address does not.
func TestLocalHostNamesTheConnectionsAddress(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		local, host string
		want        bool
	}{
		{"192.0.2.7:8080", "192.0.2.7:8080", true},
		{"192.0.2.7:8080", "192.0.2.7", true},
		{"192.0.2.7:8080", "192.0.2.8:8080", false},
		{"[2001:db8::7]:8080", "[2001:db8::7]:8080", true},
		{"[2001:db8::7]:8080", "[2001:db8::8]:8080", false},
		{"192.0.2.7:8080", "forum.example:8080", false},
		{"192.0.2.7:8080", "127.0.0.1:8080", true},
		{"192.0.2.7:8080", "0.0.0.0:8080", false},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Host = tc.host
		addr, err := net.ResolveTCPAddr("tcp", tc.local)
		if err != nil {
			t.Fatal(err)
		}
		r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, net.Addr(addr)))
		if got := localHost(r); got != tc.want {
			t.Errorf("host %q on a connection to %s: %v, want %v", tc.host, tc.local, got, tc.want)
		}
	}
}

// BenchmarkLocalHost measures the Host check of a request without a public
// URL, done on every request.
func BenchmarkLocalHost(b *testing.B) {
	r := httptest.NewRequest("GET", "/", nil)
	r.Host = "192.0.2.7:8080"
	addr, _ := net.ResolveTCPAddr("tcp", "192.0.2.7:8080")
	r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, net.Addr(addr)))
	for b.Loop() {
		if !localHost(r) {
			b.Fatal("not local")
		}
	}
}
