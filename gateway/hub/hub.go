// Package hub owns the WebSocket side of one forum instance: connections and
// their bounded send queues, the frames clients send, typing, the frames
// built from committed events and their cache, resume, and the live.> bus
// that carries presence and typing between instances. It pushes only what
// the projections have committed. HTTP reaches it through ServeWS, Online,
// RoomOnline and Run; it knows nothing of routing.
package hub

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/nats-io/nats.go"

	"forum/commands"
	"forum/events"
	"forum/fault"
	"forum/gateway/presence"
	"forum/projections"
)

// ReadModels are the queries the hub builds frames from.
type ReadModels interface {
	Account(ctx context.Context, id events.UserID) (projections.User, error)
	User(ctx context.Context, id events.UserID) (projections.User, error)
	Post(ctx context.Context, id events.PostID, viewer events.UserID) (projections.Post, error)
	Comment(ctx context.Context, id events.CommentID, viewer events.UserID) (projections.Comment, error)
	Votes(ctx context.Context, target events.Target, viewer events.UserID) (projections.Votes, error)
	Reactions(ctx context.Context, target events.Target, viewer events.UserID) (projections.Reactions, error)
	MessageBySeq(ctx context.Context, seq uint64) (projections.Message, error)
	MessageByID(ctx context.Context, id events.MessageID) (projections.Message, error)
	NotificationsAt(ctx context.Context, seq uint64) (users []string, notes []projections.Notification, err error)
	RoomMemberIDs(ctx context.Context, room string) ([]string, error)
	BlockedIDs(ctx context.Context, user events.UserID) ([]string, error)
}

// ChangeFeed is the projector as the hub follows it: how far the read models
// are, a channel closed at the next commit, and the events of recent commits.
type ChangeFeed interface {
	Seq() uint64
	Changed() <-chan struct{}
	Since(after uint64, max int) (evs []events.Event, ok bool)
}

// Stream is the log, read when a resume reaches further back than the
// change feed remembers.
type Stream interface {
	LastSeq(ctx context.Context) (uint64, error)
	Follow(ctx context.Context, from uint64) (*events.Follower, error)
}

// Messenger stores the messages clients send over their sockets, and says
// whether a user may write at all (CheckActive: ESUSPENDED while they are
// suspended), which typing needs too.
type Messenger interface {
	SendDM(ctx context.Context, in commands.DMInput) (uint64, error)
	SendRoomMessage(ctx context.Context, in commands.RoomMessageInput) (uint64, error)
	CheckActive(ctx context.Context, user events.UserID) error
}

// Config are the hub's dependencies.
type Config struct {
	ReadModels ReadModels
	Feed       ChangeFeed
	// Stream may be nil: then a resume reaches back as far as Feed does.
	Stream    Stream
	Messenger Messenger
	// NATS carries presence and typing to the other instances; nil keeps
	// them on this one.
	NATS   *nats.Conn
	Logger *slog.Logger
	// RateLimits limits the frames each connection may send and the
	// connections each user may open (MaxConnsPerUser).
	RateLimits bool
	// AllowWrite takes one write from a user's budget, shared with HTTP;
	// false refuses the write (nil: no budget).
	AllowWrite func(userID string) bool
	// CheckSession says whether the session of an open socket is still in
	// force and when it ends unless used again (an open socket is use);
	// the hub asks when that time comes, and at least hourly. Nil: sockets
	// close only when their session is ended in the log.
	CheckSession func(ctx context.Context, sessionID string) (ends time.Time, ok bool)
}

// MaxConnsPerUser is how many WebSocket connections one user may have open
// on one instance, unless rate limits are off.
const MaxConnsPerUser = 20

// fanoutBatch bounds how many events the hub turns into frames before it
// queues them, so connections drain between bursts.
const fanoutBatch = 64

