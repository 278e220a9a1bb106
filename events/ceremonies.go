package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// CeremoniesBucket is the key-value bucket of WebAuthn ceremonies under way:
// what a passkey's enrolment or sign-in began with (its challenge), kept
// until it finishes, on whichever instance that is.
const CeremoniesBucket = "FORUM_CEREMONIES"

// CeremonyTTL is how long a ceremony may take: the bucket forgets one begun
// longer ago.
const CeremonyTTL = 5 * time.Minute

// Bounds of the bucket: at most CeremoniesMax ceremonies under way (past it
// the oldest are forgotten, so a flood of begun ceremonies stops nobody from
// beginning one), each at most ceremonyMaxValue bytes.
const (
	CeremoniesMax    = 100_000
	ceremonyMaxValue = 4 << 10
)

// ErrNoCeremony is returned by Take for a ceremony that was never begun,
// was taken already, or was forgotten.
var ErrNoCeremony = errors.New("no such ceremony")

// Ceremonies is the bucket of ceremonies under way, shared by every
// instance. Each is taken once: of two finishes racing for it, one gets it.
type Ceremonies struct {
	kv jetstream.KeyValue
}

// Ceremonies opens (making it on first use) the bucket of ceremonies. Its
// stream is made here rather than by the key-value API, to bound it by
// count and age and drop its oldest when full.
func (s *Store) Ceremonies(ctx context.Context) (*Ceremonies, error) {
	_, err := s.kvStream(ctx, CeremoniesBucket, jetstream.StreamConfig{
		Description: "WebAuthn ceremonies under way: each one's challenge, until it finishes.",
		MaxAge:      CeremonyTTL,
		MaxMsgs:     CeremoniesMax,
		MaxBytes:    CeremoniesMax * ceremonyMaxValue / 4,
		MaxMsgSize:  ceremonyMaxValue,
		DenyDelete:  true,
		Discard:     jetstream.DiscardOld,
	})
	if err != nil {
		return nil, unavailable("ceremonies bucket's stream", err)
	}
	kv, err := s.js.KeyValue(ctx, CeremoniesBucket)
	if err != nil {
		return nil, unavailable("ceremonies bucket", err)
	}
	return &Ceremonies{kv: kv}, nil
}

// Put keeps a ceremony's value under key (made of letters, digits, '-' and
// '_'); a key in use is an error.
func (c *Ceremonies) Put(ctx context.Context, key string, value []byte) error {
	if len(value) > ceremonyMaxValue-256 {
		return fmt.Errorf("ceremony %s: %d bytes, more than a ceremony holds", key, len(value))
	}
	if _, err := c.kv.Create(ctx, key, value); err != nil {
		return unavailable("keep ceremony", err)
	}
	return nil
}

// Take returns the ceremony under key and forgets it, so that it finishes
// once: ErrNoCeremony when there is none (never begun, taken, or older than
// CeremonyTTL).
func (c *Ceremonies) Take(ctx context.Context, key string) ([]byte, error) {
	e, err := c.kv.Get(ctx, key)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound), errors.Is(err, jetstream.ErrInvalidKey):
		return nil, ErrNoCeremony
	case err != nil:
		return nil, unavailable("read ceremony", err)
	}
	// Forget it only if nobody has since: the one whose delete lands takes it.
	if err := c.kv.Delete(ctx, key, jetstream.LastRevision(e.Revision())); err != nil {
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence || apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant) {
			return nil, ErrNoCeremony
		}
		return nil, unavailable("take ceremony", err)
	}
	return e.Value(), nil
}
