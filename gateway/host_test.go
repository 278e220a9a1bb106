package gateway_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"forum/commands"
	"forum/internal/forumtest"
)

// With the demo accounts on, one signs in only when the client the forum
// believes is on this machine: a trusted proxy's X-Forwarded-For naming
// another machine is refused, by sign-in and by HTTP Basic alike.
func TestDemoSignInOnlyFromLoopback(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{Demo: true})
	base := frontOf(t, f, "", "127.0.0.1/32")
	signin := `{"login":"ada","password":"` + commands.DemoPassword + `"}`
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("ada:"+commands.DemoPassword))
	for _, tc := range []struct {
		name string
		r    request
		want int
	}{
		{"sign-in from outside through the proxy", request{method: "POST", path: "/api/signin", body: signin,
			header: map[string]string{"X-Forwarded-For": "203.0.113.5"}}, http.StatusUnauthorized},
		{"Basic from outside through the proxy", request{method: "GET", path: "/api/me",
			header: map[string]string{"X-Forwarded-For": "203.0.113.5", "Authorization": basic}}, http.StatusUnauthorized},
		{"sign-in from outside over IPv6", request{method: "POST", path: "/api/signin", body: signin,
			header: map[string]string{"X-Forwarded-For": "2001:db8::1"}}, http.StatusUnauthorized},
		{"sign-in from this machine through the proxy", request{method: "POST", path: "/api/signin", body: signin,
			header: map[string]string{"X-Forwarded-For": "127.0.0.1"}}, http.StatusOK},
		{"Basic from this machine through the proxy", request{method: "GET", path: "/api/me",
			header: map[string]string{"X-Forwarded-For": "127.0.0.1", "Authorization": basic}}, http.StatusOK},
	} {
		if got := send(t, base, tc.r).StatusCode; got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}

// HTTP Basic credentials of a demo account that verified for a client on
// this machine are not taken from the cache for a client elsewhere: the
// loopback condition holds on every use.
func TestBasicCacheKeepsDemoAccountsLocal(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{Demo: true})
	base := frontOf(t, f, "", "127.0.0.1/32")
	grace, err := f.DB.Credentials(forumtest.Context(t), "grace")
	if err != nil {
		t.Fatal(err)
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("ada:"+commands.DemoPassword))
	as := func(client, method, path, body string) int {
		return send(t, base, request{method: method, path: path, body: body,
			header: map[string]string{"X-Forwarded-For": client, "Authorization": basic}}).StatusCode
	}
	for i, step := range []struct {
		client, method, path, body string
		want                       int
	}{
		{"203.0.113.5", "GET", "/api/me", "", http.StatusUnauthorized},
		{"127.0.0.1", "GET", "/api/me", "", http.StatusOK},
		{"203.0.113.5", "GET", "/api/me", "", http.StatusUnauthorized},
		{"203.0.113.5", "PUT", "/api/users/" + grace.UserID + "/role", `{"role":"admin"}`, http.StatusUnauthorized},
		{"127.0.0.1", "GET", "/api/me", "", http.StatusOK},
	} {
		if got := as(step.client, step.method, step.path, step.body); got != step.want {
			t.Errorf("step %d: %s %s as ada from %s: %d, want %d", i+1, step.method, step.path, step.client, got, step.want)
		}
	}
}

// A trusted proxy's X-Forwarded-For hop may carry a port; a proxy that
// names no client (no header, an empty one, a hop that is no address) does
// not make the client local: the demo accounts stay refused.
func TestDemoClientAProxyDoesNotName(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{Demo: true})
	base := frontOf(t, f, "", "127.0.0.1/32")
	signin := `{"login":"ada","password":"` + commands.DemoPassword + `"}`
	for _, tc := range []struct {
		xff  []string // nil: no header
		want int
	}{
		{[]string{"127.0.0.1:4444"}, http.StatusOK},
		{[]string{"[::1]:4444"}, http.StatusOK},
		{[]string{"203.0.113.5:4444"}, http.StatusUnauthorized},
		{[]string{"[2001:db8::1]:4444"}, http.StatusUnauthorized},
		{[]string{"unknown"}, http.StatusUnauthorized},
		{[]string{"garbage"}, http.StatusUnauthorized},
		{[]string{"127.0.0.1, garbage"}, http.StatusUnauthorized},
		{[]string{""}, http.StatusUnauthorized},
		{nil, http.StatusUnauthorized},
	} {
		req, err := http.NewRequest("POST", base+"/api/signin", strings.NewReader(signin))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		for _, v := range tc.xff {
			req.Header.Add("X-Forwarded-For", v)
		}
		resp, err := forumtest.HTTPFrom("127.0.0.1").Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("ada with X-Forwarded-For %q from the trusted proxy: %d, want %d", tc.xff, resp.StatusCode, tc.want)
		}
	}
}

