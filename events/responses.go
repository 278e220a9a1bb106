package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ResponsesBucket is the key-value bucket that keeps the answers to writes
// made with an Idempotency-Key, shared by every instance.
const ResponsesBucket = "FORUM_RESPONSES"

// ResponseTTL is how long an answer is kept: as long as the stream
// deduplicates message ids, so a retry within it never writes twice.
const ResponseTTL = 10 * time.Minute

// Response is the answer to one write, or (Pending) the mark of a write in
// progress. Fingerprint identifies the request it answers.
type Response struct {
	Fingerprint string `json:"fingerprint"`
	Pending     bool   `json:"pending,omitempty"`
	Status      int    `json:"status,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	Body        []byte `json:"body,omitempty"`
}

// Responses is the bucket of answers.
type Responses struct {
	kv jetstream.KeyValue
}

// ResponsesMaxBytes bounds the bucket of answers: past it, the oldest
// answers go first (their retries are then performed again, which the
// log's message ids make harmless).
const ResponsesMaxBytes = 256 << 20

// responseMaxValue bounds one value of the bucket: an answer of 64 KiB,
// sealed and encoded, with room to spare.
const responseMaxValue = 128 << 10

// Responses opens (making it on first use) the bucket of answers. Its
// stream is made here rather than by the key-value API, whose buckets
// refuse new values when full: this one drops its oldest instead, so that
// it is bounded and one user filling it stops nobody's writes.
func (s *Store) Responses(ctx context.Context) (*Responses, error) {
	_, err := s.kvStream(ctx, ResponsesBucket, jetstream.StreamConfig{
		Description: "Answers to writes made with an Idempotency-Key.",
		MaxAge:      ResponseTTL,
		MaxBytes:    ResponsesMaxBytes,
		MaxMsgSize:  responseMaxValue,
		DenyDelete:  true,
		Discard:     jetstream.DiscardOld,
	})
	if err != nil {
		return nil, fmt.Errorf("responses bucket's stream: %w", err)
	}
	kv, err := s.js.KeyValue(ctx, ResponsesBucket)
	if err != nil {
		return nil, fmt.Errorf("responses bucket: %w", err)
	}
	return &Responses{kv: kv}, nil
}

// Claim marks key as in progress for the request fingerprint and returns
// nil, or returns what the bucket already holds for key (another attempt's
// mark, or its answer).
func (r *Responses) Claim(ctx context.Context, key, fingerprint string) (*Response, error) {
	mark, _ := json.Marshal(Response{Fingerprint: fingerprint, Pending: true})
	_, err := r.kv.Create(ctx, key, mark)
	if err == nil {
		return nil, nil
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return nil, unavailable("claim "+key, err)
	}
	return r.Get(ctx, key)
}

// Get returns what the bucket holds for key, or nil when nothing.
func (r *Responses) Get(ctx context.Context, key string) (*Response, error) {
	e, err := r.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, unavailable("get "+key, err)
	}
	var resp Response
	if err := json.Unmarshal(e.Value(), &resp); err != nil {
		return nil, fmt.Errorf("response %s: %w", key, err)
	}
	return &resp, nil
}

// Complete stores the answer to the write that claimed key.
func (r *Responses) Complete(ctx context.Context, key string, resp Response) error {
	b, err := json.Marshal(resp)
	if err == nil {
		_, err = r.kv.Put(ctx, key, b)
	}
	return err
}

// Release forgets key's mark, so that a retry performs the write (the
// write's message ids make one that did land a duplicate).
func (r *Responses) Release(ctx context.Context, key string) error {
	return r.kv.Delete(ctx, key)
}
