package projections_test

import (
	"context"
	"testing"

	"forum/events"
	"forum/internal/forumtest"
	"forum/projections"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Junk on forum.> and an event of a version this program does not know
// are quarantined: recorded, counted and skipped. The projector follows on.
func TestPoisonEventsAreQuarantined(t *testing.T) {
	t.Parallel()
	c := forumtest.NewCore(t, forumtest.Options{})
	nc := c.Store.Conn()
	js := []struct{ subject, data string }{
		{"forum.junk.x.y", `not json at all`},
		{"forum.post.x.created", `{"id":"x","type":"post.created","version":99,"time":"2026-01-01T00:00:00Z","data":{}}`},
		{"forum.post.y.created", `{"id":"y","type":"post.created","version":2,"time":"2026-01-01T00:00:00Z","data":{"post_id":5}}`},
		{"forum.future.z.happened", `{"id":"z","type":"future.happened","version":1,"time":"2026-01-01T00:00:00Z","data":{}}`},
	}
	ctx := forumtest.Context(t)
	jsc, err := jetstreamOf(nc)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range js {
		if _, err := jsc.Publish(ctx, m.subject, []byte(m.data)); err != nil {
			t.Fatal(err)
		}
	}
	// A good event after the junk is applied.
	id := c.Register("after")
	if _, err := c.DB.User(ctx, events.UserID(id)); err != nil {
		t.Fatalf("the event after the poison was not applied: %v", err)
	}
	q, err := c.DB.Quarantined(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != len(js) {
		t.Fatalf("%d quarantined, want %d: %+v", len(q), len(js), q)
	}
	for i, e := range q {
		if e.Subject != js[i].subject || e.Reason == "" {
			t.Errorf("quarantined %+v, want subject %s with a reason", e, js[i].subject)
		}
	}
	if got := c.Proj.Quarantined(); got != uint64(len(js)) {
		t.Errorf("Quarantined() = %d, want %d", got, len(js))
	}
	// A rebuild quarantines them the same way.
	res, err := projections.Rebuild(ctx, c.Store, projections.RebuildOptions{Path: t.TempDir() + "/re.db"})
	if err != nil {
		t.Fatalf("rebuild over poison: %v", err)
	}
	if last, _ := c.Store.LastSeq(ctx); res.Seq != last {
		t.Errorf("rebuild stopped at %d of %d", res.Seq, last)
	}
}

func jetstreamOf(nc *nats.Conn) (jetstream.JetStream, error) { return jetstream.New(nc) }
