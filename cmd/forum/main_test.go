package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"forum/internal/forumtest"
)

// logBuffer is a concurrency-safe writer that wakes waiters on every write.
type logBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newLogBuffer() *logBuffer { return &logBuffer{changed: make(chan struct{})} }

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	close(b.changed)
	b.changed = make(chan struct{})
	return n, err
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor waits until the text written so far matches re, and returns the
// submatches; it fails the test at the deadline or if done is closed first.
func (b *logBuffer) waitFor(t testing.TB, re *regexp.Regexp, done <-chan struct{}) []string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		b.mu.Lock()
		m := re.FindStringSubmatch(b.buf.String())
		ch := b.changed
		b.mu.Unlock()
		if m != nil {
			return m
		}
		select {
		case <-ch:
		case <-done:
			t.Fatalf("the program ended before logging %s:\n%s", re, b.String())
		case <-deadline:
			t.Fatalf("timed out waiting for %s in the log:\n%s", re, b.String())
		}
	}
}

// noEnv is an environment with no FORUM_* variables, so the flags rule.
func noEnv(string) string { return "" }

// forum is the real program running in this process.
type forum struct {
	t      testing.TB
	HTTP   string // address, host:port
	NATS   string
	stderr *logBuffer
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

var startedRE = regexp.MustCompile(`msg="forum started" http=(\S+) nats=(\S+)`)

// startForum runs `forum serve` on data directory dir with free ports, no
// demo content and any extra flags, and waits until it answers /health.
func startForum(t testing.TB, dir string, extra ...string) *forum {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f := &forum{t: t, stderr: newLogBuffer(), cancel: cancel, done: make(chan struct{})}
	args := append([]string{"serve", "--data", dir, "--http", "127.0.0.1:0", "--nats-listen", "127.0.0.1:0", "--demo=false"}, extra...)
	go func() {
		defer close(f.done)
		f.err = run(ctx, args, noEnv, io.Discard, f.stderr)
	}()
	t.Cleanup(func() {
		cancel()
		<-f.done
	})
	m := f.stderr.waitFor(t, startedRE, f.done)
	f.HTTP, f.NATS = m[1], m[2]
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := http.Get("http://" + f.HTTP + "/health")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.TrimSpace(string(body)) == "OK" {
				return f
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/health did not answer OK: %v\n%s", err, f.stderr.String())
		}
		select {
		case <-tick.C:
		case <-f.done:
			t.Fatalf("the program ended: %v\n%s", f.err, f.stderr.String())
		}
	}
}

// stop cancels the program's context, as SIGINT does, and checks that run
// returns nil.
func (f *forum) stop() {
	f.t.Helper()
	f.cancel()
	select {
	case <-f.done:
	case <-time.After(30 * time.Second):
		f.t.Fatalf("run did not return after the context ended:\n%s", f.stderr.String())
	}
	if f.err != nil {
		f.t.Fatalf("run returned %v, want nil:\n%s", f.err, f.stderr.String())
	}
}

// do sends a JSON request, with a bearer token when token is set, and returns
// the status and body.
func (f *forum) do(method, path, token string, body any) (int, []byte) {
	f.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://"+f.HTTP+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp.StatusCode, b
}