// Hub pushes committed changes to WebSocket connections and tracks presence.
//
// One goroutine (Run) follows the change feed: it reads the events each
// commit added, turns each into one frame shared by every connection it goes
// to (frames.go), and queues it. Connections register under the hub's lock
// at a known stream sequence (seq), so a resuming connection replays exactly
// up to it and gets the rest live (resume.go). The same lock guards presence,
// so who-is-online frames, hellos and event frames reach every connection in
// one agreed order. Queuing never blocks: a connection whose queue is full is
// dropped (conn.go).
type Hub struct {
	read         ReadModels
	allowWrite   func(userID string) bool
	checkSession func(ctx context.Context, sessionID string) (time.Time, bool)
	feed         ChangeFeed
	stream       Stream
	messenger    Messenger
	log          *slog.Logger
	rateLimit    bool
	metrics      *metrics
	bus          *bus
	upgrader     *websocket.Upgrader
	pingEvery    time.Duration   // wsPingEvery but in tests
	ctx          context.Context // ends at shutdown: connections' work stops
	cancel       context.CancelFunc
	// maxReplay is how many events behind the head a resume may be; further
	// back it gets resync.
	maxReplay atomic.Uint64

	// mu is the hub's one lock. Lock order: a connection's typingMu, then
	// mu, then a connection's sendQueue.mu. Nothing holding mu waits on the
	// network: frames are queued, and NATS publishes only buffer.
	mu        sync.Mutex
	closed    bool
	seq       uint64 // the frames of every event up to here are queued
	presence  *presence.State
	conns     map[*conn]struct{}
	byUser    map[string]map[*conn]struct{}
	bySession map[string]map[*conn]struct{}
	rooms     map[string]map[*conn]struct{}
	ended     map[string]time.Time // sessions ended lately, heard of before the projector applies it
	readOnly  bool                 // the log cannot be reached: writes fail for now
	recent    frameCache
	wg        sync.WaitGroup // registered connections
}

// New returns a hub; Run it for the real-time half to work.
func New(cfg Config) *Hub {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Hub{
		read: cfg.ReadModels, allowWrite: cfg.AllowWrite, checkSession: cfg.CheckSession, feed: cfg.Feed, stream: cfg.Stream, messenger: cfg.Messenger, log: cfg.Logger, rateLimit: cfg.RateLimits,
		metrics: newMetrics(), upgrader: newUpgrader(), pingEvery: wsPingEvery, presence: presence.New(),
		conns: map[*conn]struct{}{}, byUser: map[string]map[*conn]struct{}{},
		bySession: map[string]map[*conn]struct{}{}, rooms: map[string]map[*conn]struct{}{}, ended: map[string]time.Time{},
	}
	if h.allowWrite == nil {
		h.allowWrite = func(string) bool { return true }
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	h.bus = newBus(h, cfg.NATS)
	h.maxReplay.Store(10000)
	h.seq = h.feed.Seq()
	h.recent = newFrameCache(10000, 32<<20, h.seq)
	return h
}

// SetMaxReplay sets how many events behind the head a resume may be before
// it gets resync instead (default 10,000).
func (h *Hub) SetMaxReplay(n uint64) { h.maxReplay.Store(n) }

// Online reports whether user id has a connection open on any instance.
func (h *Hub) Online(id events.UserID) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.presence.Online(string(id))
}

// RoomOnline returns how many users are in room, on every instance.
func (h *Hub) RoomOnline(room string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.presence.RoomMembers(room))
}

// LocalConns returns how many connections user id has open on this instance.
func (h *Hub) LocalConns(id events.UserID) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.presence.LocalConns(string(id))
}

// InstanceID returns the id this instance goes by on the live.> bus.
func (h *Hub) InstanceID() string { return h.bus.id }

// Run fans committed events out until ctx ends, then closes every
// connection with 1001 (going away) and returns once they are gone.
func (h *Hub) Run(ctx context.Context) {
	h.bus.start(ctx)
	if h.checkSession != nil {
		go h.watchSessions(ctx)
	}
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	for {
		changed := h.feed.Changed()
		if err := h.fanOut(ctx); err != nil && ctx.Err() == nil {
			h.log.Error("websocket fan-out", "err", err)
			retry.Reset(time.Second)
		}
		select {
		case <-changed:
		case <-retry.C:
		case <-ctx.Done():
			h.shutdown()
			return
		}
	}
}

// fanOut queues the frames of every event committed since the last call.
func (h *Hub) fanOut(ctx context.Context) error {
	target := h.feed.Seq()
	h.mu.Lock()
	last := h.seq
	if len(h.conns) == 0 && target > last+uint64(len(h.recent.buf)) {
		// Nobody to tell and too many for the cache: skip to what it can hold.
		last = target - uint64(len(h.recent.buf))
		h.seq = last
		h.recent.reset(last)
	}
	h.mu.Unlock()
	if target <= last {
		return nil
	}
	batch := make([]built, 0, fanoutBatch)
	err := h.readEvents(ctx, last, target, func(ev events.Event) error {
		b := h.build(ctx, ev)
		b.fresh = target // the read models had reached it: they showed what it changed
		batch = append(batch, b)
		if len(batch) == fanoutBatch {
			h.deliver(batch)
			batch = batch[:0]
		}
		return nil
	})
	h.deliver(batch)
	return err
}

