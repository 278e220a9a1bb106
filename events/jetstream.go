package events

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"forum/fault"
)

// Message headers every event carries.
const (
	HeaderType  = "Forum-Event-Type"
	HeaderMsgID = "Nats-Msg-Id"
)

// ErrConflict is returned by Append when an expected last subject sequence
// did not hold: someone else appended to that subject first.
var ErrConflict = errors.New("expected last subject sequence did not hold")

// ErrNoEvent is returned by Last and Get when no event matches.
var ErrNoEvent = errors.New("no such event")

// StoreConfig says where the stream lives.
type StoreConfig struct {
	// URL of an existing NATS cluster; empty starts an embedded server.
	URL string
	// CredsFile (a NATS credentials file), or User and Password, are the
	// login on the cluster at URL.
	CredsFile, User, Password string
	// ForumPassword is the embedded server's password for ForumUser (empty:
	// a random one that only this process knows), OperatorPassword its
	// password for OperatorUser (empty: no operator login).
	ForumPassword, OperatorPassword string
	// Dir is the embedded server's JetStream store directory.
	Dir string
	// Listen is the embedded server's client address (host:port, port 0 picks
	// one); "" or "off" opens no client port (the forum still connects in-process).
	Listen string
	// Replicas of the stream on a cluster (default 1 embedded, 3 external).
	Replicas int
	// SyncAlways makes the embedded server fsync every write before it
	// acknowledges it; otherwise it syncs every two minutes (a killed process
	// loses nothing acknowledged; a power cut may lose the last interval).
	SyncAlways bool
	Logger     *slog.Logger
}

// Store appends events to the stream FORUM and reads them back.
type Store struct {
	srvMu    sync.Mutex
	srv      *server.Server // the embedded server (nil for a cluster); replaced by a restart
	cfg      StoreConfig    // what the embedded server was started with
	stuck    atomic.Bool    // a write to the embedded server got no answer
	stop     chan struct{}  // ends keepStoring
	wg       sync.WaitGroup
	nc       *nats.Conn
	js       jetstream.JetStream
	stream   jetstream.Stream
	replicas int          // of the stream, and of the buckets beside it
	prefix   string       // of the names of this store's consumers
	follows  atomic.Int64 // Follow calls so far: each consumer's name is new

	keysOnce sync.Once // Keys opens the bucket of data keys once
	keys     *Keyring
	keysErr  error

	mediaMu sync.Mutex // Media opens the bucket of pictures once it can
	media   *Media
}

// OpenStore starts the embedded NATS server (or connects to cfg.URL), then
// ensures the stream exists. It fails if the server does not start within 10
// seconds, the port is taken, or the stream cannot be created.
func OpenStore(ctx context.Context, cfg StoreConfig) (*Store, error) {
	s := &Store{prefix: "forum-" + strings.ToLower(rand.Text()[:10])}
	var err error
	// Answers come on the forum's own inbox, which no other login may read.
	opts := []nats.Option{nats.Name("forum"), nats.MaxReconnects(-1), nats.ReconnectBufSize(4 << 20), nats.CustomInboxPrefix(ForumInboxPrefix)}
	if cfg.URL == "" {
		if cfg.ForumPassword == "" {
			cfg.ForumPassword = rand.Text()
		}
		if s.srv, err = startServer(cfg); err != nil {
			return nil, err
		}
		if a := s.ClientAddr(); a != "" {
			cfg.Listen = a // a restart takes the same port
		}
		s.cfg = cfg
		// Through s, so that a restarted server is reconnected to.
		opts = append(opts, nats.InProcessServer(s), nats.UserInfo(ForumUser, cfg.ForumPassword))
	} else {
		switch {
		case cfg.CredsFile != "":
			opts = append(opts, nats.UserCredentials(cfg.CredsFile))
		case cfg.User != "":
			opts = append(opts, nats.UserInfo(cfg.User, cfg.Password))
		}
	}
	s.nc, err = nats.Connect(cfg.URL, opts...)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("connect nats: %w", err)
	}
	// An ack not back within an attempt's time is given up on, so a lost
	// one does not hold a place in flight for good.
	if s.js, err = jetstream.New(s.nc, jetstream.WithPublishAsyncMaxPending(maxInFlight), jetstream.WithPublishAsyncTimeout(appendAttempt)); err != nil {
		s.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	if s.stream, err = s.ensureStream(ctx, cfg); err != nil {
		s.Close()
		return nil, err
	}
	// The operator's copy of the log, when someone can log in to read it.
	if s.srv == nil || cfg.OperatorPassword != "" && s.ClientAddr() != "" {
		if err := s.ensureMirror(ctx); err != nil {
			s.Close()
			return nil, err
		}
	}
	if s.srv != nil {
		s.stop = make(chan struct{})
		s.wg.Go(s.keepStoring)
	}
	return s, nil
}