// mustDo is do that fails the test unless the status is want, decoding the
// body into out when it is not nil.
func (f *forum) mustDo(method, path, token string, body any, want int, out any) []byte {
	f.t.Helper()
	status, b := f.do(method, path, token, body)
	if status != want {
		f.t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			f.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return b
}

type account struct {
	Token string `json:"token"`
	User  struct {
		ID       string `json:"id"`
		Nickname string `json:"nickname"`
		Email    string `json:"email"`
	} `json:"user"`
}

// seedContent signs a user up and has them post and comment; it returns
// the account and the post's id.
func seedContent(f *forum) (account, string) {
	f.t.Helper()
	var a account
	f.mustDo("POST", "/api/signup", "", map[string]any{"nickname": "Rita", "email": "rita@example.com", "password": "rita-password"}, http.StatusCreated, &a)
	if a.Token == "" || a.User.ID == "" {
		f.t.Fatalf("sign-up gave no token or user: %+v", a)
	}
	var p struct {
		Post struct {
			ID string `json:"id"`
		} `json:"post"`
	}
	f.mustDo("POST", "/api/posts", a.Token, map[string]any{"title": "Before the restart", "body": "Still here?", "categories": []string{"general"}}, http.StatusCreated, &p)
	f.mustDo("POST", "/api/posts/"+p.Post.ID+"/comments", a.Token, map[string]any{"body": "Yes."}, http.StatusCreated, nil)
	f.mustDo("PUT", "/api/posts/"+p.Post.ID+"/vote", a.Token, map[string]any{"value": 1}, http.StatusOK, nil)
	f.mailSettled()
	return a, p.Post.ID
}

var outboxDoneRE = regexp.MustCompile(`msg="outbox: done"`)

// mailSettled waits until the sign-up's mail is sent and its record
// (mail.sent, appended by the outbox on its own time) is in the read
// models, so the stream stands still for what the test compares.
func (f *forum) mailSettled() {
	f.t.Helper()
	f.stderr.waitFor(f.t, outboxDoneRE, f.done)
	forumtest.Eventually(f.t, "the read models include the mail's record", func() bool {
		var h struct {
			StreamSeq     uint64 `json:"stream_seq"`
			ProjectionSeq uint64 `json:"projection_seq"`
		}
		status, b := f.do("GET", "/api/health", "", nil)
		return status == http.StatusOK && json.Unmarshal(b, &h) == nil && h.StreamSeq == h.ProjectionSeq
	})
}

// reads returns the bodies of the public and private reads of the forum's
// content, to compare across restarts and rebuilds.
func reads(f *forum, a account, postID string) map[string]string {
	f.t.Helper()
	out := map[string]string{}
	for _, path := range []string{"/api/me", "/api/categories", "/api/posts", "/api/posts?category=general", "/api/posts/" + postID,
		"/api/posts/" + postID + "/comments", "/api/users/" + a.User.ID, "/api/rooms", "/api/posts?liked_by=" + a.User.ID} {
		out[path] = string(f.mustDo("GET", path, a.Token, nil, http.StatusOK, nil))
	}
	return out
}

func compareReads(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	for path, w := range want {
		if got[path] != w {
			t.Errorf("%s: GET %s:\n got %s\nwant %s", what, path, got[path], w)
		}
	}
}

func TestRestartKeepsUsersAndSessions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := startForum(t, dir)
	a, postID := seedContent(f)
	var me account
	f.mustDo("GET", "/api/me", a.Token, nil, http.StatusOK, &me)
	if me.User.ID != a.User.ID || me.User.Email != "rita@example.com" {
		t.Fatalf("/api/me = %+v, want Rita with her email", me.User)
	}
	before := reads(f, a, postID)
	f.stop()
	if !strings.Contains(f.stderr.String(), "shutting down") {
		t.Errorf("no shutdown in the log:\n%s", f.stderr.String())
	}

	g := startForum(t, dir)
	if strings.Contains(g.stderr.String(), "seeded") {
		t.Errorf("the restarted forum seeded a stream that had events:\n%s", g.stderr.String())
	}
	var again account
	g.mustDo("GET", "/api/me", a.Token, nil, http.StatusOK, &again)
	if again.User.ID != a.User.ID {
		t.Errorf("old token after restart: /api/me = %+v, want %s", again.User, a.User.ID)
	}
	compareReads(t, "after a restart", reads(g, a, postID), before)
	var signin account
	g.mustDo("POST", "/api/signin", "", map[string]any{"login": "RITA", "password": "rita-password"}, http.StatusOK, &signin)
	if signin.User.ID != a.User.ID || signin.Token == a.Token {
		t.Errorf("sign-in after restart = %+v", signin)
	}
	// Signing out of the old session ends it, here and after another restart.
	g.mustDo("POST", "/api/signout", a.Token, nil, http.StatusNoContent, nil)
	if status, _ := g.do("GET", "/api/me", a.Token, nil); status != http.StatusUnauthorized {
		t.Errorf("after sign-out: /api/me = %d, want 401", status)
	}
	g.stop()
	h := startForum(t, dir)
	if status, _ := h.do("GET", "/api/me", a.Token, nil); status != http.StatusUnauthorized {
		t.Errorf("signed-out token after restart: /api/me = %d, want 401", status)
	}
	h.mustDo("GET", "/api/me", signin.Token, nil, http.StatusOK, nil)
	h.stop()
}

