// Package events owns the forum's vocabulary: one payload type per event, the
// versioned envelope and its codec, the subject names. Beside it live its
// adapters on JetStream: the store that appends events to the stream FORUM
// and reads them back (jetstream.go; the embedded server in embedded.go), the
// keyring of users' data keys (keyring.go), and the answers kept for
// Idempotency-Key retries (responses.go).
package events

import (
	"encoding/json"
	"fmt"
	"reflect"
	"time"
)

// Envelope is the JSON form of every event in the stream. Every clock reading
// and id an apply function needs is decided by the command and carried here.
type Envelope struct {
	ID      string          `json:"id"`
	Type    Type            `json:"type"`
	Version int             `json:"version"`
	Time    time.Time       `json:"time"`
	Actor   string          `json:"actor,omitempty"`
	Data    json.RawMessage `json:"data"`
}

// Event is an envelope as read back from the stream, with its position.
// A message that does not decode (junk on forum.>, or a version this
// program does not know) is an Event too, with only Seq, Subject and
// Undecodable (why) set, so readers can record it and go past it.
type Event struct {
	Seq         uint64
	Subject     string
	Undecodable string
	Envelope
	// Decoded, when set, is the payload already decoded (a pointer to its
	// registered type) by a reader that decodes ahead of use (DecodeAhead).
	Decoded any
}

// DecodeAhead decodes the payload of a registered type into e.Decoded, so
// that the one who applies it need not: a reader decodes beside the
// writer. A payload that does not decode is left for its user to find.
func (e *Event) DecodeAhead() {
	spec, ok := registry[e.Type]
	if !ok || e.Undecodable != "" {
		return
	}
	p := spec.NewPayload()
	if e.Payload(p) == nil {
		e.Decoded = p
	}
}

// New returns the envelope of an event of type t with payload data, made at
// now by actor (a user id, or "" for the system). It fails when t is not
// registered, when data is not t's payload type, or when data does not marshal.
func New(id string, t Type, now time.Time, actor string, data any) (Envelope, error) {
	spec, ok := registry[t]
	if !ok {
		return Envelope{}, fmt.Errorf("new event: unregistered type %q", t)
	}
	if got := reflect.TypeOf(data); got != spec.Payload {
		return Envelope{}, fmt.Errorf("new %s: payload is %v, want %v", t, got, spec.Payload)
	}
	raw, err := jsonMarshalNoEscape(data)
	if err != nil {
		return Envelope{}, fmt.Errorf("marshal %s: %w", t, err)
	}
	return Envelope{ID: id, Type: t, Version: spec.Version, Time: now.UTC().Truncate(time.Millisecond), Actor: actor, Data: raw}, nil
}

// Decode parses one stored message into an envelope and upcasts it to the
// current version of its type. It fails on malformed JSON, an envelope
// without a type or data, or an unknown version.
func Decode(raw []byte) (Envelope, error) {
	var env Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return Envelope{}, fmt.Errorf("decode envelope: %w", err)
	}
	if env.Type == "" || len(env.Data) == 0 || string(env.Data) == "null" {
		return Envelope{}, fmt.Errorf("decode envelope: no type or no data")
	}
	if err := upcast(&env); err != nil {
		return Envelope{}, err
	}
	return env, nil
}

// Payload unmarshals the envelope's data into v.
func (e Envelope) Payload(v any) error {
	if err := json.Unmarshal(e.Data, v); err != nil {
		return fmt.Errorf("decode %s v%d: %w", e.Type, e.Version, err)
	}
	return nil
}

// upcast rewrites old versions of an event to the current one, one step at a
// time, so old events replay through today's apply functions.
func upcast(env *Envelope) error {
	if env.Version == 0 {
		env.Version = 1
	}
	for env.Version < CurrentVersion(env.Type) {
		step, ok := upcasters[upcastKey{env.Type, env.Version}]
		if !ok {
			return fmt.Errorf("no upcaster for %s v%d", env.Type, env.Version)
		}
		data, err := step(env.Data)
		if err != nil {
			return fmt.Errorf("upcast %s v%d: %w", env.Type, env.Version, err)
		}
		env.Data = data
		env.Version++
	}
	if env.Version > CurrentVersion(env.Type) {
		return fmt.Errorf("%s v%d is newer than this program knows (v%d)", env.Type, env.Version, CurrentVersion(env.Type))
	}
	return nil
}

type upcastKey struct {
	typ     Type
	version int
}

// upcasters maps (type, version) to the function that lifts data to version+1.
var upcasters = map[upcastKey]func(json.RawMessage) (json.RawMessage, error){
	// post.created v1 named a single category; v2 has a list.
	{PostCreated, 1}: func(data json.RawMessage) (json.RawMessage, error) {
		var v1 struct {
			PostID   string `json:"post_id"`
			AuthorID string `json:"author_id"`
			Title    string `json:"title"`
			Body     string `json:"body"`
			Category string `json:"category"`
		}
		if err := json.Unmarshal(data, &v1); err != nil {
			return nil, err
		}
		return jsonMarshalNoEscape(PostCreatedData{PostID: v1.PostID, AuthorID: v1.AuthorID, Title: v1.Title, Body: v1.Body, Categories: []string{v1.Category}})
	},
	// session.started v1 had no user agent; v2 has one, empty for those.
	{SessionStarted, 1}: func(data json.RawMessage) (json.RawMessage, error) {
		var d SessionStartedData
		if err := json.Unmarshal(data, &d); err != nil {
			return nil, err
		}
		return jsonMarshalNoEscape(d)
	},
	// upload.created v1 had no hash; v2 has one, empty for those.
	{UploadCreated, 1}: func(data json.RawMessage) (json.RawMessage, error) {
		var d UploadCreatedData
		if err := json.Unmarshal(data, &d); err != nil {
			return nil, err
		}
		return jsonMarshalNoEscape(d)
	},
}