// ensureStream creates the stream or updates its settings. On a cluster it
// asks for 3 replicas unless told otherwise, falling back to 1 on a single
// server that cannot hold more.
func (s *Store) ensureStream(ctx context.Context, cfg StoreConfig) (jetstream.Stream, error) {
	replicas := cfg.Replicas
	if replicas == 0 {
		replicas = 1
		if cfg.URL != "" {
			replicas = 3
		}
	}
	st, err := s.js.CreateOrUpdateStream(ctx, streamConfig(replicas))
	if err != nil && cfg.Replicas == 0 && replicas > 1 {
		if cfg.Logger != nil {
			cfg.Logger.Warn("stream with 3 replicas refused; using 1 (is the NATS server clustered?)", "err", err)
		}
		st, err = s.js.CreateOrUpdateStream(ctx, streamConfig(1))
	}
	if err != nil {
		return nil, fmt.Errorf("ensure stream %s: %w", StreamName, err)
	}
	s.replicas = st.CachedInfo().Config.Replicas
	return st, nil
}

func streamConfig(replicas int) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        StreamName,
		Description: "Every change to the forum, in order. The read models are projections of it.",
		Subjects:    []string{SubjectAll},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Replicas:    replicas,
		Duplicates:  10 * time.Minute,
		MaxMsgSize:  1 << 20,
		AllowDirect: true,
		DenyDelete:  true,
		DenyPurge:   true,
	}
}

// Close closes the connection and shuts the embedded server down, waiting
// until its store is flushed.
func (s *Store) Close() {
	if s.nc != nil {
		s.nc.Drain()
		s.nc.Close()
	}
	if s.stop != nil {
		close(s.stop)
		s.wg.Wait()
		s.stop = nil
	}
	if srv := s.server(); srv != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
	}
}

// ConsumerPrefix returns how the names of this store's consumers begin, so
// an operator (or a test) can tell whose a consumer is.
func (s *Store) ConsumerPrefix() string { return s.prefix }

// Conn returns the NATS connection, for the ephemeral live.> subjects.
func (s *Store) Conn() *nats.Conn { return s.nc }

// AppendOption adjusts one append.
type AppendOption func(*appendOpts)

type appendOpts struct {
	msgID     string
	expect    uint64
	hasExpect bool
	filter    string // the subjects the expectation is over ("": the event's own)
}

// WithMsgID sets the deduplication id (default: the envelope id). A retried
// command with the same id is stored once.
func WithMsgID(id string) AppendOption { return func(o *appendOpts) { o.msgID = id } }

// ExpectLastSubjectSeq makes the append fail with ErrConflict unless the last
// event on its subject has sequence seq (0: the subject has no event yet).
func ExpectLastSubjectSeq(seq uint64) AppendOption {
	return func(o *appendOpts) { o.expect, o.hasExpect = seq, true }
}

// ExpectLastSeqOn makes the append fail with ErrConflict unless the last
// event on the subjects matching filter (another subject than the event's,
// e.g. its aggregate's delete subject) has sequence seq (0: none yet).
func ExpectLastSeqOn(filter string, seq uint64) AppendOption {
	return func(o *appendOpts) { o.expect, o.hasExpect, o.filter = seq, true, filter }
}

