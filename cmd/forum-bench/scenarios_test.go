package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// fakeForum is a minimal in-memory forum speaking the part of the public contract the benchmark uses:
// sign-up, sign-in, categories, posts, /metrics and /ws with hello, dm, ack and post.created.
type fakeForum struct {
	mu     sync.Mutex
	users  map[string]apiUser // by nickname
	tokens map[string]apiUser // by token
	posts  []apiPost          // oldest first
	conns  map[*fakeConn]bool
	seq    int64
}

// fakeConn serializes writes to one server-side WebSocket.
type fakeConn struct {
	mu   sync.Mutex
	c    *websocket.Conn
	user apiUser
}

func (fc *fakeConn) send(v any) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	_ = fc.c.WriteJSON(v)
}

func newFakeForum(t *testing.T) *httptest.Server {
	t.Helper()
	f := &fakeForum{users: map[string]apiUser{}, tokens: map[string]apiUser{}, conns: map[*fakeConn]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "OK") })
	mux.HandleFunc("POST /api/signup", f.signup)
	mux.HandleFunc("POST /api/signin", f.signin)
	mux.HandleFunc("GET /api/categories", func(w http.ResponseWriter, r *http.Request) {
		writeJSONStatus(w, 200, map[string]any{"items": []apiCategory{{Slug: "general", Name: "General"}}})
	})
	mux.HandleFunc("POST /api/posts", f.createPost)
	mux.HandleFunc("GET /api/posts", f.listPosts)
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		fmt.Fprintf(w, "# TYPE go_goroutines gauge\ngo_goroutines %d\ngo_memstats_heap_inuse_bytes %d\n",
			runtime.NumGoroutine(), m.HeapInuse)
	})
	mux.HandleFunc("GET /ws", f.ws)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func writeJSONStatus(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, code string) {
	writeJSONStatus(w, status, map[string]any{"error": map[string]string{"code": code, "message": code}})
}

func (f *fakeForum) auth(r *http.Request) (apiUser, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	return u, ok
}

func (f *fakeForum) signup(w http.ResponseWriter, r *http.Request) {
	var in struct{ Nickname, Email, Password string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || len(in.Nickname) < 3 || len(in.Nickname) > 24 {
		writeErr(w, 400, "validation")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, taken := f.users[in.Nickname]; taken {
		writeErr(w, 409, "taken")
		return
	}
	u := apiUser{ID: fmt.Sprintf("u%d", len(f.users)+1), Nickname: in.Nickname}
	f.users[in.Nickname] = u
	writeJSONStatus(w, 201, map[string]any{"user": u})
}

func (f *fakeForum) signin(w http.ResponseWriter, r *http.Request) {
	var in struct{ Login, Password string }
	_ = json.NewDecoder(r.Body).Decode(&in)
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[in.Login]
	if !ok {
		writeErr(w, 401, "unauthenticated")
		return
	}
	token := "t-" + u.ID
	f.tokens[token] = u
	writeJSONStatus(w, 200, map[string]any{"user": u, "token": token})
}

func (f *fakeForum) createPost(w http.ResponseWriter, r *http.Request) {
	u, ok := f.auth(r)
	if !ok {
		writeErr(w, 401, "unauthenticated")
		return
	}
	var in struct {
		Title, Body string
		Categories  []string
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Title == "" || len(in.Categories) != 1 {
		writeErr(w, 400, "validation")
		return
	}
	f.mu.Lock()
	p := apiPost{ID: fmt.Sprintf("p%d", len(f.posts)+1), Author: u, Title: in.Title, Body: in.Body}
	f.posts = append(f.posts, p)
	f.seq++
	ev := map[string]any{"type": "post.created", "seq": f.seq, "post": p}
	conns := f.snapshotConns()
	f.mu.Unlock()
	for _, c := range conns {
		c.send(ev)
	}
	writeJSONStatus(w, 201, map[string]any{"post": p})
}

// listPosts pages newest first; the cursor is the index of the next post to return.
func (f *fakeForum) listPosts(w http.ResponseWriter, r *http.Request) {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	f.mu.Lock()
	defer f.mu.Unlock()
	from := len(f.posts) - 1
	if c := r.URL.Query().Get("cursor"); c != "" {
		from, _ = strconv.Atoi(c)
	}
	items := []apiPost{}
	for i := from; i >= 0 && len(items) < limit; i-- {
		items = append(items, f.posts[i])
	}
	var next *string
	if last := from - len(items); last >= 0 {
		s := strconv.Itoa(last)
		next = &s
	}
	writeJSONStatus(w, 200, map[string]any{"items": items, "next": next})
}

func (f *fakeForum) snapshotConns() []*fakeConn { // f.mu held
	out := make([]*fakeConn, 0, len(f.conns))
	for c := range f.conns {
		out = append(out, c)
	}
	return out
}

func (f *fakeForum) ws(w http.ResponseWriter, r *http.Request) {
	u, ok := f.auth(r)
	if !ok {
		writeErr(w, 401, "unauthenticated")
		return
	}
	up := websocket.Upgrader{} // no Origin header: allowed
	c, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	fc := &fakeConn{c: c, user: u}
	f.mu.Lock()
	fc.send(map[string]any{"type": "hello", "user": u, "seq": f.seq, "online": []apiUser{}})
	f.conns[fc] = true
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.conns, fc)
		f.mu.Unlock()
		c.Close()
	}()
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			return
		}
		var in dmFrame
		if json.Unmarshal(data, &in) != nil || in.Type != "dm" {
			continue
		}
		f.mu.Lock()
		f.seq++
		msg := map[string]any{"id": "m" + strconv.FormatInt(f.seq, 10), "seq": f.seq, "from": u,
			"to": apiUser{ID: in.To}, "body": in.Body, "created_at": time.Now().UTC()}
		var targets []*fakeConn
		for oc := range f.conns {
			if oc.user.ID == in.To || oc.user.ID == u.ID {
				targets = append(targets, oc)
			}
		}
		seq := f.seq
		f.mu.Unlock()
		for _, oc := range targets {
			oc.send(map[string]any{"type": "dm", "seq": seq, "message": msg})
		}
		fc.send(map[string]any{"type": "ack", "client_id": in.ClientID, "message": msg})
	}
}

