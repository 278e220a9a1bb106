package events_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"forum/events"
)

// openStore starts a real embedded NATS server with JetStream in a temporary
// directory and closes it when the test ends.
func openStore(t *testing.T) *events.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := events.OpenStore(ctx, events.StoreConfig{Dir: filepath.Join(t.TempDir(), "jetstream")})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// testCtx returns a context that ends with the test or after 20 seconds.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// rawStream returns the stream FORUM through the plain nats.go jetstream API,
// to see messages as any other client would.
func rawStream(t *testing.T, s *events.Store) jetstream.Stream {
	t.Helper()
	js, err := jetstream.New(s.Conn())
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(testCtx(t), events.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func mustNew(t *testing.T, typ events.Type, data any) events.Envelope {
	t.Helper()
	now := time.Date(2026, 3, 4, 5, 6, 7, 891234567, time.UTC)
	env, err := events.New(events.NewID(now), typ, now, events.NewID(now), data)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func TestAppendGetFollowRoundTrip(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := testCtx(t)
	post := events.PostCreatedData{PostID: events.NewID(time.Now()), AuthorID: events.NewID(time.Now()), Title: "<b>Hi</b> & bye", Body: "line 1\nline 2 — ünïcödé", Categories: []string{"general", "help"}}
	envs := []struct {
		subject string
		env     events.Envelope
	}{
		{events.CategoryCreated.Subject("general"), mustNew(t, events.CategoryCreated, events.CategoryCreatedData{Slug: "general", Name: "General", Position: 1})},
		{events.PostCreated.Subject(post.PostID), mustNew(t, events.PostCreated, post)},
		{events.DMSent.Subject(events.PairKey("b", "a")), mustNew(t, events.DMSent, events.DMSentData{MessageID: "m", From: "b", To: "a", Body: "hey"})},
	}
	for i, e := range envs {
		ack, err := s.Append(ctx, e.subject, e.env)
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		if got, want := ack, (events.Ack{Seq: uint64(i + 1), Time: e.env.Time}); got != want {
			t.Fatalf("ack %d = %+v, want %+v", i, got, want)
		}
	}
	last, err := s.LastSeq(ctx)
	if err != nil || last != uint64(len(envs)) {
		t.Fatalf("LastSeq = %d, %v; want %d", last, err, len(envs))
	}

	st := rawStream(t, s)
	f, err := s.Follow(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Stop()
	for i, e := range envs {
		seq := uint64(i + 1)
		want := events.Event{Seq: seq, Subject: e.subject, Envelope: e.env}
		got, err := s.Get(ctx, seq)
		if err != nil {
			t.Fatalf("get %d: %v", seq, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Get(%d) =\n%+v\nwant\n%+v", seq, got, want)
		}
		followed, err := f.Next(ctx)
		if err != nil {
			t.Fatalf("follow %d: %v", seq, err)
		}
		if !reflect.DeepEqual(followed, want) {
			t.Errorf("Follow #%d =\n%+v\nwant\n%+v", seq, followed, want)
		}
		lastOn, err := s.Last(ctx, e.subject)
		if err != nil || !reflect.DeepEqual(lastOn, want) {
			t.Errorf("Last(%s) = %+v, %v; want %+v", e.subject, lastOn, err, want)
		}

		raw, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := raw.Header.Get(events.HeaderType), string(e.env.Type); got != want {
			t.Errorf("seq %d header %s = %q, want %q", seq, events.HeaderType, got, want)
		}
		if got, want := raw.Header.Get(events.HeaderMsgID), e.env.ID; got != want {
			t.Errorf("seq %d header %s = %q, want %q", seq, events.HeaderMsgID, got, want)
		}
		if got, want := raw.Header.Get(jetstream.MsgIDHeader), e.env.ID; got != want {
			t.Errorf("seq %d header %s = %q, want %q", seq, jetstream.MsgIDHeader, got, want)
		}
		if raw.Subject != e.subject {
			t.Errorf("seq %d subject = %q, want %q", seq, raw.Subject, e.subject)
		}
		// Plain JSON, readable by anyone: no HTML escaping of what people typed.
		if bytes.Contains(raw.Data, []byte(`\u003c`)) {
			t.Errorf("seq %d data escapes HTML: %s", seq, raw.Data)
		}
		decoded, err := events.Decode(raw.Data)
		if err != nil || !reflect.DeepEqual(decoded, e.env) {
			t.Errorf("Decode(raw %d) = %+v, %v; want %+v", seq, decoded, err, e.env)
		}
	}
	var got events.PostCreatedData
	ev, _ := s.Get(ctx, 2)
	if err := ev.Payload(&got); err != nil || !reflect.DeepEqual(got, post) {
		t.Errorf("payload = %+v, %v; want %+v", got, err, post)
	}

	// Follow waits at the end of the stream for the next event.
	next := make(chan events.Event, 1)
	go func() {
		ev, err := f.Next(ctx)
		if err != nil {
			t.Errorf("follow live: %v", err)
		}
		next <- ev
	}()
	env := mustNew(t, events.RoomCreated, events.RoomCreatedData{Room: "lobby"})
	if _, err := s.Append(ctx, events.RoomCreated.Subject("lobby"), env); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-next:
		if ev.Seq != 4 || ev.ID != env.ID {
			t.Errorf("live event = %d %s, want 4 %s", ev.Seq, ev.ID, env.ID)
		}
	case <-ctx.Done():
		t.Fatal("follower did not deliver the live event")
	}

	// Follow from the middle starts there.
	f2, err := s.Follow(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer f2.Stop()
	if ev, err := f2.Next(ctx); err != nil || ev.Seq != 3 {
		t.Errorf("Follow(3).Next = %d, %v; want 3", ev.Seq, err)
	}
}

func TestAppendDuplicateSuppressed(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := testCtx(t)
	subject := events.RoomMessageSent.Subject("general")
	first := mustNew(t, events.RoomMessageSent, events.RoomMessageData{MessageID: "m1", Room: "general", From: "u", Body: "first"})
	ack1, err := s.Append(ctx, subject, first, events.WithMsgID("msg:u:c1"))
	if err != nil {
		t.Fatal(err)
	}
	// A retry: another envelope, same message id.
	retry := mustNew(t, events.RoomMessageSent, events.RoomMessageData{MessageID: "m2", Room: "general", From: "u", Body: "retry"})
	ack2, err := s.Append(ctx, subject, retry, events.WithMsgID("msg:u:c1"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ack2, (events.Ack{Seq: ack1.Seq, Duplicate: true, Time: retry.Time}); got != want {
		t.Errorf("duplicate ack = %+v, want %+v", got, want)
	}
	// The same envelope twice (default id = envelope id).
	ack3, err := s.Append(ctx, subject, first)
	if err != nil {
		t.Fatal(err)
	}
	ack4, err := s.Append(ctx, subject, first)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ack4, (events.Ack{Seq: ack3.Seq, Duplicate: true, Time: first.Time}); got != want {
		t.Errorf("same envelope again: ack = %+v, want %+v", got, want)
	}
	info, err := rawStream(t, s).Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := info.State.Msgs, uint64(2); got != want {
		t.Errorf("stream holds %d messages, want %d", got, want)
	}
	ev, err := s.Get(ctx, ack1.Seq)
	if err != nil || ev.ID != first.ID {
		t.Errorf("stored event = %s, %v; want the first one %s", ev.ID, err, first.ID)
	}
}

func TestAppendExpectLastSubjectSeq(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := testCtx(t)
	claim := func(user string) events.Envelope {
		return mustNew(t, events.ClaimMade, events.ClaimData{Kind: events.ClaimNickname, Key: "bob", UserID: user})
	}
	subject := events.ClaimMade.Subject(events.ClaimKey(events.ClaimNickname, "bob"))
	other := events.ClaimMade.Subject(events.ClaimKey(events.ClaimNickname, "alice"))
	// Another subject's events do not count.
	if _, err := s.Append(ctx, other, claim("a"), events.ExpectLastSubjectSeq(0)); err != nil {
		t.Fatal(err)
	}
	ack, err := s.Append(ctx, subject, claim("u1"), events.ExpectLastSubjectSeq(0))
	if err != nil {
		t.Fatalf("first claim: %v", err)
	}
	tests := []struct {
		name   string
		expect uint64
		want   error
	}{
		{"expects an empty subject", 0, events.ErrConflict},
		{"expects an older event", ack.Seq - 1, events.ErrConflict},
		{"expects a later event", ack.Seq + 5, events.ErrConflict},
		{"expects the last event", ack.Seq, nil},
	}
	for _, tt := range tests {
		_, err := s.Append(ctx, subject, claim("u2"), events.ExpectLastSubjectSeq(tt.expect))
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	last, err := s.Last(ctx, subject)
	if err != nil {
		t.Fatal(err)
	}
	var d events.ClaimData
	if err := last.Payload(&d); err != nil || d.UserID != "u2" {
		t.Errorf("last claim = %+v, %v; want u2's", d, err)
	}
}

func TestNoEvent(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := testCtx(t)
	if _, err := s.Last(ctx, events.ClaimMade.Subject(events.ClaimKey(events.ClaimEmail, "nobody@example.com"))); !errors.Is(err, events.ErrNoEvent) {
		t.Errorf("Last on an empty subject: err = %v, want ErrNoEvent", err)
	}
	if _, err := s.Get(ctx, 1); !errors.Is(err, events.ErrNoEvent) {
		t.Errorf("Get(1) on an empty stream: err = %v, want ErrNoEvent", err)
	}
	if seq, err := s.LastSeq(ctx); err != nil || seq != 0 {
		t.Errorf("LastSeq on an empty stream = %d, %v; want 0", seq, err)
	}
	if _, err := s.Append(ctx, events.RoomCreated.Subject("r"), mustNew(t, events.RoomCreated, events.RoomCreatedData{Room: "r"})); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, 2); !errors.Is(err, events.ErrNoEvent) {
		t.Errorf("Get past the end: err = %v, want ErrNoEvent", err)
	}
	if _, err := s.Last(ctx, events.RoomCreated.Subject("other")); !errors.Is(err, events.ErrNoEvent) {
		t.Errorf("Last on another subject: err = %v, want ErrNoEvent", err)
	}
}

func TestStoreReopenKeepsEvents(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "jetstream")
	ctx := testCtx(t)
	s, err := events.OpenStore(ctx, events.StoreConfig{Dir: dir, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if s.ClientAddr() == "" || !s.Embedded() {
		t.Errorf("ClientAddr = %q, Embedded = %v; want an address of an embedded server", s.ClientAddr(), s.Embedded())
	}
	env := mustNew(t, events.RoomCreated, events.RoomCreatedData{Room: "r"})
	if _, err := s.Append(ctx, events.RoomCreated.Subject("r"), env); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = events.OpenStore(ctx, events.StoreConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.ClientAddr() != "" {
		t.Errorf("ClientAddr without a listen address = %q, want none", s.ClientAddr())
	}
	ev, err := s.Get(ctx, 1)
	if err != nil || ev.ID != env.ID {
		t.Errorf("after reopening: Get(1) = %s, %v; want %s", ev.ID, err, env.ID)
	}
}
