package events_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"forum/events"
)

// A ceremony is taken once, of racing takes by one; one never kept is not
// there; the bucket is bounded in count, bytes and age, and drops its
// oldest when full.
func TestCeremoniesAreTakenOnce(t *testing.T) {
	t.Parallel()
	store := openStore(t)
	ctx := testCtx(t)
	c, err := store.Ceremonies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Take(ctx, "never"); !errors.Is(err, events.ErrNoCeremony) {
		t.Fatalf("Take of a key never kept: %v, want ErrNoCeremony", err)
	}
	if err := c.Put(ctx, "k1", []byte("v1")); err != nil {
		t.Fatal(err)
	}
	if err := c.Put(ctx, "k1", []byte("v2")); err == nil {
		t.Error("Put over a ceremony under way succeeded")
	}
	const racers = 8
	var wg sync.WaitGroup
	got := make([][]byte, racers)
	errs := make([]error, racers)
	for i := range racers {
		wg.Go(func() { got[i], errs[i] = c.Take(ctx, "k1") })
	}
	wg.Wait()
	taken := 0
	for i := range racers {
		switch {
		case errs[i] == nil && string(got[i]) == "v1":
			taken++
		case errors.Is(errs[i], events.ErrNoCeremony):
		default:
			t.Errorf("Take: %q, %v", got[i], errs[i])
		}
	}
	if taken != 1 {
		t.Fatalf("%d of %d racing takes got the ceremony, want 1", taken, racers)
	}
	if err := c.Put(ctx, "big", make([]byte, 8<<10)); err == nil {
		t.Error("a ceremony of 8 KiB was kept")
	}

	js, _ := jetstream.New(store.Conn())
	st, err := js.Stream(ctx, "KV_"+events.CeremoniesBucket)
	if err != nil {
		t.Fatal(err)
	}
	cfg := st.CachedInfo().Config
	if cfg.MaxMsgs != events.CeremoniesMax || cfg.MaxAge != events.CeremonyTTL || cfg.MaxBytes <= 0 || cfg.Discard != jetstream.DiscardOld {
		t.Errorf("the bucket's stream is bounded by %d messages, %v, %d bytes, discard %v", cfg.MaxMsgs, cfg.MaxAge, cfg.MaxBytes, cfg.Discard)
	}
}