// Without a public URL, only localhost, a loopback address or the forum's
// own address may be named as the host: a page of another site whose name
// points here (DNS rebinding) gets 421, WebSocket upgrades included. Probes
// and metrics are excepted.
func TestHostCheckWithoutPublicURL(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	f.SignUp("tess")
	port := f.URL[strings.LastIndexByte(f.URL, ':'):]
	upgrade := map[string]string{"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
	signin := `{"login":"tess","password":"password-tess"}`
	for _, tc := range []struct {
		name string
		r    request
		want int
	}{
		{"a rebound name", request{method: "GET", path: "/api/categories", host: "evil.example" + port}, http.StatusMisdirectedRequest},
		{"a rebound name signing in", request{method: "POST", path: "/api/signin", host: "evil.example" + port, body: signin}, http.StatusMisdirectedRequest},
		{"a rebound name upgrading to a WebSocket", request{method: "GET", path: "/ws", host: "evil.example" + port, header: upgrade}, http.StatusMisdirectedRequest},
		{"a name under localhost", request{method: "GET", path: "/api/categories", host: "localhost.evil.example"}, http.StatusMisdirectedRequest},
		{"localhost", request{method: "GET", path: "/api/categories", host: "localhost" + port}, http.StatusOK},
		{"LOCALHOST without a port", request{method: "GET", path: "/api/categories", host: "LOCALHOST"}, http.StatusOK},
		{"another loopback address", request{method: "GET", path: "/api/categories", host: "127.1.2.3" + port}, http.StatusOK},
		{"IPv6 loopback", request{method: "POST", path: "/api/signin", host: "[::1]" + port, body: signin}, http.StatusOK},
		{"a WebSocket upgrade for localhost", request{method: "GET", path: "/ws", host: "localhost" + port, header: upgrade}, http.StatusUnauthorized},
		{"liveness for any name", request{method: "GET", path: "/health", host: "evil.example"}, http.StatusOK},
		{"readiness for any name", request{method: "GET", path: "/api/health", host: "evil.example"}, http.StatusOK},
		{"metrics for any name", request{method: "GET", path: "/metrics", host: "evil.example"}, http.StatusOK},
		{"an https origin on a plain http request", request{method: "POST", path: "/api/signin", body: signin,
			header: map[string]string{"Origin": "https://" + f.URL[len("http://"):]}}, http.StatusForbidden},
		{"the http origin", request{method: "POST", path: "/api/signin", body: signin,
			header: map[string]string{"Origin": f.URL}}, http.StatusOK},
	} {
		if got := send(t, f.URL, tc.r).StatusCode; got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}

// With a public URL, metrics answer its host and the local names, and only
// to a client the forum believes is on this machine: what Host a proxy
// passes on does not decide.
func TestMetricsHostWithPublicURL(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	base := frontOf(t, f, "https://forum.example", "127.0.0.2/32")
	for _, tc := range []struct {
		from, xff, host string
		want            int
	}{
		{"127.0.0.1", "", "evil.example", http.StatusMisdirectedRequest},
		{"127.0.0.1", "", "forum.example", http.StatusOK},
		{"127.0.0.1", "", "forum.example:443", http.StatusOK},
		{"127.0.0.1", "", "localhost", http.StatusOK},
		{"127.0.0.1", "", "", http.StatusOK}, // the instance's own loopback address
		{"127.0.0.2", "127.0.0.1", "localhost", http.StatusOK},
		{"127.0.0.2", "203.0.113.5", "localhost", http.StatusForbidden},
		{"127.0.0.2", "203.0.113.5", "127.0.0.2", http.StatusForbidden},
		{"127.0.0.2", "203.0.113.5", "forum.example", http.StatusForbidden},
		{"127.0.0.2", "", "localhost", http.StatusForbidden},
	} {
		r := request{from: tc.from, method: "GET", path: "/metrics", host: tc.host}
		if tc.xff != "" {
			r.header = map[string]string{"X-Forwarded-For": tc.xff}
		}
		if got := send(t, base, r).StatusCode; got != tc.want {
			t.Errorf("/metrics for host %q from %s (X-Forwarded-For %q): %d, want %d", tc.host, tc.from, tc.xff, got, tc.want)
		}
	}
}