// runBench runs the benchmark with args plus --json against srv and decodes its report.
func runBench(t *testing.T, srv *httptest.Server, args ...string) map[string]any {
	t.Helper()
	var stdout, stderr bytes.Buffer
	args = append([]string{"--url", srv.URL, "--json", "--duration", "20s", "--drain", "5s"}, args...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, args, &stdout, &stderr); err != nil {
		t.Fatalf("run %q: %v\nstderr:\n%s", args, err, stderr.String())
	}
	var out map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout.String())
	}
	return out
}

func TestScenariosAgainstFakeForum(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want map[string]float64
	}{
		{"dm", []string{"--scenario", "dm", "--pairs", "5", "--messages", "200", "--rate", "2000", "--size", "100"},
			map[string]float64{"sent": 200, "delivered": 200, "acked": 200, "duplicates": 0}},
		{"fanout", []string{"--scenario", "fanout", "--clients", "20", "--users", "5", "--posts", "10", "--rate", "100"},
			map[string]float64{"posts": 10, "expected": 200, "delivered": 200, "duplicates": 0}},
		{"idle", []string{"--scenario", "idle", "--clients", "50", "--users", "10", "--settle", "10ms"},
			map[string]float64{"opened": 50, "failed": 0, "open": 50}},
		{"posts", []string{"--scenario", "posts", "--clients", "4", "--posts", "40"},
			map[string]float64{"sent": 40, "created": 40, "failed": 0}},
		{"feed", []string{"--scenario", "feed", "--clients", "4", "--requests", "60", "--seed", "45", "--depth", "3"},
			map[string]float64{"requests": 60, "pages": 60, "failed": 0, "seeded": 45}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := runBench(t, newFakeForum(t), tc.args...)
			if out["scenario"] != tc.name {
				t.Errorf("scenario = %v, want %s", out["scenario"], tc.name)
			}
			for k, want := range tc.want {
				if got, _ := out[k].(float64); got != want {
					t.Errorf("%s = %v, want %v (report %v)", k, out[k], want, out)
				}
			}
			if _, ok := out["errors"]; ok {
				t.Errorf("errors = %v (first: %v)", out["errors"], out["first_error"])
			}
		})
	}
}

func TestReusedPrefixSignsIn(t *testing.T) {
	t.Parallel()
	srv := newFakeForum(t)
	args := []string{"--scenario", "posts", "--clients", "2", "--posts", "2", "--prefix", "reuse_"}
	runBench(t, srv, args...)
	out := runBench(t, srv, args...) // the users exist now: sign-up answers 409, sign-in works
	if got, _ := out["created"].(float64); got != 2 {
		t.Errorf("created = %v, want 2", out["created"])
	}
}

func TestTextOutput(t *testing.T) {
	t.Parallel()
	srv := newFakeForum(t)
	var stdout, stderr bytes.Buffer
	args := []string{"--url", srv.URL, "--scenario", "dm", "--pairs", "2", "--messages", "20", "--rate", "1000"}
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	first, _, _ := strings.Cut(stdout.String(), "\n")
	for _, want := range []string{"scenario=dm", "pairs=2", "sent=20", "delivered=20", "p50=", "p95=", "p99=", "max=", "rate=", "elapsed="} {
		if !strings.Contains(first, want) {
			t.Errorf("first line %q lacks %q", first, want)
		}
	}
}

func TestUnreachableForumFails(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	err := run(context.Background(), []string{"--url", url, "--timeout", "2s"}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "not reachable") {
		t.Errorf("run against a closed port = %v, want a 'not reachable' error", err)
	}
}
