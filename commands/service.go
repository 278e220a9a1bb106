// Package commands holds one handler per command: each validates its input,
// checks the invariants against the read models and the log, decides the
// events, appends them to the stream and waits until the serving read models
// include them. Nothing here writes to SQLite or speaks HTTP.
package commands

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"golang.org/x/sync/semaphore"
	"golang.org/x/sync/singleflight"
	"golang.org/x/time/rate"

	"forum/events"
	"forum/fault"
	"forum/internal/limit"
	"forum/projections"
)

// NewRoomsLimit returns the budget of new rooms: at most 10 a user an hour
// (5 at once, then 5 an hour).
func NewRoomsLimit() *limit.Keyed { return limit.New(rate.Every(12*time.Minute), 5) }

// Store is the event log as commands use it.
type Store interface {
	Append(ctx context.Context, subject string, env events.Envelope, opts ...events.AppendOption) (events.Ack, error)
	Last(ctx context.Context, subject string) (events.Event, error)
	Get(ctx context.Context, seq uint64) (events.Event, error)
	LastSeq(ctx context.Context) (uint64, error)
	History(ctx context.Context, subjects []string, max int) ([]events.Event, error)
	// ClaimSecret returns the forum's secret that claim subjects hash values with.
	ClaimSecret(ctx context.Context) ([]byte, error)
}

// Projector is the serving instance's projector: commands wait on it so a
// write is visible to the next read (read-your-writes).
type Projector interface {
	WaitFor(ctx context.Context, seq uint64) error
}

// Config are the dependencies of the command handlers. Now and NewID are
// injected so tests are deterministic.
type Config struct {
	Store     Store
	DB        *projections.DB
	Projector Projector
	Logger    *slog.Logger
	Now       func() time.Time
	NewID     func() string
	// Hasher hashes and checks passwords (default: argon2id, OWASP settings).
	Hasher PasswordHasher
	// HashSlots bounds the hashes that run at once (default: one per core),
	// HashQueue how many more may wait for a slot (default 16 a slot), and
	// HashWait for how long (default 5 s).
	HashSlots, HashQueue int
	HashWait             time.Duration
	// NewRooms, when set, bounds the rooms each user brings into being
	// (see NewRoomsLimit); nil lifts the bound.
	NewRooms *limit.Keyed
	// DemoSignIn lets the demo accounts (password DemoPassword) sign in. It
	// is for a forum that only its own machine can reach.
	DemoSignIn bool
	// SessionTTL is how long a session lasts at most (default 30 days),
	// SessionIdleTTL how long it lasts without use (default 14 days).
	SessionTTL, SessionIdleTTL time.Duration
	// WaitTimeout bounds the wait for the read models to include a write (default 10 s).
	WaitTimeout time.Duration
	// Keys seals personal data in the events written (nil: written in clear).
	Keys *events.Keyring
	// ReadEvery is how often at most a reader's position in a post is
	// written (default 5 s; a first opening always is; one that comes
	// sooner is written when the interval ends).
	ReadEvery time.Duration
	// MaxBookmarks and MaxPostWatches bound the posts one user bookmarks
	// and sets a watch level on (default projections.MaxBookmarks and
	// projections.MaxPostWatches).
	MaxBookmarks, MaxPostWatches int
	// Admins are the nicknames of the users who are admins from the start
	// (--admins): made admins when they sign up, or at start if they have.
	Admins []string
	// Media is the bucket of pictures (default: the Store's, FORUM_MEDIA).
	Media MediaStore
	// MediaSlots bounds the pictures decoded at once on this instance
	// (default 2; one a user), MediaWait how long one waits for a slot
	// before a 503 (default 3 s).
	MediaSlots int
	MediaWait  time.Duration
	// MediaIntake bounds the pictures being received at once on this
	// instance, each held in memory until it is stored (default 8; one a
	// user); one that finds no room within MediaWait is refused (503)
	// before its bytes are read.
	MediaIntake int
	// MediaDecodeBytes bounds the bytes the pictures decoded at once on
	// this instance take, each weighed from its header (decodeWeight),
	// whatever their number (default 192 MiB: one picture of the largest
	// weight, MaxDecodeBytes, with room for small ones beside it; never
	// less than MaxDecodeBytes).
	MediaDecodeBytes int64
	// RenderBudget is the longest a body's rendering may take before its
	// event says to show it as text (default projections.RenderBudget).
	RenderBudget time.Duration
	// UploadsADay and UploadQuotaBytes are each user's quotas (default
	// UploadsADay and UploadQuotaBytes).
	UploadsADay      int
	UploadQuotaBytes int64
	// MediaCacheBytes bounds the opened pictures kept in memory (default
	// DefaultMediaCacheBytes; negative: none kept), MediaCacheEntry the
	// largest one kept (default DefaultMediaCacheEntry).
	MediaCacheBytes, MediaCacheEntry int64
	// Ceremonies keeps passkey ceremonies under way (default: the Store's
	// bucket, FORUM_CEREMONIES).
	Ceremonies CeremonyStore
}