// Ack says where an appended event landed. Duplicate is true when the message
// id was seen before and Seq is the original's.
type Ack struct {
	Seq       uint64
	Duplicate bool      // the log had it already: Seq is the first attempt's
	Time      time.Time // the appended envelope's (this attempt's, for a duplicate)
}

// Appends are retried while their outcome is unknown (a timeout, a lost
// connection), each attempt bounded by appendAttempt, all of them by
// appendDeadline; the message id makes a retry of a write that did land a
// duplicate, which JetStream answers with the original's position.
const (
	appendAttempt  = 2 * time.Second
	appendDeadline = 8 * time.Second
)

// JetStream's error codes for a store without room.
const (
	errCodeInsufficientResources jetstream.ErrorCode = 10023
	errCodeStorageExceeded       jetstream.ErrorCode = 10047
)

// errUnavailable is the answer when the log cannot be reached in time: the
// write may or may not have landed, and a retry with the same message id
// (an Idempotency-Key) will tell.
var errUnavailable = &fault.Error{Code: fault.EUNAVAILABLE, Message: "the forum cannot store writes right now; try again shortly", RetryAfter: 2}

// Append stores env on subject and returns once JetStream has acknowledged
// it: a definite answer, or fault.EUNAVAILABLE when none came within the deadline
// (8 s, or ctx's if sooner). It returns ErrConflict when an expectation
// failed.
func (s *Store) Append(ctx context.Context, subject string, env Envelope, opts ...AppendOption) (Ack, error) {
	o := appendOpts{msgID: env.ID}
	for _, opt := range opts {
		opt(&o)
	}
	data, err := encodeEnvelope(env)
	if err != nil {
		return Ack{}, err
	}
	msg := nats.NewMsg(subject)
	msg.Data = data
	msg.Header.Set(HeaderType, string(env.Type))
	pubOpts := []jetstream.PublishOpt{jetstream.WithMsgID(o.msgID), jetstream.WithExpectStream(StreamName)}
	switch {
	case o.hasExpect && o.filter != "":
		pubOpts = append(pubOpts, jetstream.WithExpectLastSequenceForSubject(o.expect, o.filter))
	case o.hasExpect:
		pubOpts = append(pubOpts, jetstream.WithExpectLastSequencePerSubject(o.expect))
	}
	ctx, cancel := context.WithTimeout(ctx, appendDeadline)
	defer cancel()
	backoff := 50 * time.Millisecond
	for {
		ack, err := s.publish(ctx, msg, pubOpts)
		if err == nil {
			s.stuck.Store(false)
			return Ack{Seq: ack.Sequence, Duplicate: ack.Duplicate, Time: env.Time}, nil
		}
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) {
			switch apiErr.ErrorCode {
			case jetstream.JSErrCodeStreamWrongLastSequence, jetstream.JSErrCodeStreamWrongLastSequenceConstant:
				return Ack{}, fmt.Errorf("append %s: %w", subject, ErrConflict)
			case errCodeInsufficientResources, errCodeStorageExceeded, jetstream.JSErrCodeJetStreamNotEnabled, jetstream.JSErrCodeJetStreamNotEnabledForAccount:
				// Out of space, or JetStream off for it: not stored; it may
				// work again once space is freed.
				return Ack{}, fmt.Errorf("append %s: %v: %w", subject, err, errUnavailable)
			}
			return Ack{}, fmt.Errorf("append %s: %w", subject, err) // a definite refusal
		}
		// No answer: it may have landed. Try again with the same id.
		if s.nc.IsConnected() {
			s.stuck.Store(true) // connected, yet no answer: the store may be failing
		}
		select {
		case <-ctx.Done():
			return Ack{}, fmt.Errorf("append %s: %v: %w", subject, err, errUnavailable)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 500*time.Millisecond)
	}
}

// maxInFlight bounds the appends published and not yet acknowledged. They
// are pipelined on one connection, so concurrent writers become batches in
// the stream instead of a queue of round trips; past the bound a writer
// waits (at most an attempt's time) for a place.
const maxInFlight = 4096

