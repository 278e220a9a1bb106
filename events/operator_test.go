package events_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"forum/events"
	"forum/internal/forumtest"
)

// operator is a client logged in as the operator, keeping every
// permissions violation the server reports and every byte it receives.
type operator struct {
	t  *testing.T
	nc *nats.Conn

	mu         sync.Mutex
	violations []string
	got        bytes.Buffer
}

func dialOperator(t *testing.T, url string) *operator {
	t.Helper()
	o := &operator{t: t}
	nc, err := nats.Connect(url, nats.UserInfo(events.OperatorUser, "operator-secret"), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		o.mu.Lock()
		o.violations = append(o.violations, err.Error())
		o.mu.Unlock()
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	o.nc = nc
	return o
}

// keep records a message the operator received, headers and all.
func (o *operator) keep(m *nats.Msg) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.got.WriteString(m.Subject + " " + m.Reply + "\n")
	for k, v := range m.Header {
		o.got.WriteString(k + ": " + strings.Join(v, ",") + "\n")
	}
	o.got.Write(m.Data)
	o.got.WriteByte('\n')
}

// refused waits until the server has reported a violation naming subject.
func (o *operator) refused(what, subject string) {
	o.t.Helper()
	forumtest.Eventually(o.t, what+" refused", func() bool {
		o.mu.Lock()
		defer o.mu.Unlock()
		for _, v := range o.violations {
			if strings.Contains(v, `"`+subject+`"`) {
				return true
			}
		}
		return false
	})
}

// request sends a request the operator must not make, and waits for its refusal.
func (o *operator) request(subject string, body string) {
	o.t.Helper()
	if err := o.nc.PublishRequest(subject, nats.NewInbox(), []byte(body)); err != nil {
		o.t.Fatal(err)
	}
	o.refused("publish to "+subject, subject)
}

// keyForms are the ways a data key could travel: raw, base64 and hex.
func keyForms(key []byte) map[string][]byte {
	return map[string][]byte{
		"raw": key, "hex": []byte(hex.EncodeToString(key)),
		"base64": []byte(base64.StdEncoding.EncodeToString(key)), "raw base64": []byte(base64.RawStdEncoding.EncodeToString(key)),
		"base64url": []byte(base64.URLEncoding.EncodeToString(key)), "raw base64url": []byte(base64.RawURLEncoding.EncodeToString(key)),
	}
}

