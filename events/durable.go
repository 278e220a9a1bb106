package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// DurableConfig shapes a durable consumer of the stream.
type DurableConfig struct {
	// Name is the consumer's durable name: a stable contract, since a new
	// name starts again from the beginning of the stream.
	Name string
	// Subjects are the filters of the events it is handed.
	Subjects []string
	// AckWait is how long an event handed out waits for its answer before
	// it is handed out again (to any instance); default 1 minute.
	AckWait time.Duration
	// MaxAckPending bounds the events handed out and not yet answered,
	// across every instance; default 64.
	MaxAckPending int
	// Prefetch is how many events this instance asks for at a time;
	// default 1.
	Prefetch int
}

// Durable is a consumer of the stream whose progress the server keeps and
// every instance shares: an event is handed to one of them at a time, and
// handed out again (to any) until it is acknowledged, so a process killed
// while handling one loses nothing.
type Durable struct {
	cons jetstream.Consumer
	iter jetstream.MessagesContext
}

// Delivery is one event handed out by a Durable, to be answered with Ack,
// Retry or Drop.
type Delivery struct {
	Event
	// Attempt counts the times it was handed out, this one included.
	Attempt uint64
	msg     jetstream.Msg
}

// Durable makes (or finds) the durable consumer cfg.Name and starts taking
// events from it. It fails if the server does not answer within 10 seconds.
func (s *Store) Durable(ctx context.Context, cfg DurableConfig) (*Durable, error) {
	if cfg.AckWait == 0 {
		cfg.AckWait = time.Minute
	}
	if cfg.MaxAckPending == 0 {
		cfg.MaxAckPending = 64
	}
	if cfg.Prefetch == 0 {
		cfg.Prefetch = 1
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cons, err := s.js.CreateOrUpdateConsumer(cctx, StreamName, jetstream.ConsumerConfig{
		Durable:        cfg.Name,
		Description:    "A durable outbox: side effects of events, each performed by one instance.",
		FilterSubjects: cfg.Subjects,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        cfg.AckWait,
		MaxAckPending:  cfg.MaxAckPending,
		MaxDeliver:     -1,
		Replicas:       s.replicas,
	})
	if err != nil {
		return nil, unavailable("durable consumer "+cfg.Name, err)
	}
	iter, err := cons.Messages(jetstream.PullMaxMessages(cfg.Prefetch))
	if err != nil {
		return nil, unavailable("durable consumer "+cfg.Name, err)
	}
	return &Durable{cons: cons, iter: iter}, nil
}

// Next blocks until the next event is handed out or ctx ends. An event
// that does not decode comes back with Undecodable set.
func (d *Durable) Next(ctx context.Context) (*Delivery, error) {
	msg, err := d.iter.Next(jetstream.NextContext(ctx))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			return nil, err
		}
		return nil, fmt.Errorf("next event: %w", err)
	}
	meta, err := msg.Metadata()
	if err != nil {
		return nil, fmt.Errorf("event metadata: %w", err)
	}
	ev, err := decodeRaw(meta.Sequence.Stream, msg.Subject(), msg.Data())
	if err != nil {
		ev = Event{Seq: meta.Sequence.Stream, Subject: msg.Subject(), Undecodable: err.Error()}
		ev.Type = Type(msg.Headers().Get(HeaderType))
	}
	return &Delivery{Event: ev, Attempt: meta.NumDelivered, msg: msg}, nil
}

// Stop stops taking events; those handed out and not answered are handed
// out again when their AckWait ends. The consumer stays, with its progress.
func (d *Durable) Stop() { d.iter.Stop() }

// Ack says the event is done for good, and waits for the server to record it.
func (d *Delivery) Ack(ctx context.Context) error { return d.msg.DoubleAck(ctx) }

// Retry hands the event out again after delay.
func (d *Delivery) Retry(delay time.Duration) error { return d.msg.NakWithDelay(delay) }

// Drop gives up on the event: it is never handed out again.
func (d *Delivery) Drop() error { return d.msg.Term() }

// Working restarts the event's AckWait: it is still being handled.
func (d *Delivery) Working() error { return d.msg.InProgress() }

// DurablePending returns how many events of the durable consumer name wait
// to be handed out, and how many are handed out and not yet answered.
func (s *Store) DurablePending(ctx context.Context, name string) (waiting, unanswered uint64, err error) {
	cons, err := s.js.Consumer(ctx, StreamName, name)
	if err != nil {
		return 0, 0, unavailable("durable consumer "+name, err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return 0, 0, unavailable("durable consumer "+name, err)
	}
	return info.NumPending, uint64(info.NumAckPending), nil
}