var rebuiltRE = regexp.MustCompile(`^rebuilt (\d+) events in ([0-9.]+) s \(([0-9]+) events/s\) up to seq (\d+) into (\S+)\n$`)

// rebuildCmd runs `forum rebuild` with args and returns the parsed line:
// events, seconds, events/s, seq and the file.
func rebuildCmd(t *testing.T, dir string, args ...string) (events uint64, secs, rate float64, seq uint64, file string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, append([]string{"rebuild", "--data", dir}, args...), noEnv, &stdout, &stderr); err != nil {
		t.Fatalf("forum rebuild %v: %v\n%s", args, err, stderr.String())
	}
	m := rebuiltRE.FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("forum rebuild printed %q, want %s", stdout.String(), rebuiltRE)
	}
	events, _ = strconv.ParseUint(m[1], 10, 64)
	secs, _ = strconv.ParseFloat(m[2], 64)
	rate, _ = strconv.ParseFloat(m[3], 64)
	seq, _ = strconv.ParseUint(m[4], 10, 64)
	return events, secs, rate, seq, m[5]
}

func TestRebuildCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := startForum(t, dir)
	a, postID := seedContent(f)
	var health struct {
		StreamSeq uint64 `json:"stream_seq"`
	}
	f.mustDo("GET", "/api/health", "", nil, http.StatusOK, &health)
	before := reads(f, a, postID)
	// While the forum runs, its data directory is its own.
	for _, args := range [][]string{{"rebuild", "--data", dir}, {"serve", "--data", dir, "--http", "127.0.0.1:0", "--nats-listen", "off"}} {
		err := run(context.Background(), args, noEnv, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "in use") {
			t.Errorf("%s while the forum runs: err = %v, want the data directory in use", args[0], err)
		}
	}
	f.stop()

	events, secs, rate, seq, file := rebuildCmd(t, dir)
	if events != health.StreamSeq || seq != health.StreamSeq {
		t.Errorf("rebuilt %d events up to seq %d, want %d", events, seq, health.StreamSeq)
	}
	if secs < 0 || rate <= 0 {
		t.Errorf("rebuilt in %v s at %v events/s", secs, rate)
	}
	if want := filepath.Join(dir, "read.db"); file != want {
		t.Errorf("rebuilt into %s, want %s", file, want)
	}

	// Time travel writes a separate file and leaves read.db alone.
	mainBefore, err := os.ReadFile(filepath.Join(dir, "read.db"))
	if err != nil {
		t.Fatal(err)
	}
	half := health.StreamSeq / 2
	events, _, _, seq, file = rebuildCmd(t, dir, "--until-seq", strconv.FormatUint(half, 10))
	if want := filepath.Join(dir, "read-at-seq-"+strconv.FormatUint(half, 10)+".db"); file != want || seq != half || events != half {
		t.Errorf("until-seq %d: %d events up to %d into %s, want %s", half, events, seq, file, want)
	}
	if _, err := os.Stat(file); err != nil {
		t.Errorf("time-travel file: %v", err)
	}
	if mainAfter, err := os.ReadFile(filepath.Join(dir, "read.db")); err != nil || !bytes.Equal(mainAfter, mainBefore) {
		t.Errorf("time travel changed read.db (%v)", err)
	}

	g := startForum(t, dir)
	compareReads(t, "after forum rebuild", reads(g, a, postID), before)
	g.stop()
}

// natsCLI returns the path of the nats CLI: on PATH or in $(go env GOPATH)/bin.
func natsCLI(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("nats"); err == nil {
		return p
	}
	out, err := exec.Command("go", "env", "GOPATH").Output()
	if err == nil {
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
			p := filepath.Join(dir, "bin", "nats")
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				return p
			}
		}
	}
	msg := "the nats CLI is not on PATH nor in $(go env GOPATH)/bin: install it with `go install github.com/nats-io/natscli/nats@v0.5.0`"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Log("!!!!!!!! SKIPPING: " + msg + " !!!!!!!!")
	t.Skip(msg)
	return ""
}