// publish makes one attempt to store msg: it publishes asynchronously and
// waits for the ack, for at most appendAttempt (or ctx).
func (s *Store) publish(ctx context.Context, msg *nats.Msg, opts []jetstream.PublishOpt) (*jetstream.PubAck, error) {
	ctx, cancel := context.WithTimeout(ctx, appendAttempt)
	defer cancel()
	deadline, _ := ctx.Deadline() // always set: the attempt's, or ctx's if sooner
	wait := time.Until(deadline)
	if wait <= 0 {
		return nil, context.DeadlineExceeded
	}
	f, err := s.js.PublishMsgAsync(msg, append(opts, jetstream.WithStallWait(wait))...)
	if err != nil {
		return nil, err
	}
	select {
	case ack := <-f.Ok():
		return ack, nil
	case err := <-f.Err():
		return nil, err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// unavailable turns a failure to read the stream into fault.EUNAVAILABLE, keeping
// what happened for the log.
func unavailable(what string, err error) error {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return fmt.Errorf("%s: %v: %w", what, err, &fault.Error{Code: fault.EUNAVAILABLE, Message: "the forum cannot read its log right now; try again shortly", RetryAfter: 2})
}

func encodeEnvelope(env Envelope) ([]byte, error) {
	data, err := jsonMarshalNoEscape(env)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", env.Type, err)
	}
	return data, nil
}

// Identity returns when the stream was created and its first and last
// sequences: what read models built from it remember of it.
func (s *Store) Identity(ctx context.Context) (created time.Time, first, last uint64, err error) {
	info, err := s.stream.Info(ctx)
	if err != nil {
		return time.Time{}, 0, 0, unavailable("stream info", err)
	}
	return info.Created, info.State.FirstSeq, info.State.LastSeq, nil
}

// LastSeq returns the sequence of the newest event in the stream (0 if empty).
func (s *Store) LastSeq(ctx context.Context) (uint64, error) {
	info, err := s.stream.Info(ctx)
	if err != nil {
		return 0, unavailable("stream info", err)
	}
	return info.State.LastSeq, nil
}

// Last returns the newest event on subject, or ErrNoEvent.
func (s *Store) Last(ctx context.Context, subject string) (Event, error) {
	raw, err := s.stream.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return Event{}, ErrNoEvent
	}
	if err != nil {
		return Event{}, unavailable("last on "+subject, err)
	}
	return decodeRaw(raw.Sequence, raw.Subject, raw.Data)
}

// Get returns the event at sequence seq, or ErrNoEvent.
func (s *Store) Get(ctx context.Context, seq uint64) (Event, error) {
	raw, err := s.stream.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return Event{}, ErrNoEvent
	}
	if err != nil {
		return Event{}, unavailable(fmt.Sprint("get ", seq), err)
	}
	return decodeRaw(raw.Sequence, raw.Subject, raw.Data)
}

func decodeRaw(seq uint64, subject string, data []byte) (Event, error) {
	env, err := Decode(data)
	if err != nil {
		return Event{}, fmt.Errorf("event %d: %w", seq, err)
	}
	return Event{Seq: seq, Subject: subject, Envelope: env}, nil
}

// Follower reads the stream in order from a starting sequence, waiting for
// new events at the end.
type Follower struct {
	iter jetstream.MessagesContext
	cons jetstream.Consumer
	js   jetstream.JetStream
}

