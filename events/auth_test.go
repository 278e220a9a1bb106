package events_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"forum/events"
	"forum/internal/forumtest"
)

// openListening starts an embedded server with a client port and the
// operator login, with one event in the stream.
func openListening(t *testing.T) (*events.Store, string) {
	t.Helper()
	s, url := openListeningEmpty(t)
	if _, err := s.Append(testCtx(t), events.RoomCreated.Subject("lobby"), mustNew(t, events.RoomCreated, events.RoomCreatedData{Room: "lobby"})); err != nil {
		t.Fatal(err)
	}
	return s, url
}

// openListeningEmpty is openListening with nothing in the stream.
func openListeningEmpty(t *testing.T) (*events.Store, string) {
	t.Helper()
	const operatorPassword = "operator-secret"
	s, err := events.OpenStore(testCtx(t), events.StoreConfig{
		Dir: filepath.Join(t.TempDir(), "jetstream"), Listen: "127.0.0.1:0",
		ForumPassword: "forum-secret", OperatorPassword: operatorPassword,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, "nats://" + s.ClientAddr()
}

// Without a login the client port serves nobody; a wrong password is refused.
func TestNATSNeedsCredentials(t *testing.T) {
	t.Parallel()
	_, url := openListening(t)
	for _, tc := range []struct {
		name string
		opts []nats.Option
	}{
		{"no credentials", nil},
		{"wrong password", []nats.Option{nats.UserInfo(events.OperatorUser, "guess")}},
		{"unknown user", []nats.Option{nats.UserInfo("admin", "admin")}},
		{"forum user, operator's password", []nats.Option{nats.UserInfo(events.ForumUser, "operator-secret")}},
	} {
		nc, err := nats.Connect(url, append(tc.opts, nats.NoReconnect(), nats.Timeout(5*time.Second))...)
		if err == nil {
			nc.Close()
			t.Errorf("%s: connected", tc.name)
		} else if !errors.Is(err, nats.ErrAuthorization) && !strings.Contains(strings.ToLower(err.Error()), "authorization") {
			t.Errorf("%s: %v, want an authorization error", tc.name, err)
		}
	}
	// The forum's own login works: another instance joins with it.
	nc, err := nats.Connect(url, nats.UserInfo(events.ForumUser, "forum-secret"))
	if err != nil {
		t.Fatalf("forum login: %v", err)
	}
	nc.Close()
}

// The operator reads the stream (a copy in its own account that follows
// the log), and every write of theirs is refused.
func TestOperatorOnlyReads(t *testing.T) {
	t.Parallel()
	s, url := openListening(t)
	var mu sync.Mutex
	var violations []string
	nc, err := nats.Connect(url, nats.UserInfo(events.OperatorUser, "operator-secret"), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		mu.Lock()
		violations = append(violations, err.Error())
		mu.Unlock()
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx := testCtx(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx, events.StreamName)
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	forumtest.Eventually(t, "the mirror to hold the event", func() bool {
		info, err := st.Info(ctx)
		return err == nil && info.State.Msgs == 1
	})
	if m, err := st.GetMsg(ctx, 1); err != nil || !strings.Contains(string(m.Data), "lobby") {
		t.Errorf("get message 1: %v", err)
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatalf("ordered consumer: %v", err)
	}
	if m, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second)); err != nil || !strings.Contains(string(m.Data()), "lobby") {
		t.Errorf("read through a consumer: %v", err)
	}

	before, _ := s.LastSeq(ctx)
	// short bounds one refused call: a denied request gets no answer.
	short := func() context.Context {
		c, cancel := context.WithTimeout(ctx, time.Second)
		t.Cleanup(cancel)
		return c
	}
	if _, err := js.Publish(short(), events.SessionStarted.Subject("forged"), []byte(`{"type":"session.started"}`)); err == nil {
		t.Error("the operator appended to the stream")
	}
	nc.Publish("forum.post.x.created", []byte(`{}`))
	nc.Flush()
	if after, _ := s.LastSeq(ctx); after != before {
		t.Errorf("stream went from %d to %d", before, after)
	}
	// Nor may it delete, purge or change anything.
	if err := js.DeleteStream(short(), events.StreamName); err == nil {
		t.Error("the operator deleted the stream")
	}
	if _, err := js.UpdateStream(short(), jetstream.StreamConfig{Name: events.StreamName, Subjects: []string{"x.>"}}); err == nil {
		t.Error("the operator changed the stream")
	}
	if err := st.DeleteMsg(short(), 1); err == nil {
		t.Error("the operator deleted a message")
	}
	if _, err := js.CreateStream(short(), jetstream.StreamConfig{Name: "MINE", Subjects: []string{"mine.>"}}); err == nil {
		t.Error("the operator created a stream")
	}
	if err := st.Purge(short()); err == nil {
		t.Error("the operator purged the stream")
	}
	if _, err := js.Stream(ctx, events.StreamName); err != nil {
		t.Errorf("the stream is gone after the operator's attempts: %v", err)
	}
	// The copy it reads follows the log: a new event shows there at once.
	subject := events.RoomCreated.Subject("later")
	if _, err := s.Append(ctx, subject, mustNew(t, events.RoomCreated, events.RoomCreatedData{Room: "later"})); err != nil {
		t.Fatal(err)
	}
	forumtest.Eventually(t, "the new event in the operator's copy", func() bool {
		m, err := st.GetLastMsgForSubject(ctx, subject)
		return err == nil && strings.Contains(string(m.Data), "later")
	})
	mu.Lock()
	defer mu.Unlock()
	if len(violations) == 0 {
		t.Error("no permissions violation reported to the operator")
	}
}