// Service runs the commands.
type Service struct {
	Config
	gate     *hashGate
	secret   *claimSecret
	reads    *readMarks
	slots    *mediaSlots
	intake   *mediaSlots
	decoding *semaphore.Weighted
	passkeys *passkeyState

	mediaCache   *mediaCache
	mediaOpening *singleflight.Group // one opening of a picture at a time, shared by its requests
}

// claimSecret keeps the forum's claim secret once read from the store.
type claimSecret struct {
	mu    sync.Mutex
	value []byte
}

// New returns a Service, filling in defaults for unset dependencies.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewID == nil {
		now := cfg.Now
		cfg.NewID = func() string { return events.NewID(now()) }
	}
	if cfg.Hasher == nil {
		cfg.Hasher = Argon2id{}
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 30 * 24 * time.Hour
	}
	if cfg.SessionIdleTTL == 0 {
		cfg.SessionIdleTTL = 14 * 24 * time.Hour
	}
	if cfg.WaitTimeout == 0 {
		cfg.WaitTimeout = 10 * time.Second
	}
	if cfg.ReadEvery == 0 {
		cfg.ReadEvery = readEvery
	}
	if cfg.MaxBookmarks == 0 {
		cfg.MaxBookmarks = projections.MaxBookmarks
	}
	if cfg.MaxPostWatches == 0 {
		cfg.MaxPostWatches = projections.MaxPostWatches
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MediaSlots == 0 {
		cfg.MediaSlots = 2
	}
	if cfg.MediaIntake == 0 {
		cfg.MediaIntake = 8
	}
	if cfg.MediaDecodeBytes == 0 {
		cfg.MediaDecodeBytes = 192 << 20
	}
	cfg.MediaDecodeBytes = max(cfg.MediaDecodeBytes, MaxDecodeBytes)
	if cfg.RenderBudget == 0 {
		cfg.RenderBudget = projections.RenderBudget
	}
	if cfg.UploadsADay == 0 {
		cfg.UploadsADay = UploadsADay
	}
	if cfg.UploadQuotaBytes == 0 {
		cfg.UploadQuotaBytes = UploadQuotaBytes
	}
	if cfg.MediaWait == 0 {
		cfg.MediaWait = 3 * time.Second
	}
	if cfg.MediaCacheBytes == 0 {
		cfg.MediaCacheBytes = DefaultMediaCacheBytes
	}
	if cfg.MediaCacheEntry == 0 {
		cfg.MediaCacheEntry = DefaultMediaCacheEntry
	}
	return &Service{Config: cfg, gate: newHashGate(cfg.HashSlots, cfg.HashQueue, cfg.HashWait), secret: &claimSecret{}, reads: newReadMarks(readMarksMax, readHeldMax, cfg.ReadEvery),
		slots: newMediaSlots(cfg.MediaSlots, cfg.MediaWait), intake: newMediaSlots(cfg.MediaIntake, cfg.MediaWait), decoding: semaphore.NewWeighted(cfg.MediaDecodeBytes), mediaCache: newMediaCache(cfg.MediaCacheBytes, cfg.MediaCacheEntry), mediaOpening: new(singleflight.Group), passkeys: &passkeyState{}}
}

// emit is the append half of every command: the command has decided on one
// event of type typ about key (the subject key its type names), made by
// actor; emit appends it and waits until the read models include it. It
// returns where the event landed (the original's place, for a duplicate).
//
// When the read models do not show the event within WaitTimeout, emit
// returns a *Stored error: the write is in the log and will appear.
func (s *Service) emit(ctx context.Context, typ events.Type, key, actor string, data any, opts ...events.AppendOption) (events.Ack, error) {
	ack, err := s.record(ctx, typ, key, actor, data, opts...)
	if err != nil {
		return ack, err
	}
	if err := s.wait(ctx, ack.Seq); err != nil {
		s.Logger.Warn("stored, but the read models are behind", "seq", ack.Seq, "err", err)
		return ack, &Stored{Seq: ack.Seq}
	}
	return ack, nil
}

// unlessDeleted makes an append fail with ErrConflict if the aggregate has
// been deleted in the log (its delete subject, deleted, holds an event),
// whatever this instance's read models say yet: an edit, a vote or a
// second delete never lands after a delete.
func unlessDeleted(deleted string) events.AppendOption { return events.ExpectLastSeqOn(deleted, 0) }

// emitUnlessDeleted is emit with unlessDeleted; a conflict is told as gone.
func (s *Service) emitUnlessDeleted(ctx context.Context, what, deleted string, typ events.Type, key, actor string, data any) error {
	_, err := s.emit(ctx, typ, key, actor, data, unlessDeleted(deleted))
	if errors.Is(err, events.ErrConflict) {
		return fault.Errorf(fault.ECONFLICT, "the %s was deleted", what)
	}
	return err
}

// original returns the payload of the event a duplicate append found in
// the log, decoded into d: what the first attempt of a retried write made.
func (s *Service) original(ctx context.Context, ack events.Ack, d any) error {
	ev, err := s.Store.Get(ctx, ack.Seq)
	if err != nil {
		return err
	}
	return s.openedPayload(ctx, ev, d)
}

