package events_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
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
// nor the forum's consumers; the consumers it makes are bounded.
func TestOperatorReachesNothingButTheLog(t *testing.T) {
	t.Parallel()
	store, url := openListening(t)
	ctx := testCtx(t)
	if _, err := store.Keys(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Responses(ctx); err != nil {
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
		forumConsumer = name
	}
	if forumConsumer == "" {
		t.Fatal("the forum's follower has no consumer")
	}

	op := dialOperator(t, url)
	js := "$JS.API."
	for _, st := range []string{"KV_" + events.KeysBucket, "KV_" + events.ResponsesBucket, "OBJ_FORUM_MEDIA"} {
		op.request(js+"STREAM.INFO."+st, "")
		op.request(js+"STREAM.MSG.GET."+st, `{"seq":1}`)
		op.request(js+"DIRECT.GET."+st, `{"seq":1}`)
		op.request(js+"DIRECT.GET."+st+".$KV.x.y", "")
		op.request(js+"CONSUMER.CREATE."+st, `{"stream_name":"`+st+`","config":{}}`)
		op.request(js+"CONSUMER.CREATE."+st+".peek", `{"stream_name":"`+st+`","config":{"name":"peek"}}`)
	}
	for _, subj := range []string{js + "INFO", js + "STREAM.LIST", js + "STREAM.NAMES", "$KV." + events.KeysBucket + ".x", "$O.FORUM_MEDIA.x",
		js + "CONSUMER.NAMES." + events.StreamName, js + "CONSUMER.LIST." + events.StreamName, js + "CONSUMER.INFO." + events.StreamName + "." + forumConsumer,
		js + "CONSUMER.DELETE." + events.StreamName + "." + forumConsumer, js + "CONSUMER.DURABLE.CREATE." + events.StreamName + ".mine",
		js + "STREAM.UPDATE." + events.StreamName, js + "STREAM.DELETE." + events.StreamName, "forum.room.x.created", "live.session.x.ended"} {
		op.request(subj, `{}`)
	}
	if _, err := fjs.Consumer(ctx, events.StreamName, forumConsumer); err != nil {
		t.Errorf("the forum's consumer is gone: %v", err)
	}

	// A durable consumer is made through the same subject as the CLI's
	// consumers; it is bounded: it goes once idle for the limit, and one
	// asking to stay longer is refused.
	ojs, _ := jetstream.New(op.nc)
	st, err := ojs.Stream(ctx, events.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	if cfg := st.CachedInfo().Config; cfg.MaxConsumers != events.MaxConsumers || cfg.ConsumerLimits.InactiveThreshold != events.ConsumerIdleLimit {
		t.Errorf("stream bounds: max %d consumers, idle limit %v", cfg.MaxConsumers, cfg.ConsumerLimits.InactiveThreshold)
	}
	c, err := st.CreateConsumer(ctx, jetstream.ConsumerConfig{Durable: "mine"})
	if err != nil {
		t.Fatalf("durable: %v", err)
	}
	if got := c.CachedInfo().Config.InactiveThreshold; got != events.ConsumerIdleLimit {
		t.Errorf("the operator's durable goes when idle for %v, want %v", got, events.ConsumerIdleLimit)
	}
	if _, err := st.CreateConsumer(ctx, jetstream.ConsumerConfig{Durable: "forever", InactiveThreshold: time.Hour}); err == nil {
		t.Error("a durable idle for an hour was accepted")
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
