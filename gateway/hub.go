package gateway

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/nats-io/nats.go"

	"forum/events"
)

// fanoutBatch bounds how many events the hub turns into frames before it
// queues them, so connections drain between bursts.
const fanoutBatch = 64

// Hub pushes committed changes to WebSocket connections and tracks presence.
//
// One goroutine (run) follows the projector: it reads the events each
// commit added, turns each into one frame shared by every connection it
// goes to (ws_frames.go), and queues it. Connections register under the
// hub's lock at a known stream sequence (seq), so a resuming connection
// replays exactly up to it and gets the rest live (ws_resume.go). The same
// lock guards presence (presence.go), so who-is-online frames, hellos and
// event frames reach every connection in one agreed order. Queuing never
// blocks: a connection whose queue is full is dropped (ws_conn.go).
type Hub struct {
	s        *Server
	presence *presence
	bus      *liveBus
	upgrader *websocket.Upgrader
	ctx      context.Context // ends at shutdown: connections' work stops
	cancel   context.CancelFunc
	// maxReplay is how many events behind the head a resume may be; further
	// back it gets resync. A field so tests can lower it.
	maxReplay atomic.Uint64

	mu        sync.Mutex
	closed    bool
	seq       uint64 // the frames of every event up to here are queued
	conns     map[*wsConn]struct{}
	byUser    map[string]map[*wsConn]struct{}
	bySession map[string]map[*wsConn]struct{}
	rooms     map[string]map[*wsConn]struct{}
	recent    frameCache
	wg        sync.WaitGroup // registered connections
}

func newHub(s *Server) *Hub {
	h := &Hub{
		s: s, conns: map[*wsConn]struct{}{}, byUser: map[string]map[*wsConn]struct{}{},
		bySession: map[string]map[*wsConn]struct{}{}, rooms: map[string]map[*wsConn]struct{}{},
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	h.upgrader = newUpgrader()
	h.presence = newPresence(&h.mu)
	var nc *nats.Conn
	if s.store != nil {
		nc = s.store.Conn()
	}
	h.bus = newLiveBus(h, nc)
	h.maxReplay.Store(10000)
	if s.proj != nil {
		h.seq = s.proj.Seq()
	}
	h.recent = newFrameCache(10000, 32<<20, h.seq)
	return h
}

// run fans committed events out until ctx ends, then closes every
// connection with 1001 (going away) and returns once they are gone.
func (h *Hub) run(ctx context.Context) {
	h.bus.start(ctx)
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	for {
		changed := h.s.proj.Changed()
		if err := h.fanOut(ctx); err != nil && ctx.Err() == nil {
			h.s.log.Error("websocket fan-out", "err", err)
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
	target := h.s.proj.Seq()
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
		batch = append(batch, h.build(ctx, ev))
		if len(batch) == fanoutBatch {
			h.deliver(batch)
			batch = batch[:0]
		}
		return nil
	})
	h.deliver(batch)
	return err
}

// deliver queues built frames to their audiences and moves seq past them.
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
		if b.frame != nil {
			h.recent.add(b)
			switch {
			case b.to.all:
				for c := range h.conns {
					h.send(c, b.frame)
				}
			case b.to.room != "":
				for c := range h.rooms[b.to.room] {
					h.send(c, b.frame)
				}
			default:
				for i, u := range b.to.users {
					if i == 0 || u != b.to.users[0] {
						for c := range h.byUser[u] {
							h.send(c, b.frame)
						}
					}
				}
			}
		}
		if b.endSession != "" {
			for c := range h.bySession[b.endSession] {
				c.close(websocket.ClosePolicyViolation, "signed out")
			}
		}
		h.seq = b.seq
	}
}

// send queues f to c unless c has it already (it resumed past it); a
// connection that cannot take it is dropped. The hub's lock is held.
func (h *Hub) send(c *wsConn, f *outFrame) {
	if f.seq != 0 && f.seq <= c.liveAfter {
		return
	}
	c.push(f)
}

