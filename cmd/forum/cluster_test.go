package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"forum/events"
	"forum/internal/forumtest"
	"forum/projections"
)

// node is one server of a three-node NATS cluster with JetStream, which a
// test can kill and bring back on the same ports and store.
type node struct {
	name                    string
	clientPort, clusterPort int
	dir                     string
	routes                  []*url.URL
	srv                     *server.Server
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func (n *node) start(t *testing.T) {
	t.Helper()
	s, err := server.NewServer(&server.Options{
		ServerName: n.name, Host: "127.0.0.1", Port: n.clientPort, JetStream: true, StoreDir: n.dir, NoSigs: true, NoLog: true,
		Cluster: server.ClusterOpts{Name: "forum", Host: "127.0.0.1", Port: n.clusterPort},
		Routes:  n.routes,
	})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(20 * time.Second) {
		t.Fatalf("node %s did not start", n.name)
	}
	n.srv = s
}

func (n *node) kill() {
	n.srv.Shutdown()
	n.srv.WaitForShutdown()
}

// startCluster starts three nodes routed to each other and returns them
// with the client URLs of all three.
func startCluster(t *testing.T) ([]*node, string) {
	t.Helper()
	var nodes []*node
	var urls []string
	for i := range 3 {
		nodes = append(nodes, &node{name: fmt.Sprint("n", i+1), clientPort: freePort(t), clusterPort: freePort(t), dir: filepath.Join(t.TempDir(), "js")})
	}
	for _, n := range nodes {
		for _, m := range nodes {
			if m != n {
				n.routes = append(n.routes, &url.URL{Scheme: "nats", Host: fmt.Sprintf("127.0.0.1:%d", m.clusterPort)})
			}
		}
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", n.clientPort))
	}
	for _, n := range nodes {
		n.start(t)
	}
	t.Cleanup(func() {
		for _, n := range nodes {
			if n.srv != nil {
				n.srv.Shutdown()
			}
		}
	})
	return nodes, strings.Join(urls, ",")
}

// consumerHost returns the name of the node that holds the consumer the
// store's projector follows the stream with (the only consumer its
// connection made).
func consumerHost(t *testing.T, store *events.Store) string {
	t.Helper()
	js, err := jetstream.New(store.Conn())
	if err != nil {
		t.Fatal(err)
	}
	// The projector's is the one of this store's that has delivered most:
	// the hub reads the stream only for resumes. Right after a fault it may
	// be being made again: look until it is there.
	var host string
	forumtest.Eventually(t, "the store's consumer to be listed", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		st, err := js.Stream(ctx, events.StreamName)
		if err != nil {
			return false
		}
		var most uint64
		host = ""
		lister := st.ListConsumers(ctx)
		for info := range lister.Info() {
			if info.Cluster != nil && info.Cluster.Leader != "" && strings.HasPrefix(info.Name, store.ConsumerPrefix()) && info.Delivered.Stream >= most {
				most, host = info.Delivered.Stream, info.Cluster.Leader
			}
		}
		return host != ""
	})
	return host
}

