package gateway_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"forum/events"
	"forum/gateway"
	"forum/internal/forumtest"
	"forum/projections"
)

// An answer over 64 KiB is not kept for retries: the retry is answered
// anew, and the write still happens once (its events carry the first
// attempt's message ids). The bucket is bounded in bytes, dropping its
// oldest answers, and each answer expires.
func TestLargeAnswersNotKept(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ann := f.SignUp("ann")
	big := map[string]any{"title": "Angles", "body": strings.Repeat("<", 19000), "categories": []string{"general"}}
	status, replayed, first := idemDo(t, ann, f.URL, "POST", "/api/posts", "big-1", big)
	if status != http.StatusCreated || replayed || len(first) <= gateway.MaxKeptAnswer {
		t.Fatalf("a post whose answer is large: %d, replayed %v, %d bytes; want 201 over %d bytes", status, replayed, len(first), gateway.MaxKeptAnswer)
	}
	kv, stream := responsesBucket(t, f)
	if _, err := kv.Get(forumtest.Context(t), responseKey(ann.User.ID, "big-1")); !errors.Is(err, jetstream.ErrKeyNotFound) && !errors.Is(err, jetstream.ErrKeyDeleted) {
		t.Errorf("the large answer in the bucket: %v, want none", err)
	}
	status, replayed, again := idemDo(t, ann, f.URL, "POST", "/api/posts", "big-1", big)
	var a, b struct{ Post projections.Post }
	json.Unmarshal([]byte(first), &a)
	json.Unmarshal([]byte(again), &b)
	if status != http.StatusCreated || replayed || a.Post.ID == "" || b.Post.ID != a.Post.ID {
		t.Errorf("the retry: %d, replayed %v, post %q; want 201 answered anew with the same post %q", status, replayed, b.Post.ID, a.Post.ID)
	}
	var posts projections.Page[projections.Post]
	ann.MustDo("GET", "/api/posts", nil, http.StatusOK, &posts)
	if n := len(posts.Items); n != 1 {
		t.Errorf("%d posts after a retried write, want 1", n)
	}
	// A small answer is kept, and replayed.
	small := map[string]any{"title": "Small", "body": "small", "categories": []string{"general"}}
	idemDo(t, ann, f.URL, "POST", "/api/posts", "small-1", small)
	if _, replayed, _ := idemDo(t, ann, f.URL, "POST", "/api/posts", "small-1", small); !replayed {
		t.Errorf("a small answer was not replayed")
	}
	// The key the large answer was looked for under is where answers are kept.
	if _, err := kv.Get(forumtest.Context(t), responseKey(ann.User.ID, "small-1")); err != nil {
		t.Errorf("the small answer in the bucket: %v", err)
	}
	cfg := stream.CachedInfo().Config
	if cfg.MaxBytes != events.ResponsesMaxBytes || cfg.Discard != jetstream.DiscardOld || cfg.MaxAge != events.ResponseTTL || cfg.MaxMsgSize <= 0 {
		t.Errorf("the bucket's stream: max bytes %d, discard %v, max age %v, max value %d; want %d, old, %v and a bound",
			cfg.MaxBytes, cfg.Discard, cfg.MaxAge, cfg.MaxMsgSize, events.ResponsesMaxBytes, events.ResponseTTL)
	}
}

// responsesBucket opens the bucket of answers of f, and its stream.
func responsesBucket(t *testing.T, f *forumtest.Forum) (jetstream.KeyValue, jetstream.Stream) {
	t.Helper()
	ctx := forumtest.Context(t)
	js, err := jetstream.New(f.Store.Conn())
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, events.ResponsesBucket)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx, "KV_"+events.ResponsesBucket)
	if err != nil {
		t.Fatal(err)
	}
	return kv, st
}

// responseKey is the bucket's key of user's Idempotency-Key key.
func responseKey(user, key string) string {
	sum := sha256.Sum256([]byte(user + "\x00" + key))
	return hex.EncodeToString(sum[:])
}
