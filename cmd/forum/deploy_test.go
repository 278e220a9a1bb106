package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"forum/events"
	"forum/internal/forumtest"
)

// The scale-out kit's three node configs (deploy/n*.conf) make a cluster
// that holds the stream at 3 replicas, lets the forum in with its login,
// and lets the operator read but not write.
func TestDeployKitCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the kit's three-node cluster")
	}
	t.Setenv("FORUM_NATS_PASSWORD", "kit-forum-secret")
	t.Setenv("FORUM_OPERATOR_PASSWORD", "kit-operator-secret")
	var nodes []*server.Server
	for i := 1; i <= 3; i++ {
		t.Setenv("FORUM_NATS_STORE", filepath.Join(t.TempDir(), fmt.Sprint("n", i)))
		opts, err := server.ProcessConfigFile(filepath.Join("..", "..", "deploy", fmt.Sprintf("n%d.conf", i)))
		if err != nil {
			t.Fatalf("deploy/n%d.conf: %v", i, err)
		}
		opts.NoSigs, opts.NoLog = true, true
		s, err := server.NewServer(opts)
		if err != nil {
			t.Fatal(err)
		}
		go s.Start()
		if !s.ReadyForConnections(20 * time.Second) {
			t.Fatalf("node %d did not start", i)
		}
		nodes = append(nodes, s)
	}
	t.Cleanup(func() {
		for _, s := range nodes {
			s.Shutdown()
		}
	})
	urls := "nats://127.0.0.1:14222,nats://127.0.0.1:14223,nats://127.0.0.1:14224"
	var store *events.Store
	forumtest.Eventually(t, "the cluster to take the stream", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var err error
		store, err = events.OpenStore(ctx, events.StoreConfig{URL: urls, User: events.ForumUser, Password: "kit-forum-secret"})
		return err == nil
	})
	defer store.Close()
	f := forumtest.Start(t, forumtest.Options{Store: store})
	f.SignUp("kit")
	js, _ := jetstream.New(store.Conn())
	st, err := js.Stream(context.Background(), events.StreamName)
	if err != nil || st.CachedInfo().Config.Replicas != 3 {
		t.Fatalf("stream: %v, replicas %d; want 3", err, st.CachedInfo().Config.Replicas)
	}
	if _, err := nats.Connect(urls, nats.NoReconnect()); err == nil {
		t.Error("the kit's cluster let in a client without a login")
	}
	op, err := nats.Connect(urls, nats.UserInfo(events.OperatorUser, "kit-operator-secret"))
	if err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	ojs, _ := jetstream.New(op)
	ctx := forumtest.Context(t)
	// The operator reads a mirror of the log in its own account, which
	// follows it.
	last, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var mirror jetstream.Stream
	forumtest.Eventually(t, "the operator's mirror to catch up", func() bool {
		mirror, err = ojs.Stream(ctx, events.StreamName)
		return err == nil && mirror.CachedInfo().State.LastSeq == last.State.LastSeq
	})
	if m := mirror.CachedInfo().Config.Mirror; m == nil || m.Name != events.StreamName || mirror.CachedInfo().Config.Replicas != 3 {
		t.Errorf("the operator's %s: %+v, want a mirror at 3 replicas", events.StreamName, mirror.CachedInfo().Config)
	}
	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := ojs.Publish(short, "forum.post.x.created", []byte("{}")); err == nil {
		t.Error("the operator appended to the stream")
	}
	// Nor does an answer it asks for, sent to a subject of the forum's.
	if err := op.PublishRequest("$JS.API.DIRECT.GET."+events.StreamName, "forum.post.x.created", []byte(`{"seq":1}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := op.RequestWithContext(ctx, "$JS.API.DIRECT.GET."+events.StreamName, []byte(`{"seq":1}`)); err != nil {
		t.Fatal(err)
	}
	env, err := events.New("kit-after", events.RoomCreated, time.Now(), "", events.RoomCreatedData{Room: "kit"})
	if err != nil {
		t.Fatal(err)
	}
	if ack, err := store.Append(ctx, events.RoomCreated.Subject("kit"), env); err != nil {
		t.Fatal(err)
	} else if ack.Seq != last.State.LastSeq+1 {
		t.Errorf("the forum's next event landed at %d, want %d: the operator wrote to the log", ack.Seq, last.State.LastSeq+1)
	}
}

// The kit's operator login grants exactly what the embedded server's does.
func TestDeployKitOperatorPermissions(t *testing.T) {
	t.Setenv("FORUM_NATS_PASSWORD", "kit-forum-secret")
	t.Setenv("FORUM_OPERATOR_PASSWORD", "kit-operator-secret")
	t.Setenv("FORUM_NATS_STORE", t.TempDir())
	want := events.OperatorPermissions()
	for i := 1; i <= 3; i++ {
		opts, err := server.ProcessConfigFile(filepath.Join("..", "..", "deploy", fmt.Sprintf("n%d.conf", i)))
		if err != nil {
			t.Fatalf("deploy/n%d.conf: %v", i, err)
		}
		var got *server.Permissions
		for _, u := range opts.Users {
			if u.Username == events.OperatorUser {
				got = u.Permissions
			}
		}
		if got == nil {
			t.Fatalf("deploy/n%d.conf has no operator login", i)
		}
		for _, c := range []struct {
			what      string
			got, want *server.SubjectPermission
		}{{"publish", got.Publish, want.Publish}, {"subscribe", got.Subscribe, want.Subscribe}} {
			if g, w := subjects(c.got), subjects(c.want); !slices.Equal(g, w) {
				t.Errorf("deploy/n%d.conf: operator's %s is %v, want %v", i, c.what, g, w)
			}
		}
	}
}

// subjects lists a permission's allowed and denied subjects, sorted.
func subjects(p *server.SubjectPermission) []string {
	if p == nil {
		return nil
	}
	var out []string
	for _, s := range p.Allow {
		out = append(out, "allow "+s)
	}
	for _, s := range p.Deny {
		out = append(out, "deny "+s)
	}
	slices.Sort(out)
	return out
}