// openedPayload decodes ev's payload into d with its personal data opened.
func (s *Service) openedPayload(ctx context.Context, ev events.Event, d any) error {
	if err := ev.Payload(d); err != nil {
		return err
	}
	_, err := s.Keys.OpenPayload(ctx, ev.Actor, d)
	return err
}

// Stored is the error of a write that is in the log but not yet in this
// instance's read models: it will appear. ID names what it made, if anything.
type Stored struct {
	Seq uint64
	ID  string
}

func (e *Stored) Error() string {
	return fmt.Sprintf("stored at %d; the read models are behind", e.Seq)
}

// withID sets the ID of a *Stored err to id; other errors pass as they are.
func withID(err error, id string) error {
	if st, ok := err.(*Stored); ok {
		st.ID = id
	}
	return err
}

// idempotencyKey is the context key of a write's idempotency: the message
// ids of the events it appends derive from it.
type idempotencyKey struct{}

type idempotency struct {
	prefix string
	n      atomic.Int64 // events appended so far in this write
}

// WithIdempotencyKey returns ctx for a write that may be a retry of one with
// the same user and key: each event it appends gets a message id derived
// from them (and its place among the write's events), so the log stores a
// retried write once, and a retry finds what the first attempt stored.
func WithIdempotencyKey(ctx context.Context, user events.UserID, key string) context.Context {
	sum := sha256.Sum256([]byte(string(user) + "\x00" + key))
	return context.WithValue(ctx, idempotencyKey{}, &idempotency{prefix: "idem:" + hex.EncodeToString(sum[:16])})
}

// msgID returns, for a write with an idempotency key, the option that
// sets the message id of its next event, so a write that appends again
// after a conflict uses one id for all its attempts; none without a key.
func (s *Service) msgID(ctx context.Context) []events.AppendOption {
	idem, ok := ctx.Value(idempotencyKey{}).(*idempotency)
	if !ok {
		return nil
	}
	return []events.AppendOption{events.WithMsgID(fmt.Sprintf("%s:%d", idem.prefix, idem.n.Add(1)))}
}

// record appends one event like emit, without waiting for the read models:
// for events no read model shows (claims).
func (s *Service) record(ctx context.Context, typ events.Type, key, actor string, data any, opts ...events.AppendOption) (events.Ack, error) {
	// Personal data is sealed under its owner's key before it is written.
	if s.Keys != nil {
		v := reflect.New(reflect.TypeOf(data))
		v.Elem().Set(reflect.ValueOf(data))
		if err := s.Keys.SealPayload(ctx, actor, v.Interface()); err != nil {
			return events.Ack{}, err
		}
		data = v.Elem().Interface()
	}
	env, err := events.New(s.NewID(), typ, s.Now(), actor, data)
	if err != nil {
		return events.Ack{}, err
	}
	if idem, ok := ctx.Value(idempotencyKey{}).(*idempotency); ok {
		n := idem.n.Add(1)
		// Before opts: an explicit id (a client_id, a seed) still wins.
		opts = append([]events.AppendOption{events.WithMsgID(fmt.Sprintf("%s:%d", idem.prefix, n))}, opts...)
	}
	return s.Store.Append(ctx, typ.Subject(key), env, opts...)
}

// wait blocks until the read models include seq, at most WaitTimeout.
func (s *Service) wait(ctx context.Context, seq uint64) error {
	ctx, cancel := context.WithTimeout(ctx, s.WaitTimeout)
	defer cancel()
	if err := s.Projector.WaitFor(ctx, seq); err != nil {
		return fmt.Errorf("read models behind: %w", err)
	}
	return nil
}

// checkText validates a required text field: between lo and hi characters,
// valid UTF-8, not only white space, no control characters but newlines and
// tabs (C0, DEL and C1), and none of the bidirectional overrides and
// isolates that make text read other than it is stored.
func checkText(field, value string, lo, hi int) error {
	n := utf8.RuneCountInString(value)
	switch {
	case !utf8.ValidString(value):
		return fault.FieldError(fault.EINVALID, field, field+" is not valid UTF-8")
	case n < lo || strings.TrimSpace(value) == "":
		return fault.FieldError(fault.EINVALID, field, fmt.Sprintf("%s must not be empty", field))
	case n > hi:
		return fault.FieldError(fault.EINVALID, field, fmt.Sprintf("%s must be at most %d characters (it has %d)", field, hi, n))
	}
	for _, r := range value {
		switch {
		case r < 0x20 && r != '\n' && r != '\t' && r != '\r', r >= 0x7f && r <= 0x9f:
			return fault.FieldError(fault.EINVALID, field, field+" contains a control character")
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return fault.FieldError(fault.EINVALID, field, field+" contains a bidirectional override")
		}
	}
	return nil
}

// checkID rejects ids that cannot have been made by this forum.
func checkID(what, id string) error {
	if !events.ValidID(id) {
		return fault.Errorf(fault.ENOTFOUND, "%s not found", what)
	}
	return nil
}