// Two forum instances on a three-node cluster (stream replicas 3) under
// writes from both, while one node is killed and brought back, then
// another: no acknowledged write is lost or doubled, both instances' read
// models converge and equal a rebuild, and direct messages, presence and
// sign-outs keep working across them.
func TestClusterChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos test: a three-node cluster with nodes killed")
	}
	nodes, urls := startCluster(t)
	open := func(url string) *events.Store {
		var store *events.Store
		forumtest.Eventually(t, "the cluster to take the stream", func() bool {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			var err error
			store, err = events.OpenStore(ctx, events.StoreConfig{URL: url})
			return err == nil
		})
		t.Cleanup(store.Close)
		return store
	}
	// Each instance prefers another node first.
	a := forumtest.Start(t, forumtest.Options{Store: open(urls)})
	parts := strings.Split(urls, ",")
	b := forumtest.Start(t, forumtest.Options{Store: open(strings.Join([]string{parts[1], parts[2], parts[0]}, ","))})
	ada, bob := a.SignUp("ada"), a.SignUp("bob")
	forumtest.Eventually(t, "b to catch up", func() bool { return b.Proj.Seq() >= a.Proj.Seq() })
	bobOnB := bob.As(b)

	var (
		mu     sync.Mutex
		acked  = map[string]bool{}
		lastOK time.Time
	)
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w, c := range []*forumtest.Client{ada, bobOnB, ada.As(b), bob} {
		wg.Go(func() {
			hc := &http.Client{Timeout: 15 * time.Second}
			for n := 0; ctx.Err() == nil; n++ {
				title := fmt.Sprintf("w%d-%d", w, n)
				status, _ := call(hc, "POST", c.F.URL+"/api/posts", c.Token, map[string]any{"title": title, "body": "cluster", "categories": []string{"general"}})
				if status == http.StatusCreated || status == http.StatusAccepted {
					mu.Lock()
					acked[title] = true
					lastOK = time.Now()
					mu.Unlock()
				}
			}
		})
	}
	ackedNow := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(acked)
	}
	waitWrites := func(what string, more int) time.Duration {
		t.Helper()
		from, start := ackedNow(), time.Now()
		if !forumtest.WaitUntil(60*time.Second, func() bool { return ackedNow() >= from+more }) {
			t.Fatalf("%s: writes did not resume within 60 s (%d acknowledged)", what, ackedNow())
		}
		return time.Since(start)
	}
	waitWrites("before any fault", 50)
	var recoveries []string
	for _, i := range []int{0, 1} {
		nodes[i].kill()
		recoveries = append(recoveries, fmt.Sprintf("%s killed: writes resumed in %v", nodes[i].name, waitWrites("after a kill", 20).Round(time.Millisecond)))
		nodes[i].start(t)
		recoveries = append(recoveries, fmt.Sprintf("%s back: %d more writes in %v", nodes[i].name, 20, waitWrites("after a restart", 20).Round(time.Millisecond)))
	}
	// Then the node that holds instance a's own consumer of the stream (a
	// replica-1 consumer: it goes down with its node). a must notice, and
	// follow afresh from its checkpoint on another node.
	host := consumerHost(t, a.Store)
	var victim *node
	for _, n := range nodes {
		if n.name == host {
			victim = n
		}
	}
	if victim == nil {
		t.Fatalf("no node named %q holds a's consumer", host)
	}
	victim.kill()
	killed := time.Now()
	waitWrites("after killing the consumer's node", 20)
	headNow, _ := b.Store.LastSeq(context.Background())
	if !forumtest.WaitUntil(time.Minute-time.Since(killed), func() bool { return a.Proj.Seq() >= headNow }) {
		t.Fatalf("instance a did not follow the stream again within a minute (at %d of %d, %d recoveries)", a.Proj.Seq(), headNow, a.Proj.Recoveries())
	}
	recoveries = append(recoveries, fmt.Sprintf("%s (a's consumer) killed: a followed again after %v", victim.name, time.Since(killed).Round(time.Millisecond)))
	victim.start(t)
	stop()
	wg.Wait()

	// Both instances converge on the stream's head, with every write once.
	head, err := a.Store.LastSeq(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []*forumtest.Forum{a, b} {
		forumtest.Eventually(t, "an instance to catch up with the stream", func() bool { return f.Proj.Seq() >= head })
		titles := map[string]int{}
		var page projections.Page[projections.Post]
		cursor := ""
		for {
			ada.As(f).MustDo("GET", "/api/posts?limit=100&cursor="+cursor, nil, http.StatusOK, &page)
			for _, p := range page.Items {
				titles[p.Title]++
			}
			if page.Next == nil {
				break
			}
			cursor = *page.Next
		}
		mu.Lock()
		for title := range acked {
			if titles[title] != 1 {
				t.Errorf("acknowledged post %s is there %d times", title, titles[title])
			}
		}
		mu.Unlock()
		for title, n := range titles {
			if n > 1 {
				t.Errorf("post %s is there %d times", title, n)
			}
		}
		res, err := projections.Rebuild(context.Background(), f.Store, projections.RebuildOptions{Path: filepath.Join(t.TempDir(), "re.db"), UntilSeq: f.Proj.Seq()})
		if err != nil {
			t.Fatal(err)
		}
		forumtest.CompareDumps(t, "an instance's read models vs a rebuild", forumtest.Dump(t, f.DB.Path()), forumtest.Dump(t, res.Path))
	}

	// Across the instances, after the faults: a direct message, presence and a sign-out.
	wa, wb := ada.DialWS(""), bobOnB.DialWS("")
	wa.WaitFor("bob online", forumtest.IsPresence(bob.User.ID, true))
	wa.Send(map[string]any{"type": "dm", "to": bob.User.ID, "body": "after the storm", "client_id": "x"})
	if got := wb.WaitType("dm").Message(t); got.Body != "after the storm" {
		t.Errorf("bob got %+v", got)
	}
	bobOnB.MustDo("POST", "/api/signout", nil, http.StatusNoContent, nil)
	if code := wb.WaitClosed(); code != websocket.ClosePolicyViolation {
		t.Errorf("bob's socket after the sign-out: %d", code)
	}
	signedOut := time.Now()
	forumtest.Eventually(t, "bob's token to stop working on the other instance", func() bool {
		status, _ := bob.Do("GET", "/api/me", nil)
		return status == http.StatusUnauthorized
	})
	recoveries = append(recoveries, fmt.Sprintf("sign-out seen by the other instance within %v", time.Since(signedOut).Round(time.Millisecond)))
	t.Logf("%d posts acknowledged, 0 lost, 0 twice; last write %v before the end; %s; projector recoveries: a %d, b %d",
		len(acked), time.Since(lastOK).Round(time.Millisecond), strings.Join(recoveries, "; "), a.Proj.Recoveries(), b.Proj.Recoveries())
}