// deliver queues built frames to their audiences, carries out their
// effects and moves seq past them.
func (h *Hub) deliver(batch []built) {
	if len(batch) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, b := range batch {
		if b.seq <= h.seq {
			continue
		}
		if b.frame != nil || len(b.notes) > 0 {
			h.recent.add(b)
		}
		h.recent.changed(b.changes, b.seq)
		if b.frame != nil {
			h.sendTo(b.to, b.frame)
		}
		for _, n := range b.notes {
			for c := range h.byUser[n.user] {
				h.send(c, n.frame)
			}
		}
		for _, e := range b.effects {
			e.carryOut(h)
		}
		h.seq = b.seq
	}
}

// sendTo queues f to the connections of audience to. The hub's lock is held.
func (h *Hub) sendTo(to audience, f *outFrame) {
	switch {
	case to.all:
		for c := range h.conns {
			h.send(c, f)
		}
	case to.room != "":
		for c := range h.rooms[to.room] {
			h.send(c, f)
		}
		// Members get the room's frames without watching it.
		for _, u := range to.users {
			for c := range h.byUser[u] {
				if _, watching := c.rooms[to.room]; !watching {
					h.send(c, f)
				}
			}
		}
	default:
		for i, u := range to.users {
			if i == 0 || u != to.users[0] {
				for c := range h.byUser[u] {
					h.send(c, f)
				}
			}
		}
	}
}

// send queues f to c unless c has it already (it resumed past it); a
// connection that cannot take it is dropped. The hub's lock is held.
func (h *Hub) send(c *conn, f *outFrame) {
	if f.seq != 0 && f.seq <= c.liveAfter {
		return
	}
	if _, blocked := c.blocked[f.author]; blocked && f.author != "" {
		return // what a user they block wrote
	}
	c.push(c.seen(f))
}

// tell turns presence changes into presence frames to everyone. Who opens
// or leaves a room's page is not told: room.system lines come from
// membership events (frames.go). The hub's lock is held.
func (h *Hub) tell(ch presence.Changes) {
	h.tellUsers(ch.Online, true)
	h.tellUsers(ch.Offline, false)
}

func (h *Hub) tellUsers(users []projections.User, online bool) {
	for _, u := range users {
		f := h.newFrame(framePresence, 0, presenceFrame{Type: framePresence, User: u, Online: online})
		for c := range h.conns {
			h.send(c, f)
		}
	}
}

// add registers c: it counts as connected here and gets frames from now
// on. It returns false once the hub has shut down. The hub's lock is held.
func (h *Hub) add(c *conn) bool {
	if h.closed {
		return false
	}
	n, ch := h.presence.Connect(c.user)
	h.bus.publishUser(c.user, n)
	h.tell(ch) // before c is in: its hello says it all
	h.conns[c] = struct{}{}
	addTo(h.byUser, c.user.ID, c)
	if c.session != "" {
		addTo(h.bySession, c.session, c)
	}
	h.wg.Add(1)
	h.metrics.conns.Inc()
	return true
}

// remove unregisters c, leaving its rooms: others may see it go offline.
func (h *Hub) remove(c *conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for room := range c.rooms {
		h.leaveLocked(c, room)
	}
	delete(h.conns, c)
	removeFrom(h.byUser, c.user.ID, c)
	removeFrom(h.bySession, c.session, c)
	n, ch := h.presence.Disconnect(c.user)
	h.bus.publishUser(c.user, n)
	h.tell(ch)
	h.metrics.conns.Dec()
}

// join adds c to room and tells it who is there.
func (h *Hub) join(c *conn, room string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	var ch presence.Changes
	if _, in := c.rooms[room]; !in {
		if len(c.rooms) >= maxRooms {
			return fault.FieldError(fault.EINVALID, "room", fmt.Sprintf("a connection can be in at most %d rooms", maxRooms))
		}
		c.rooms[room] = struct{}{}
		addTo(h.rooms, room, c)
		var n int
		n, ch = h.presence.Join(room, c.user)
		h.bus.publishRoom(room, c.user, n)
	}
	c.push(h.newFrame(frameRoomJoined, 0, roomJoinedFrame{Type: frameRoomJoined, Room: room, Members: h.presence.RoomMembers(room)}))
	h.tell(ch)
	return nil
}

// leave takes c out of room; it reports whether c was in it.
func (h *Hub) leave(c *conn, room string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.leaveLocked(c, room)
}

