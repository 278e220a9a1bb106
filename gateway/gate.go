package gateway

import (
	"context"
	"log/slog"
	"time"

	"forum/commands"
	"forum/events"
	"forum/fault"
	"forum/internal/limit"
	"forum/projections"
)

// Gate is what HTTP and the WebSocket hub share of signed-in users: each
// user's write budget, and the look at a session that says whether it is
// still in force and records its use. The composer makes one per instance
// and hands it to both the hub and New.
type Gate struct {
	cmd        *commands.Service
	db         *projections.DB
	log        *slog.Logger
	now        func() time.Time
	rateLimits bool
	userWrites *limit.Keyed  // per signed-in user, HTTP and WebSocket alike
	touches    chan struct{} // session uses being recorded
}

// NewGate returns the Gate of the instance cfg configures (its Commands, DB,
// Logger, RateLimits and Now).
func NewGate(cfg Config) *Gate {
	cfg = cfg.withDefaults()
	return &Gate{
		cmd: cfg.Commands, db: cfg.DB, log: cfg.Logger, now: cfg.Now, rateLimits: cfg.RateLimits,
		userWrites: limit.New(10, 40),
		touches:    make(chan struct{}, maxTouches),
	}
}

// AllowWrite takes one write from user's budget, and reports whether there
// was one (always true with rate limits off).
func (g *Gate) AllowWrite(user string) bool {
	if !g.rateLimits {
		return true
	}
	ok, _ := g.userWrites.Allow(user, g.now())
	return ok
}

// CheckSession is the hub's look at an open socket's session: whether it is
// still in force (an open socket is use, and recorded as such) and when it
// ends unless used again. A session it cannot read now counts as in force,
// ending at the zero time.
func (g *Gate) CheckSession(ctx context.Context, id string) (time.Time, bool) {
	sess, err := g.db.Session(ctx, events.SessionID(id))
	if err != nil {
		return time.Time{}, fault.Code(err) != fault.ENOTFOUND
	}
	ends, ok := g.cmd.Ends(sess)
	if !ok || !g.now().Before(ends) {
		return time.Time{}, false
	}
	g.touch(sess)
	return ends, true
}

// touch records, in the background, that sess is in use. At most
// maxTouches run at once; past that a use goes unrecorded, to be recorded
// by the next request.
func (g *Gate) touch(sess projections.Session) {
	select {
	case g.touches <- struct{}{}:
	default:
		return
	}
	go func() {
		defer func() { <-g.touches }()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := g.cmd.TouchSession(ctx, sess); err != nil {
			g.log.Warn("record session use", "session", sess.ID, "err", err)
		}
	}()
}

// maxTouches bounds the session uses being recorded at once.
const maxTouches = 16
