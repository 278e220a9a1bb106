package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"forum/internal/forumtest"
)

// process is the forum program running as a process of its own, which the
// test can SIGKILL.
type process struct {
	cmd  *exec.Cmd
	base string
	done chan struct{}
}

// buildForum builds the program once for the test.
func buildForum(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "forum")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startProcess runs `forum serve` on data directory dir and waits until it
// is ready (/api/health answers 200).
func startProcess(t *testing.T, bin, dir string) *process {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--data", dir, "--http", "127.0.0.1:0", "--nats-listen", "off", "--demo=false", "--rate-limits", "off", "--log-level", "info")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`msg="forum started" http=(\S+)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	go func() { cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.kill() })
	select {
	case a := <-addr:
		p.base = "http://" + a
	case <-p.done:
		t.Fatal("the forum exited before it started")
	case <-time.After(60 * time.Second):
		t.Fatal("the forum did not start")
	}
	forumtest.Eventually(t, "the forum to be ready", func() bool {
		resp, err := http.Get(p.base + "/api/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return p
}

func (p *process) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

func (p *process) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the forum did not stop on SIGTERM")
	}
}

// titles returns how often each title appears in the whole feed at base.
func titles(t *testing.T, hc *http.Client, base string) map[string]int {
	t.Helper()
	seen := map[string]int{}
	cursor := ""
	for {
		status, body := call(hc, "GET", base+"/api/posts?limit=100&cursor="+cursor, "", nil)
		var page struct {
			Items []struct{ Title string }
			Next  *string
		}
		if status != http.StatusOK || json.Unmarshal(body, &page) != nil {
			t.Fatalf("feed: %d %s", status, body)
		}
		for _, it := range page.Items {
			seen[it.Title]++
		}
		if page.Next == nil {
			return seen
		}
		cursor = *page.Next
	}
}

// call sends a JSON request and returns the status and body; a lost
// connection is status 0.
func call(hc *http.Client, method, url, token string, body any) (int, []byte) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// Ten rounds of SIGKILL under concurrent writes of posts, votes and direct
// messages: after each restart every acknowledged write is there exactly
// once, and at the end the read models equal a fresh rebuild.
func TestChaosKill(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos test: real processes killed and restarted")
	}
	bin := buildForum(t)
	dir := filepath.Join(t.TempDir(), "data")
	rounds := 10
	hc := &http.Client{Timeout: 10 * time.Second}
	p := startProcess(t, bin, dir)
	type user struct{ id, token string }
	var users []user
	for i := range 4 {
		var out struct {
			User  struct{ ID string }
			Token string
		}
		status, body := call(hc, "POST", p.base+"/api/signup", "", map[string]string{"nickname": fmt.Sprint("chaos", i), "email": fmt.Sprint("chaos", i, "@example.com"), "password": "a-good-passphrase"})
		if status != http.StatusCreated || json.Unmarshal(body, &out) != nil {
			t.Fatalf("sign-up: %d %s", status, body)
		}
		users = append(users, user{out.User.ID, out.Token})
	}
	var (
		mu         sync.Mutex
		ackedPosts = map[string]string{} // title → id
		ackedDMs   = map[string]bool{}   // body
		ackedVotes int
	)
	rnd := rand.New(rand.NewPCG(1, 2))
	for round := range rounds {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for w, u := range users {
			wg.Go(func() {
				for n := 0; ctx.Err() == nil; n++ {
					switch n % 3 {
					case 0:
						title := fmt.Sprintf("r%d-w%d-%d", round, w, n)
						status, body := call(hc, "POST", p.base+"/api/posts", u.token, map[string]any{"title": title, "body": "chaos", "categories": []string{"general"}})
						var out struct{ Post struct{ ID string } }
						if status == http.StatusCreated && json.Unmarshal(body, &out) == nil {
							mu.Lock()
							ackedPosts[title] = out.Post.ID
							mu.Unlock()
						}
					case 1:
						text := fmt.Sprintf("dm r%d-w%d-%d", round, w, n)
						peer := users[(w+1)%len(users)]
						if status, _ := call(hc, "POST", p.base+"/api/chats/"+peer.id+"/messages", u.token, map[string]any{"body": text, "client_id": text}); status == http.StatusCreated {
							mu.Lock()
							ackedDMs[text] = true
							mu.Unlock()
						}
					case 2:
						mu.Lock()
						var target string
						for _, id := range ackedPosts {
							target = id
							break
						}
						mu.Unlock()
						if target != "" {
							if status, _ := call(hc, "PUT", p.base+"/api/posts/"+target+"/vote", u.token, map[string]int{"value": 1}); status == http.StatusOK {
								mu.Lock()
								ackedVotes++
								mu.Unlock()
							}
						}
					}
				}
			})
		}
		time.Sleep(time.Duration(200+rnd.IntN(600)) * time.Millisecond) // writes flow for a while: the fault comes at a random moment
		p.kill()
		cancel()
		wg.Wait()
		p = startProcess(t, bin, dir)

		// Every acknowledged post is there, exactly once.
		seen := titles(t, hc, p.base)
		mu.Lock()
		for title := range ackedPosts {
			if seen[title] != 1 {
				t.Errorf("round %d: acknowledged post %s is there %d times", round, title, seen[title])
			}
		}
		mu.Unlock()
		for title, n := range seen {
			if n > 1 {
				t.Errorf("round %d: post %s is there %d times", round, title, n)
			}
		}
	}
	// Every acknowledged direct message is there exactly once.
	var bodies []string
	for i, u := range users {
		peer := users[(i+1)%len(users)]
		cursor := ""
		for {
			status, body := call(hc, "GET", p.base+"/api/chats/"+peer.id+"/messages?limit=100&cursor="+cursor, u.token, nil)
			var page struct {
				Items []struct {
					Body string
					From struct{ ID string }
				}
				Next *string
			}
			if status != http.StatusOK || json.Unmarshal(body, &page) != nil {
				t.Fatalf("messages: %d %s", status, body)
			}
			for _, m := range page.Items {
				if m.From.ID == u.id {
					bodies = append(bodies, m.Body)
				}
			}
			if page.Next == nil {
				break
			}
			cursor = *page.Next
		}
	}
	count := map[string]int{}
	for _, b := range bodies {
		count[b]++
	}
	for text := range ackedDMs {
		if count[text] != 1 {
			t.Errorf("acknowledged message %q is there %d times", text, count[text])
		}
	}
	p.stop(t)

	// The read models equal a fresh rebuild of the same stream.
	out, err := exec.Command(bin, "rebuild", "--data", dir, "--until-seq", "1000000000").CombinedOutput()
	if err != nil {
		t.Fatalf("rebuild: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`into (\S+)`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("rebuild said: %s", out)
	}
	forumtest.CompareDumps(t, "read models after the kills vs a fresh rebuild", forumtest.Dump(t, filepath.Join(dir, "read.db")), forumtest.Dump(t, strings.TrimSpace(m[1])))
	t.Logf("%d rounds: %d posts, %d messages and %d votes acknowledged; none lost, none twice", rounds, len(ackedPosts), len(ackedDMs), ackedVotes)
}

// forum rebuild --online rebuilds a running forum's read models and swaps
// them in without a restart, while it takes writes; a restart then opens
// the new file.
func TestRebuildOnlineCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the program as a process")
	}
	bin := buildForum(t)
	dir := filepath.Join(t.TempDir(), "data")
	p := startProcess(t, bin, dir)
	hc := &http.Client{Timeout: 10 * time.Second}
	var out struct{ Token string }
	status, body := call(hc, "POST", p.base+"/api/signup", "", map[string]string{"nickname": "olga", "email": "olga@example.com", "password": "a-good-passphrase"})
	if status != http.StatusCreated || json.Unmarshal(body, &out) != nil {
		t.Fatalf("sign-up: %d %s", status, body)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex
	var acked []string
	wg.Go(func() {
		for n := 0; ctx.Err() == nil; n++ {
			title := fmt.Sprint("online ", n)
			if status, _ := call(hc, "POST", p.base+"/api/posts", out.Token, map[string]any{"title": title, "body": "b", "categories": []string{"general"}}); status == http.StatusCreated {
				mu.Lock()
				acked = append(acked, title)
				mu.Unlock()
			} else if ctx.Err() == nil {
				t.Errorf("a write during the online rebuild: %d", status)
			}
		}
	})
	res, err := exec.Command(bin, "rebuild", "--online", "--data", dir).CombinedOutput()
	cancel()
	wg.Wait()
	if err != nil || !strings.Contains(string(res), "swapped in") {
		t.Fatalf("rebuild --online: %v\n%s", err, res)
	}
	p.stop(t)
	p = startProcess(t, bin, dir)
	seen := titles(t, hc, p.base)
	for _, title := range acked {
		if seen[title] != 1 {
			t.Errorf("post %s written during the online rebuild is gone after a restart", title)
		}
	}
	t.Logf("%s; %d posts written meanwhile, all there after a restart", strings.TrimSpace(string(res)), len(acked))
}