func TestNatsCLIReadsTheStream(t *testing.T) {
	t.Parallel()
	cli := natsCLI(t)
	dir := t.TempDir()
	f := startForum(t, dir)
	pw, err := os.ReadFile(filepath.Join(dir, "nats-operator-password"))
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "nats-operator-password")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("operator password file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	login := []string{"--user", "operator", "--password", strings.TrimSpace(string(pw))}
	// try runs the nats CLI against the forum's port with the given login.
	try := func(login []string, args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, cli, append(append([]string{"--server", "nats://" + f.NATS, "--timeout", "2s"}, login...), args...)...)
		home := t.TempDir() // no saved contexts of whoever runs the tests
		cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+home, "NATS_CONTEXT=", "NO_COLOR=1")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	nats := func(args ...string) string {
		t.Helper()
		out, err := try(login, args...)
		if err != nil {
			t.Fatalf("nats %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	refused := func(login []string, args ...string) {
		t.Helper()
		if out, err := try(login, args...); err == nil {
			t.Errorf("nats %s was not refused:\n%s", strings.Join(args, " "), out)
		}
	}
	// Without a login, or as the operator writing anything, nothing works.
	refused(nil, "stream", "info", "FORUM")
	refused([]string{"--user", "operator", "--password", "guess"}, "stream", "info", "FORUM")
	refused(login, "pub", "forum.session.x.started", `{"type":"session.started"}`)
	refused(login, "pub", "live.presence.x", `{}`)
	refused(login, "stream", "purge", "FORUM", "-f")
	refused(login, "stream", "rm", "FORUM", "-f")
	refused(login, "stream", "add", "MINE", "--subjects", "mine.>", "--defaults")
	if sub := nats("sub", "forum.>", "--stream", "FORUM", "--all", "--count", "2"); !strings.Contains(sub, `"type":"category.created"`) {
		t.Errorf("sub --stream FORUM --all:\n%s", sub)
	}

	// FORUM is the operator's copy of the log, in an account of its own.
	info := nats("stream", "info", "FORUM")
	for _, want := range []string{"FORUM", "forum.>", "File", "Mirror"} {
		if !strings.Contains(info, want) {
			t.Errorf("stream info FORUM lacks %q:\n%s", want, info)
		}
	}
	first := nats("stream", "get", "FORUM", "1")
	for _, want := range []string{"forum.category.general.created", `"type":"category.created"`, `"slug":"general"`, "Forum-Event-Type", "Nats-Msg-Id"} {
		if !strings.Contains(first, want) {
			t.Errorf("stream get FORUM 1 lacks %q:\n%s", want, first)
		}
	}
	if last := nats("stream", "get", "FORUM", "--last-for", "forum.category.general.created"); !strings.Contains(last, `"slug":"general"`) {
		t.Errorf("stream get FORUM --last-for:\n%s", last)
	}
	// Its consumers are its own: none of the forum's is listed.
	if ls := nats("consumer", "ls", "FORUM"); strings.Contains(ls, "forum-") || strings.Contains(ls, "OPERATOR_MIRROR") {
		t.Errorf("consumer ls FORUM shows the forum's consumers:\n%s", ls)
	}
	// The message body is one plain JSON object.
	i := strings.Index(first, `{"id"`)
	if i < 0 {
		t.Fatalf("no JSON event in:\n%s", first)
	}
	line, _, _ := strings.Cut(first[i:], "\n")
	var ev map[string]any
	if err := json.Unmarshal([]byte(line), &ev); err != nil || ev["type"] != "category.created" {
		t.Errorf("event JSON %q: %v", line, err)
	}
	f.stop()
}

// The demo accounts all share one password, so a forum that others could
// reach refuses to start with them.
func TestDemoOnlyOnLoopback(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:8080"} {
		var stderr bytes.Buffer
		err := run(context.Background(), []string{"serve", "--data", t.TempDir(), "--http", addr, "--nats-listen", "off"}, noEnv, io.Discard, &stderr)
		if err == nil || !strings.Contains(err.Error(), "--demo=false") {
			t.Errorf("serve --http %s with demo content: %v, want a refusal naming --demo=false", addr, err)
		}
	}
	for addr, want := range map[string]bool{"127.0.0.1:8080": true, "localhost:0": true, "[::1]:0": true, "127.3.2.1:0": true, "0.0.0.0:80": false, ":8080": false, "10.0.0.1:80": false} {
		if got := isLoopback(addr); got != want {
			t.Errorf("isLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

// Everything under --data is readable by its owner only.
func TestDataFilesAreOwnerOnly(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	f := startForum(t, dir)
	resp, err := http.Post("http://"+f.HTTP+"/api/signup", "application/json", strings.NewReader(`{"nickname":"olga","email":"olga@example.com","password":"a-good-passphrase"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	f.stop()
	var files int
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v: others may read it", path, fi.Mode().Perm())
		}
		files++
		return nil
	})
	if err != nil || files < 5 {
		t.Fatalf("walked %d files: %v", files, err)
	}
}

// Read models that do not match the stream are rebuilt, never left to
// diverge: an unreadable read.db, and a stream made anew under them.
func TestReadModelsFollowTheirStream(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := startForum(t, dir)
	signup := func(f *forum, nick string) int {
		resp, err := http.Post("http://"+f.HTTP+"/api/signup", "application/json", strings.NewReader(`{"nickname":"`+nick+`","email":"`+nick+`@example.com","password":"a-good-passphrase"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := signup(f, "olga"); s != http.StatusCreated {
		t.Fatalf("sign-up: %d", s)
	}
	f.stop()

	// An unreadable read.db: moved aside and rebuilt.
	if err := os.WriteFile(filepath.Join(dir, "read.db"), []byte("this is not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "read.db-wal"))
	f = startForum(t, dir)
	if s := signup(f, "olga"); s != http.StatusConflict {
		t.Errorf("olga again after a rebuild from a corrupt file: %d, want 409 (she is in the stream)", s)
	}
	f.stop()
	if _, err := os.Stat(filepath.Join(dir, "read.db.corrupt")); err != nil {
		t.Errorf("the corrupt file was not kept aside: %v", err)
	}

	// The stream made anew (its files deleted): the read models, which
	// stood past its head, are rebuilt from it, and writes work.
	if err := os.RemoveAll(filepath.Join(dir, "jetstream")); err != nil {
		t.Fatal(err)
	}
	f = startForum(t, dir)
	if s := signup(f, "olga"); s != http.StatusCreated {
		t.Errorf("olga on a new stream: %d, want 201", s)
	}
	if s := signup(f, "petra"); s != http.StatusCreated {
		t.Errorf("a sign-up on the new stream: %d, want 201", s)
	}
	f.stop()
}

// Junk on forum.> does not stop the forum: the event is quarantined, shown
// by /api/health and listed by `forum quarantine`, and writes go on.
func TestQuarantineCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := startForum(t, dir)
	pw, err := os.ReadFile(filepath.Join(dir, "nats-forum-password"))
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect("nats://"+f.NATS, nats.UserInfo("forum", strings.TrimSpace(string(pw))))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if _, err := js.Publish(context.Background(), "forum.junk.x.y", []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post("http://"+f.HTTP+"/api/signup", "application/json", strings.NewReader(`{"nickname":"olga","email":"olga@example.com","password":"a-good-passphrase"}`))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("a sign-up after the junk: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, err = http.Get("http://" + f.HTTP + "/api/health")
	if err != nil {
		t.Fatal(err)
	}
	var h struct{ Quarantined int }
	json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if h.Quarantined != 1 {
		t.Errorf("health reports %d quarantined, want 1", h.Quarantined)
	}
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"quarantine", "--data", dir}, noEnv, &out, &errOut); err != nil {
		t.Fatalf("forum quarantine: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), `"subject":"forum.junk.x.y"`) || !strings.Contains(errOut.String(), "1 events") {
		t.Errorf("forum quarantine printed:\n%s\n%s", out.String(), errOut.String())
	}
	f.stop()
}