func (h *Hub) leaveLocked(c *conn, room string) bool {
	if _, in := c.rooms[room]; !in {
		return false
	}
	delete(c.rooms, room)
	removeFrom(h.rooms, room, c)
	n, ch := h.presence.Leave(room, c.user)
	h.bus.publishRoom(room, c.user, n)
	h.tell(ch)
	return true
}

// inRoom reports whether c joined room.
func (h *Hub) inRoom(c *conn, room string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, in := c.rooms[room]
	return in
}

// shutdown closes every connection with 1001 and waits (a few seconds at
// most) until they are gone, then leaves the other instances.
func (h *Hub) shutdown() {
	h.cancel() // commands in flight stop
	h.mu.Lock()
	h.closed = true
	for c := range h.conns {
		c.close(websocket.CloseGoingAway, "server shutting down")
	}
	h.mu.Unlock()
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		h.log.Warn("websockets still open at shutdown")
	}
	h.bus.stop()
}

// sessionCheckEvery is how often the hub looks for sockets whose session
// is due for a check; sessionRecheck how long a session counts as in force
// after a check said so (its end permitting).
const (
	sessionCheckEvery = time.Second
	sessionRecheck    = time.Hour
)

// watchSessions closes, with 1008, every socket whose session has ended by
// time or for want of use, until ctx ends.
func (h *Hub) watchSessions(ctx context.Context) {
	tick := time.NewTicker(sessionCheckEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			h.checkSessions(ctx, now)
		}
	}
}

// checkSessions checks the session of every socket that is due.
func (h *Hub) checkSessions(ctx context.Context, now time.Time) {
	h.mu.Lock()
	due := map[string][]*conn{}
	for c := range h.conns {
		if c.session != "" && !now.Before(c.checkAt) {
			due[c.session] = append(due[c.session], c)
		}
	}
	h.mu.Unlock()
	for id, conns := range due {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		ends, ok := h.checkSession(cctx, id)
		cancel()
		h.mu.Lock()
		for _, c := range conns {
			switch {
			case !ok:
				c.close(websocket.ClosePolicyViolation, "session ended")
			case ends.IsZero(): // not known now: ask again soon
				c.checkAt = now.Add(time.Minute)
			default:
				c.checkAt = minTime(ends, now.Add(sessionRecheck))
			}
		}
		h.mu.Unlock()
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// endedKeep is how long an ended session is remembered here, and
// endedMax how many at most: by then every projector has applied its end.
const (
	endedKeep = 10 * time.Minute
	endedMax  = 100000
)

// EndSession drops session id on every instance at once: its sockets here
// close with 1008, the other instances hear it on live.>, and Ended reports
// it until the projectors have applied its end.
func (h *Hub) EndSession(session events.SessionID) {
	id := string(session)
	h.sessionEnded(id)
	h.mu.Lock()
	h.bus.publishSessionEnded(id)
	h.mu.Unlock()
}

// Ended reports whether session id was ended lately (on any instance).
func (h *Hub) Ended(id events.SessionID) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	at, ok := h.ended[string(id)]
	return ok && time.Since(at) < endedKeep
}

// sessionEnded remembers that session id ended and closes its sockets here.
func (h *Hub) sessionEnded(id string) {
	now := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.ended) >= endedMax {
		for k, at := range h.ended {
			if now.Sub(at) >= endedKeep || len(h.ended) >= endedMax {
				delete(h.ended, k)
			}
		}
	}
	h.ended[id] = now
	for c := range h.bySession[id] {
		c.close(websocket.ClosePolicyViolation, "signed out")
	}
}

// setReadOnly tells every connection, when it changes, whether the forum
// is read-only for now. The hub's lock is held.
func (h *Hub) setReadOnly(readOnly bool) {
	if readOnly == h.readOnly {
		return
	}
	h.readOnly = readOnly
	h.log.Warn("the log is out of reach: read-only until it is back", "read_only", readOnly)
	f := h.newFrame(frameStatus, 0, statusFrame{Type: frameStatus, ReadOnly: readOnly})
	for c := range h.conns {
		h.send(c, f)
	}
}

func (h *Hub) isClosed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closed
}

func addTo[K comparable](m map[K]map[*conn]struct{}, k K, c *conn) {
	set := m[k]
	if set == nil {
		set = map[*conn]struct{}{}
		m[k] = set
	}
	set[c] = struct{}{}
}

func removeFrom[K comparable](m map[K]map[*conn]struct{}, k K, c *conn) {
	if set := m[k]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(m, k)
		}
	}
}
