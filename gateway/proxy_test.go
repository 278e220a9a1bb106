package gateway_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"forum/gateway"
	"forum/internal/forumtest"
)

// frontOf serves f's forum through another gateway with cfg's public URL
// and trusted proxies.
func frontOf(t *testing.T, f *forumtest.Forum, publicURL, proxies string) string {
	t.Helper()
	cfg := gateway.Config{Commands: f.Cmds, DB: f.DB, Projector: f.Proj, Store: f.Store}
	if publicURL != "" {
		u, err := gateway.ParsePublicURL(publicURL)
		if err != nil {
			t.Fatal(err)
		}
		cfg.PublicURL = u
	}
	p, err := gateway.ParseTrustedProxies(proxies)
	if err != nil {
		t.Fatal(err)
	}
	cfg.TrustedProxies = p
	return forumtest.Serve(t, forumtest.NewGateway(cfg))
}

type request struct {
	from, method, path, host, body string
	header                         map[string]string
}

func send(t *testing.T, base string, r request) *http.Response {
	t.Helper()
	if r.from == "" {
		r.from = "127.0.0.1"
	}
	req := httptest.NewRequest(r.method, base+r.path, strings.NewReader(r.body))
	req.RequestURI = ""
	if r.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	if r.host != "" {
		req.Host = r.host
	}
	resp, err := forumtest.HTTPFrom(r.from).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// Behind a proxy at https://forum.example: the cookie is Secure and
// __Host-, HSTS is on, the public origin is the forum's own, and a request
// for another host answers 421.
func TestPublicURL(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	base := frontOf(t, f, "https://forum.example", "")
	signup := request{method: "POST", path: "/api/signup", host: "forum.example", body: `{"nickname":"tess","email":"tess@example.com","password":"a-good-passphrase"}`}
	resp := send(t, base, signup)
	cookie := resp.Header.Get("Set-Cookie")
	if resp.StatusCode != http.StatusCreated || !strings.HasPrefix(cookie, gateway.SecureCookieName+"=") || !strings.Contains(cookie, "Secure") || !strings.Contains(cookie, "Path=/") {
		t.Errorf("sign-up: %d, Set-Cookie %q; want 201 with a Secure __Host- cookie", resp.StatusCode, cookie)
	}
	if hsts := resp.Header.Get("Strict-Transport-Security"); !strings.Contains(hsts, "max-age=") {
		t.Errorf("HSTS = %q", hsts)
	}
	for _, tc := range []struct {
		name string
		r    request
		want int
	}{
		{"another host", request{method: "GET", path: "/api/categories", host: "evil.example"}, http.StatusMisdirectedRequest},
		{"the instance's own address", request{method: "GET", path: "/api/categories"}, http.StatusMisdirectedRequest},
		{"liveness on the instance's address", request{method: "GET", path: "/health"}, http.StatusOK},
		{"the public host", request{method: "GET", path: "/api/categories", host: "forum.example"}, http.StatusOK},
		{"the public host with the default port", request{method: "GET", path: "/api/categories", host: "forum.example:443"}, http.StatusOK},
		{"the public host with another port", request{method: "GET", path: "/api/categories", host: "forum.example:8443"}, http.StatusMisdirectedRequest},
		{"the public origin", request{method: "POST", path: "/api/signin", host: "forum.example", body: `{"login":"tess","password":"a-good-passphrase"}`,
			header: map[string]string{"Origin": "https://forum.example"}}, http.StatusOK},
		{"the http origin of the same host", request{method: "POST", path: "/api/signin", host: "forum.example", body: `{"login":"tess","password":"x"}`,
			header: map[string]string{"Origin": "http://forum.example"}}, http.StatusForbidden},
	} {
		if got := send(t, base, tc.r).StatusCode; got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	if u, err := gateway.ParsePublicURL("https://Forum.Example:443/"); err != nil || u.Host != "forum.example" {
		t.Errorf("ParsePublicURL with the default port: %v, %v; want the host forum.example", u, err)
	}
	for _, bad := range []string{"forum.example", "ftp://forum.example", "https://forum.example/sub", "https://"} {
		if _, err := gateway.ParsePublicURL(bad); err == nil {
			t.Errorf("ParsePublicURL(%q) accepted it", bad)
		}
	}
}

// X-Forwarded-For is believed only from a trusted proxy, and then only its
// rightmost untrusted address: a client cannot pick its own address to
// dodge the throttle. IPv6 clients count by /64.
func TestTrustedProxies(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	f.SignUp("tess")
	base := frontOf(t, f, "", "127.0.0.2/32, 10.0.0.0/8")
	fail := func(from, xff string) int {
		return send(t, base, request{from: from, method: "POST", path: "/api/signin", body: `{"login":"tess","password":"wrong"}`,
			header: map[string]string{"X-Forwarded-For": xff}}).StatusCode
	}
	exhaust := func(from, xff string) {
		t.Helper()
		for i := range 10 {
			if got := fail(from, xff); got != http.StatusUnauthorized {
				t.Fatalf("failure %d from %s for %s: %d", i+1, from, xff, got)
			}
		}
	}
	// Through the proxy, each client has its own budget...
	exhaust("127.0.0.2", "203.0.113.5")
	if got := fail("127.0.0.2", "203.0.113.5"); got != http.StatusTooManyRequests {
		t.Errorf("client 203.0.113.5 past its budget: %d, want 429", got)
	}
	if got := fail("127.0.0.2", "203.0.113.6"); got != http.StatusUnauthorized {
		t.Errorf("another client through the same proxy: %d, want 401", got)
	}
	// ...and what the client wrote to the left of the proxy's entry is ignored.
	if got := fail("127.0.0.2", "198.51.100.1, 203.0.113.5, 10.1.2.3"); got != http.StatusTooManyRequests {
		t.Errorf("a spoofed hop left of 203.0.113.5, seen by a trusted inner proxy 10.1.2.3: %d, want 429", got)
	}
	// From an untrusted peer the header means nothing: the peer is the client.
	exhaust("127.0.0.3", "192.0.2.1")
	if got := fail("127.0.0.3", "192.0.2.2"); got != http.StatusTooManyRequests {
		t.Errorf("an untrusted peer changing its X-Forwarded-For: %d, want 429", got)
	}
	// Two addresses of one IPv6 /64 share a budget.
	exhaust("127.0.0.2", "2001:db8:1:2::1")
	if got := fail("127.0.0.2", "2001:db8:1:2::ffff"); got != http.StatusTooManyRequests {
		t.Errorf("another address of the same /64: %d, want 429", got)
	}
	if got := fail("127.0.0.2", "2001:db8:1:3::1"); got != http.StatusUnauthorized {
		t.Errorf("another /64: %d, want 401", got)
	}
	// A hop with a port counts by its address.
	exhaust("127.0.0.2", "203.0.113.7:1111")
	if got := fail("127.0.0.2", "[::ffff:203.0.113.7]:2222"); got != http.StatusTooManyRequests {
		t.Errorf("the same address from another port: %d, want 429", got)
	}
	if got := fail("127.0.0.2", "203.0.113.8:1111"); got != http.StatusUnauthorized {
		t.Errorf("another address with a port: %d, want 401", got)
	}
	// X-Forwarded-Proto from the proxy makes the cookie Secure.
	resp := send(t, base, request{from: "127.0.0.2", method: "POST", path: "/api/signin", body: `{"login":"tess","password":"password-tess"}`,
		header: map[string]string{"X-Forwarded-For": "198.51.100.9", "X-Forwarded-Proto": "https"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Set-Cookie"), "Secure") {
		t.Errorf("sign-in through an https proxy: %d, Set-Cookie %q; want a Secure cookie", resp.StatusCode, resp.Header.Get("Set-Cookie"))
	}
	resp = send(t, base, request{from: "127.0.0.3", method: "POST", path: "/api/signin", body: `{"login":"tess","password":"password-tess"}`,
		header: map[string]string{"X-Forwarded-Proto": "https"}})
	if strings.Contains(resp.Header.Get("Set-Cookie"), "Secure") {
		t.Errorf("an untrusted peer's X-Forwarded-Proto made the cookie Secure")
	}
}