// The operator, subscribed to everything it may, sees no user's data key
// however the forum uses it: sign-up, sign-in, posts, DMs, a kept answer
// to an Idempotency-Key, a keyring read afresh after a restart, erasure.
// Every subscription it may not make is refused.
func TestOperatorSeesNoDataKey(t *testing.T) {
	t.Parallel()
	store, url := openListeningEmpty(t)
	f := forumtest.Start(t, forumtest.Options{Store: store})
	op := dialOperator(t, url)
	if _, err := op.nc.Subscribe(events.OperatorInboxes, op.keep); err != nil {
		t.Fatal(err)
	}
	for _, subj := range []string{">", "*.>", "$JS.>", "$JS.API.>", "$JS.ACK.>", "$KV.>", "$KV." + events.KeysBucket + ".>",
		"$O.>", "$SYS.>", events.ForumInboxPrefix + ".>", "live.>", "forum.>", "_INBOX_x.>"} {
		if _, err := op.nc.Subscribe(subj, op.keep); err != nil {
			t.Fatal(err)
		}
		op.refused("subscription to "+subj, subj)
	}
	// The operator reads the log meanwhile, so its inbox is busy.
	ojs, _ := jetstream.New(op.nc)
	ctx := forumtest.Context(t)
	if _, err := ojs.Stream(ctx, events.StreamName); err != nil {
		t.Fatalf("the operator cannot read the stream: %v", err)
	}

	ada, bob := f.SignUp("ada"), f.SignUp("bob")
	f.Anon().MustDo("POST", "/api/signin", map[string]string{"login": "ada", "password": forumtest.Password("ada")}, http.StatusOK, nil)
	ada.MustDo("POST", "/api/posts", map[string]any{"title": "hello", "body": "a post", "categories": []string{"general"}}, http.StatusCreated, nil)
	ada.MustDo("POST", "/api/chats/"+bob.User.ID+"/messages", map[string]any{"body": "a DM"}, http.StatusCreated, nil)
	keyedPost(t, f.URL, bob.Token)
	keyedPost(t, f.URL, bob.Token) // answered from the bucket
	picture := uploadPicture(t, f.URL, ada.Token)

	keys := map[string][]byte{}
	kv, err := jetstream.New(store.Conn())
	if err != nil {
		t.Fatal(err)
	}
	bucket, err := kv.KeyValue(ctx, events.KeysBucket)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*forumtest.Client{ada, bob} {
		e, err := bucket.Get(ctx, c.User.ID)
		if err != nil || len(e.Value()) != 32 {
			t.Fatalf("data key of %s: %v", c.User.Nickname, err)
		}
		keys[c.User.Nickname] = e.Value()
	}
	// Another instance's keyring, after a restart, reads every key.
	fresh, err := events.OpenKeyring(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	if err := fresh.Preload(ctx); err != nil {
		t.Fatal(err)
	}
	bob.MustDo("DELETE", "/api/me", map[string]any{"password": forumtest.Password("bob")}, http.StatusNoContent, nil)
	if _, err := ojs.Stream(ctx, events.StreamName); err != nil { // the last answer the operator gets
		t.Fatal(err)
	}

	op.mu.Lock()
	defer op.mu.Unlock()
	if !bytes.Contains(op.got.Bytes(), []byte(`"name":"FORUM"`)) {
		t.Fatalf("the operator's inbox saw none of its own answers:\n%.500s", op.got.Bytes())
	}
	for who, key := range keys {
		for form, b := range keyForms(key) {
			if bytes.Contains(op.got.Bytes(), b) {
				t.Errorf("the operator received %s's data key (%s)", who, form)
			}
		}
	}
	if bytes.Contains(op.got.Bytes(), picture) {
		t.Errorf("the operator received a picture's bytes")
	}
	if _, err := ojs.ObjectStore(ctx, events.MediaBucket); err == nil {
		t.Errorf("the operator opens the bucket of pictures")
	}
}

// uploadPicture uploads a PNG whose pixels are a pattern of its own and
// returns a stretch of its bytes as the forum serves them.
func uploadPicture(t *testing.T, base, token string) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 64, 64))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 31 % 251)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest("POST", base+"/api/uploads", bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "image/png")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Idempotency-Key", "operator-picture-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Upload struct{ URL string } `json:"upload"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: status %d, %v", resp.StatusCode, err)
	}
	got, err := http.Get(base + out.Upload.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Body.Close()
	served, _ := io.ReadAll(got.Body)
	if len(served) < 300 {
		t.Fatalf("the picture served: %d bytes", len(served))
	}
	return served[len(served)/2-64 : len(served)/2+64]
}

// keyedPost writes a post with an Idempotency-Key.
func keyedPost(t *testing.T, base, token string) {
	t.Helper()
	req, err := http.NewRequest("POST", base+"/api/posts", strings.NewReader(`{"title":"kept","body":"kept answer","categories":["general"]}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Idempotency-Key", "operator-test-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("keyed post: status %d", resp.StatusCode)
	}
}