// Follow returns a Follower that starts at sequence from (1 = the beginning).
// Each Follow makes a consumer of its own (a fresh name), which the server
// forgets a minute after it is left; it gives up on a server that cannot
// make one within 10 seconds. A follower whose consumer is lost and cannot
// be remade within a few attempts returns an error from Next, so that its
// owner starts afresh rather than wait for ever.
func (s *Store) Follow(ctx context.Context, from uint64) (*Follower, error) {
	if from < 1 {
		from = 1
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cons, err := s.js.OrderedConsumer(cctx, StreamName, jetstream.OrderedConsumerConfig{
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       from,
		InactiveThreshold: time.Minute,
		MaxResetAttempts:  5,
		// A fresh name every time: a consumer left on a lost node may
		// linger, and must not be mistaken for this one.
		NamePrefix: fmt.Sprintf("%s-%d", s.prefix, s.follows.Add(1)),
	})
	if err != nil {
		return nil, fmt.Errorf("follow from %d: %w", from, err)
	}
	iter, err := cons.Messages(jetstream.PullMaxMessages(4096))
	if err != nil {
		return nil, fmt.Errorf("follow from %d: %w", from, err)
	}
	return &Follower{iter: iter, cons: cons, js: s.js}, nil
}

// Next blocks until the next event arrives or ctx ends. A message that does
// not decode comes back as an Event with Undecodable set: one bad message
// must not stop every reader at it.
func (f *Follower) Next(ctx context.Context) (Event, error) {
	msg, err := f.iter.Next(jetstream.NextContext(ctx))
	if err != nil {
		if ctx.Err() != nil {
			return Event{}, ctx.Err()
		}
		return Event{}, fmt.Errorf("next event: %w", err)
	}
	meta, err := msg.Metadata()
	if err != nil {
		return Event{}, fmt.Errorf("event metadata: %w", err)
	}
	ev, err := decodeRaw(meta.Sequence.Stream, msg.Subject(), msg.Data())
	if err != nil {
		ev = Event{Seq: meta.Sequence.Stream, Subject: msg.Subject(), Undecodable: err.Error()}
		ev.Type = Type(msg.Headers().Get(HeaderType))
	}
	return ev, nil
}

// Stop ends the follower and removes its consumer.
func (f *Follower) Stop() {
	f.iter.Stop()
	removeConsumer(f.js, f.cons)
}

// removeConsumer deletes an ordered consumer's current consumer at once,
// rather than leave it to count against MaxConsumers until it is idle
// long enough. It tries for at most two seconds; failing that, the
// consumer goes when idle.
func removeConsumer(js jetstream.JetStream, cons jetstream.Consumer) {
	info := cons.CachedInfo()
	if info == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	js.DeleteConsumer(ctx, StreamName, info.Name)
}

// History returns, oldest first, the events on subjects (filters, wildcards
// allowed), at most max of them; more answers an error. It reads with an
// ordered consumer of its own, gone when it returns.
func (s *Store) History(ctx context.Context, subjects []string, max int) ([]Event, error) {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cons, err := s.js.OrderedConsumer(cctx, StreamName, jetstream.OrderedConsumerConfig{
		FilterSubjects:    subjects,
		DeliverPolicy:     jetstream.DeliverAllPolicy,
		InactiveThreshold: 10 * time.Second,
		NamePrefix:        fmt.Sprintf("%s-h%d", s.prefix, s.follows.Add(1)),
	})
	if err != nil {
		return nil, unavailable("history", err)
	}
	defer removeConsumer(s.js, cons)
	info, err := cons.Info(cctx)
	if err != nil {
		return nil, unavailable("history", err)
	}
	n := int(info.NumPending)
	if n > max {
		return nil, fmt.Errorf("history of %v: %d events, more than %d", subjects, n, max)
	}
	out := make([]Event, 0, n)
	for len(out) < n {
		batch, err := cons.Fetch(min(n-len(out), 256), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return nil, unavailable("history", err)
		}
		got := 0
		for msg := range batch.Messages() {
			got++
			meta, err := msg.Metadata()
			if err != nil {
				return nil, fmt.Errorf("event metadata: %w", err)
			}
			ev, err := decodeRaw(meta.Sequence.Stream, msg.Subject(), msg.Data())
			if err != nil {
				return nil, err
			}
			out = append(out, ev)
		}
		if err := batch.Error(); err != nil {
			return nil, unavailable("history", err)
		}
		if got == 0 {
			return nil, unavailable("history", cctx.Err())
		}
	}
	return out, nil
}
