package commands

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"forum/events"
)

// Exported is one event of a user's export.
type Exported struct {
	Seq     uint64          `json:"seq"`
	Subject string          `json:"subject"`
	Type    events.Type     `json:"type"`
	Version int             `json:"version"`
	Time    time.Time       `json:"time"`
	Data    json.RawMessage `json:"data"`
}

// Export calls fn with every event user made, oldest first, its personal
// data readable.
func (s *Service) Export(ctx context.Context, user events.UserID, fn func(Exported) error) error {
	var after uint64
	for {
		seqs, err := s.DB.ActorSeqs(ctx, user, after, 500)
		if err != nil {
			return err
		}
		if len(seqs) == 0 {
			return nil
		}
		for _, seq := range seqs {
			after = seq // a missing event too: the next page starts past it
			ev, err := s.Store.Get(ctx, seq)
			if errors.Is(err, events.ErrNoEvent) {
				continue
			}
			if err != nil {
				return err
			}
			data, err := s.readable(ctx, ev)
			if err != nil {
				return err
			}
			if err := fn(Exported{Seq: ev.Seq, Subject: ev.Subject, Type: ev.Type, Version: ev.Version, Time: ev.Time, Data: data}); err != nil {
				return err
			}
		}
	}
}

// readable returns an event's payload with its personal data opened.
func (s *Service) readable(ctx context.Context, ev events.Event) (json.RawMessage, error) {
	spec, ok := events.Lookup(ev.Type)
	if !ok {
		return json.RawMessage(ev.Data), nil
	}
	d := spec.NewPayload()
	if err := s.openedPayload(ctx, ev, d); err != nil {
		return nil, err
	}
	if c, ok := d.(interface{ Credentials() []*string }); ok {
		for _, f := range c.Credentials() {
			*f = "" // a password's hash or a session's token hash is no one's to download
		}
	}
	return json.Marshal(d)
}