// Nothing of the buckets beside the stream is within the operator's reach,
// nor the forum's consumers: it lives in an account of its own, where the
// only stream is the mirror of the log.
func TestOperatorReachesNothingButTheLog(t *testing.T) {
	t.Parallel()
	store, url := openListening(t)
	ctx := testCtx(t)
	if _, err := store.Keys(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Media(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Responses(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Ceremonies(ctx); err != nil {
		t.Fatal(err)
	}
	follower, err := store.Follow(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer follower.Stop()
	if _, err := follower.Next(ctx); err != nil {
		t.Fatal(err)
	}
	fjs, _ := jetstream.New(store.Conn())
	var forumConsumer string
	fst, err := fjs.Stream(ctx, events.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	for name := range fst.ConsumerNames(ctx).Name() {
		if name != events.MirrorConsumer {
			forumConsumer = name
		}
	}
	if forumConsumer == "" {
		t.Fatal("the forum's follower has no consumer")
	}

	op := dialOperator(t, url)
	js := "$JS.API."
	for _, st := range []string{"KV_" + events.KeysBucket, "KV_" + events.ResponsesBucket, "KV_" + events.CeremoniesBucket, "OBJ_FORUM_MEDIA"} {
		op.request(js+"STREAM.INFO."+st, "")
		op.request(js+"STREAM.MSG.GET."+st, `{"seq":1}`)
		op.request(js+"DIRECT.GET."+st, `{"seq":1}`)
		op.request(js+"DIRECT.GET."+st+".$KV.x.y", "")
	}
	for _, subj := range []string{"$KV." + events.KeysBucket + ".x", "$O.FORUM_MEDIA.x", "forum.room.x.created", "live.session.x.ended",
		js + "STREAM.CREATE.X", js + "STREAM.UPDATE." + events.StreamName, js + "STREAM.DELETE." + events.StreamName,
		js + "STREAM.PURGE." + events.StreamName, js + "STREAM.MSG.DELETE." + events.StreamName,
		js + "STREAM.SNAPSHOT." + events.StreamName, js + "STREAM.RESTORE." + events.StreamName,
		events.MirrorDeliverSubject, events.MirrorAPIPrefix + ".CONSUMER.RESET." + events.StreamName + "." + events.MirrorConsumer,
		"$JS.FC." + events.StreamName + "." + events.MirrorConsumer + ".x"} {
		op.request(subj, `{}`)
	}

	// What it may ask is answered in its own account: one stream, the
	// mirror, and none of the forum's consumers.
	ojs, _ := jetstream.New(op.nc)
	var names []string
	for name := range ojs.StreamNames(ctx).Name() {
		names = append(names, name)
	}
	if len(names) != 1 || names[0] != events.StreamName {
		t.Errorf("the operator sees the streams %v, want only %s", names, events.StreamName)
	}
	mirror, err := ojs.Stream(ctx, events.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	if m := mirror.CachedInfo().Config.Mirror; m == nil || m.Name != events.StreamName || len(mirror.CachedInfo().Config.Subjects) != 0 {
		t.Errorf("the operator's %s is no mirror of the log: %+v", events.StreamName, mirror.CachedInfo().Config)
	}
	for name := range mirror.ConsumerNames(ctx).Name() {
		t.Errorf("the operator lists the consumer %s", name)
	}
	for _, name := range []string{forumConsumer, events.MirrorConsumer} {
		if _, err := mirror.Consumer(ctx, name); !errors.Is(err, jetstream.ErrConsumerNotFound) {
			t.Errorf("the operator looks at the forum's consumer %s: %v", name, err)
		}
		if err := mirror.DeleteConsumer(ctx, name); !errors.Is(err, jetstream.ErrConsumerNotFound) {
			t.Errorf("the operator deletes the forum's consumer %s: %v", name, err)
		}
	}
	if _, err := ojs.CreateConsumer(ctx, "KV_"+events.KeysBucket, jetstream.ConsumerConfig{}); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Errorf("a consumer of the keys: %v", err)
	}
	left := map[string]bool{}
	for name := range fst.ConsumerNames(ctx).Name() {
		left[name] = true
	}
	if !left[forumConsumer] || !left[events.MirrorConsumer] {
		t.Errorf("the forum's consumers are gone: %v left", left)
	}
	// Its consumers are its own and bounded, and none is durable: one
	// asked for as durable goes after a while unused like any other, and
	// one asking to live longer unused is refused.
	if c, err := mirror.CreateConsumer(ctx, jetstream.ConsumerConfig{Durable: "mine"}); err != nil {
		t.Errorf("a consumer of its own: %v", err)
	} else if got := c.CachedInfo().Config.InactiveThreshold; got != events.OperatorConsumerIdle {
		t.Errorf("a durable of the operator's lives %v unused, want %v", got, events.OperatorConsumerIdle)
	}
	if _, err := mirror.CreateConsumer(ctx, jetstream.ConsumerConfig{Durable: "forever", InactiveThreshold: 24 * time.Hour}); err == nil {
		t.Error("the operator made a consumer that outlives the idle limit")
	}
	info, err := ojs.AccountInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if l := info.Limits; l.MaxConsumers != events.OperatorMaxConsumers || l.MaxStreams != 1 || l.MaxMemory != 0 {
		t.Errorf("the operator's account limits: %+v", l)
	}
}

// Destroying a key never reads it: a tap on every subject of the server
// sees the erasure's messages and not the key.
func TestDestroyReadsNoKey(t *testing.T) {
	t.Parallel()
	store, url := openListening(t)
	ctx := testCtx(t)
	k, err := store.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Seal(ctx, "u1", "some text"); err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(store.Conn())
	bucket, err := js.KeyValue(ctx, events.KeysBucket)
	if err != nil {
		t.Fatal(err)
	}
	e, err := bucket.Get(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	tap, err := nats.Connect(url, nats.UserInfo(events.ForumUser, "forum-secret"))
	if err != nil {
		t.Fatal(err)
	}
	defer tap.Close()
	var mu sync.Mutex
	var seen bytes.Buffer
	if _, err := tap.Subscribe(">", func(m *nats.Msg) {
		mu.Lock()
		seen.WriteString(m.Subject + "\n")
		seen.Write(m.Data)
		mu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	tap.Flush()
	if err := k.Destroy(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	store.Conn().Publish("tap.end", nil) // the tap has everything before it once it has this
	forumtest.Eventually(t, "the tap's end", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return bytes.Contains(seen.Bytes(), []byte("tap.end"))
	})
	mu.Lock()
	defer mu.Unlock()
	if !bytes.Contains(seen.Bytes(), []byte("STREAM.MSG.DELETE.KV_"+events.KeysBucket)) {
		t.Errorf("the tap did not see the erasure:\n%s", seen.Bytes())
	}
	for form, b := range keyForms(e.Value()) {
		if bytes.Contains(seen.Bytes(), b) {
			t.Errorf("the key travelled during its erasure (%s)", form)
		}
	}
	st, _ := js.Stream(ctx, "KV_"+events.KeysBucket)
	if _, err := st.GetMsg(ctx, e.Revision()); err == nil {
		t.Error("the key's message is still in the bucket's stream")
	}
}

// attackSetup opens a store with one event and one data key (u1), the
// forum listening on live.session.x.ended, and the operator logged in
// with its mirror caught up.
func attackSetup(t *testing.T) (*events.Store, *operator, *nats.Subscription) {
	t.Helper()
	store, url := openListening(t)
	ctx := testCtx(t)
	k, err := store.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Seal(ctx, "u1", "some text"); err != nil {
		t.Fatal(err)
	}
	live, err := store.Conn().SubscribeSync("live.session.x.ended")
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Conn().Flush(); err != nil {
		t.Fatal(err)
	}
	op := dialOperator(t, url)
	ojs, _ := jetstream.New(op.nc)
	forumtest.Eventually(t, "the mirror to catch up", func() bool {
		st, err := ojs.Stream(ctx, events.StreamName)
		return err == nil && st.CachedInfo().State.LastSeq == 1
	})
	return store, op, live
}

// nothingLanded checks that the log, the keys and live.> hold only what
// the forum itself writes now, after the operator's attempts: its own
// append and key come right after the ones before them, u1's key is
// untouched, and the first message on live.session.x.ended is the forum's.
func nothingLanded(t *testing.T, store *events.Store, live *nats.Subscription) {
	t.Helper()
	ctx := testCtx(t)
	fjs, _ := jetstream.New(store.Conn())
	bucket, err := fjs.KeyValue(ctx, events.KeysBucket)
	if err != nil {
		t.Fatal(err)
	}
	key, err := bucket.Get(ctx, "u1")
	if err != nil || key.Revision() != 1 {
		t.Errorf("u1's key: revision %d, %v; want revision 1", key.Revision(), err)
	}
	ack, err := store.Append(ctx, events.RoomCreated.Subject("after"), mustNew(t, events.RoomCreated, events.RoomCreatedData{Room: "after"}))
	if err != nil || ack.Seq != 2 {
		t.Errorf("the forum's next event landed at %d (%v), want 2: the operator wrote to the log", ack.Seq, err)
	}
	rev, err := bucket.Put(ctx, "after", []byte("after"))
	if err != nil || rev != 2 {
		t.Errorf("the forum's next key landed at %d (%v), want 2: the operator wrote to the keys", rev, err)
	}
	if err := store.Conn().Publish("live.session.x.ended", []byte("forum")); err != nil {
		t.Fatal(err)
	}
	if m, err := live.NextMsg(10 * time.Second); err != nil || string(m.Data) != "forum" {
		t.Errorf("live.session.x.ended: %v; the forum's message should come first", err)
		if err == nil {
			t.Errorf("the operator reached live.>: %.200s", m.Data)
		}
	}
}

// No answer the operator asks for, whatever reply subject it names, lands
// on a subject of the forum's: not the log (a stored event's bytes and
// headers replayed), not a key, not live.>. Each kind of request is
// answered on its own inbox afterwards, so the ones before are done.
func TestOperatorRepliesStayInItsAccount(t *testing.T) {
	t.Parallel()
	store, op, live := attackSetup(t)
	ctx := testCtx(t)
	js := "$JS.API."
	requests := []struct{ subject, body string }{
		{js + "DIRECT.GET." + events.StreamName, `{"seq":1}`},
		{js + "DIRECT.GET." + events.StreamName + "." + events.RoomCreated.Subject("lobby"), ""},
		{js + "STREAM.MSG.GET." + events.StreamName, `{"seq":1}`},
		{js + "STREAM.INFO." + events.StreamName, ""},
	}
	for _, reply := range []string{"forum.post.x.created", "$KV." + events.KeysBucket + ".u1", "live.session.x.ended"} {
		for _, r := range requests {
			if err := op.nc.PublishRequest(r.subject, reply, []byte(r.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, r := range requests {
		if _, err := op.nc.RequestWithContext(ctx, r.subject, []byte(r.body)); err != nil {
			t.Fatalf("%s: %v", r.subject, err)
		}
	}
	nothingLanded(t, store, live)
}

// A push consumer of the operator's delivers only within its account:
// aimed at a key or at live.>, it finds nobody to deliver to there.
func TestOperatorConsumersStayInItsAccount(t *testing.T) {
	t.Parallel()
	store, op, live := attackSetup(t)
	ctx := testCtx(t)
	ojs, _ := jetstream.New(op.nc)
	for i, deliver := range []string{"$KV." + events.KeysBucket + ".u1", "live.session.x.ended"} {
		c, err := ojs.CreateOrUpdatePushConsumer(ctx, events.StreamName, jetstream.ConsumerConfig{
			Name: fmt.Sprint("push", i), DeliverSubject: deliver, AckPolicy: jetstream.AckNonePolicy,
		})
		if err != nil {
			t.Fatalf("push consumer onto %s: %v", deliver, err)
		}
		// Settled once the forum's account has no such consumer, or has
		// one with nobody to deliver to, or has seen it deliver.
		forumtest.Eventually(t, "the push consumer to settle", func() bool {
			m, err := store.Conn().RequestWithContext(ctx, "$JS.API.CONSUMER.INFO."+events.StreamName+"."+c.CachedInfo().Name, nil)
			var got struct {
				Error     *jetstream.APIError    `json:"error"`
				Delivered jetstream.SequenceInfo `json:"delivered"`
				PushBound bool                   `json:"push_bound"`
			}
			return err == nil && json.Unmarshal(m.Data, &got) == nil &&
				(got.Error != nil && got.Error.Code == 404 || !got.PushBound || got.Delivered.Consumer > 0)
		})
	}
	nothingLanded(t, store, live)
}
