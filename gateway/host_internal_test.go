package gateway

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
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

// BenchmarkBelievedClient measures finding the client of a request from a
// trusted proxy, done on every request: a header of as many hops as are
// read, each with a port, every one but the first a trusted proxy.
func BenchmarkBelievedClient(b *testing.B) {
	s := &Server{cfg: Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32")}}}
	hops := []string{"[2001:db8::1]:4444"}
	for i := 1; i < maxHops; i++ {
		hops = append(hops, fmt.Sprintf("10.0.%d.%d:443", i/256, i%256))
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "127.0.0.1:5555"
	r.Header.Set("X-Forwarded-For", strings.Join(hops, ", "))
	for b.Loop() {
		if a, ok := s.believedClient(r); !ok || a.String() != "2001:db8::1" {
			b.Fatalf("client %v, %v", a, ok)
		}
	}
}