// tell turns presence changes into frames: presence to everyone, room.system
// to the room; users come online before they join and leave before they go
// offline. The hub's lock is held.
func (h *Hub) tell(ch presenceChanges) {
	h.tellUsers(ch.users, true)
	for _, rc := range ch.rooms {
		kind, text := "join", rc.user.Nickname+" joined the room"
		if !rc.joined {
			kind, text = "leave", rc.user.Nickname+" left the room"
		}
		f := h.newFrame("room.system", 0, roomSystemFrame{Type: "room.system", Room: rc.room, User: rc.user, Kind: kind, Text: text})
		for c := range h.rooms[rc.room] {
			h.send(c, f)
		}
	}
	h.tellUsers(ch.users, false)
}

func (h *Hub) tellUsers(users []presenceChange, online bool) {
	for _, pc := range users {
		if pc.online != online {
			continue
		}
		f := h.newFrame("presence", 0, presenceFrame{Type: "presence", User: pc.user, Online: pc.online})
		for c := range h.conns {
			h.send(c, f)
		}
	}
}

// add registers c: it counts as connected here and gets frames from now
// on. It returns false once the hub has shut down. The hub's lock is held.
func (h *Hub) add(c *wsConn) bool {
	if h.closed {
		return false
	}
	n, ch := h.presence.connect(c.user)
	h.bus.publishUser(c.user, n)
	h.tell(ch) // before c is in: its hello says it all
	h.conns[c] = struct{}{}
	addTo(h.byUser, c.user.ID, c)
	if c.session != "" {
		addTo(h.bySession, c.session, c)
	}
	h.wg.Add(1)
	h.s.metrics.wsConns.Inc()
	return true
}

// remove unregisters c, leaving its rooms: others may see it go offline.
func (h *Hub) remove(c *wsConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for room := range c.rooms {
		h.leaveLocked(c, room)
	}
	delete(h.conns, c)
	removeFrom(h.byUser, c.user.ID, c)
	removeFrom(h.bySession, c.session, c)
	n, ch := h.presence.disconnect(c.user)
	h.bus.publishUser(c.user, n)
	h.tell(ch)
	h.s.metrics.wsConns.Dec()
}

// join adds c to room and tells it who is there.
func (h *Hub) join(c *wsConn, room string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	var ch presenceChanges
	if _, in := c.rooms[room]; !in {
		if len(c.rooms) >= wsMaxRooms {
			return events.FieldError(events.EINVALID, "room", fmt.Sprintf("a connection can be in at most %d rooms", wsMaxRooms))
		}
		c.rooms[room] = struct{}{}
		addTo(h.rooms, room, c)
		var n int
		n, ch = h.presence.join(room, c.user)
		h.bus.publishRoom(room, c.user, n)
	}
	c.push(h.newFrame("room.joined", 0, roomJoinedFrame{Type: "room.joined", Room: room, Members: h.presence.roomMembers(room)}))
	h.tell(ch)
	return nil
}

// leave takes c out of room; it reports whether c was in it.
func (h *Hub) leave(c *wsConn, room string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.leaveLocked(c, room)
}

func (h *Hub) leaveLocked(c *wsConn, room string) bool {
	if _, in := c.rooms[room]; !in {
		return false
	}
	delete(c.rooms, room)
	removeFrom(h.rooms, room, c)
	n, ch := h.presence.leave(room, c.user)
	h.bus.publishRoom(room, c.user, n)
	h.tell(ch)
	return true
}

// inRoom reports whether c joined room.
func (h *Hub) inRoom(c *wsConn, room string) bool {
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
		h.s.log.Warn("websockets still open at shutdown")
	}
	h.bus.stop()
}

func (h *Hub) isClosed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closed
}

func addTo[K comparable](m map[K]map[*wsConn]struct{}, k K, c *wsConn) {
	set := m[k]
	if set == nil {
		set = map[*wsConn]struct{}{}
		m[k] = set
	}
	set[c] = struct{}{}
}

func removeFrom[K comparable](m map[K]map[*wsConn]struct{}, k K, c *wsConn) {
	if set := m[k]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(m, k)
		}
	}
}
