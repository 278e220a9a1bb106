package hub

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"forum/commands"
	"forum/events"
	"forum/gateway/presence"
	"forum/projections"
)

// Presence and typing travel between instances on core NATS subjects under
// live.>, never stored in the stream (docs/PROTOCOL.md has the whole story):
//
//	live.presence.<user>          {instance, ver, user, conns}        connections of user on instance
//	live.room.<room>.presence     {instance, ver, room, user, conns}  connections of user in room on instance
//	live.room.<room>.typing       {room, from, active}
//	live.typing.<user>            {from, to, active}                  from is typing to user
//	live.instance.<id>.heartbeat  {instance, ver, ttl_ms}             every few seconds
//	live.instance.<id>.state      {instance, ver, ttl_ms, part, last, users, rooms}: its whole state, in parts
//	live.instance.<id>.sync       {instance}                          asks <id> to publish its state
//	live.instance.<id>.bye        {instance}                          <id> is shutting down
//	live.sync                     {instance}                          a new instance asks everyone for their state
//	live.session.<id>.ended       {}                                  session <id> was ended: drop it now
//
// Counts are absolute, so a message applies the same whenever it is heard
// again. ver counts the changes an instance has published: a gap (a message
// lost, or an instance first heard of) makes the listener ask for the whole
// state. An instance silent for longer than its ttl_ms counts as crashed:
// its users go offline everywhere else (package presence decides all that).
const statePartSize = 500

// Wire forms of the live.> messages.
type (
	livePresence struct {
		Instance string           `json:"instance"`
		Ver      uint64           `json:"ver"`
		Room     string           `json:"room,omitempty"`
		User     projections.User `json:"user"`
		Conns    int              `json:"conns"`
	}
	liveInstance struct {
		Instance string `json:"instance"`
		Ver      uint64 `json:"ver,omitempty"`
		TTLms    int64  `json:"ttl_ms,omitempty"`
	}
	liveState struct {
		Instance string          `json:"instance"`
		Ver      uint64          `json:"ver,omitempty"`
		TTLms    int64           `json:"ttl_ms,omitempty"`
		Part     int             `json:"part"`
		Last     bool            `json:"last"`
		Users    []liveUserConns `json:"users,omitempty"`
		Rooms    []liveRoomConns `json:"rooms,omitempty"`
	}
	liveUserConns struct {
		User  projections.User `json:"user"`
		Conns int              `json:"conns"`
	}
	liveRoomConns struct {
		Room   string `json:"room"`
		UserID string `json:"user_id"`
		Conns  int    `json:"conns"`
	}
	liveTyping struct {
		From   projections.User `json:"from"`
		To     string           `json:"to,omitempty"`
		Room   string           `json:"room,omitempty"`
		Active bool             `json:"active"`
	}
)

// liveKind says what a live.> subject carries.
type liveKind int

// The kinds of live.> subjects.
const (
	liveUserPresence liveKind = iota + 1 // live.presence.<user>
	liveRoomPresence                     // live.room.<room>.presence
	liveRoomTyping                       // live.room.<room>.typing
	liveUserTyping                       // live.typing.<user>
	liveInstanceMsg                      // live.instance.<id>.<verb>
	liveSync                             // live.sync
	liveSessionEnded                     // live.session.<id>.ended
)

// instanceVerb is the last token of a live.instance.<id>.<verb> subject.
type instanceVerb string

// What an instance says of itself, or is asked.
const (
	verbHeartbeat instanceVerb = "heartbeat"
	verbState     instanceVerb = "state"
	verbSync      instanceVerb = "sync"
	verbBye       instanceVerb = "bye"
)

// liveSubject is one live.> subject, built by the functions below and read
// back by parseLiveSubject: nothing else spells one out.
type liveSubject struct {
	kind liveKind
	name string       // the user, room, instance or session it names; "" for live.sync
	verb instanceVerb // for liveInstanceMsg
}

// liveAll is the wildcard the bus subscribes to.
const liveAll = "live.>"

// The constructors of every live.> subject the bus publishes.

func userPresenceSubject(user string) liveSubject {
	return liveSubject{kind: liveUserPresence, name: user}
}

func roomPresenceSubject(room string) liveSubject {
	return liveSubject{kind: liveRoomPresence, name: room}
}

func roomTypingSubject(room string) liveSubject {
	return liveSubject{kind: liveRoomTyping, name: room}
}

func userTypingSubject(user string) liveSubject {
	return liveSubject{kind: liveUserTyping, name: user}
}

func instanceSubject(id string, verb instanceVerb) liveSubject {
	return liveSubject{kind: liveInstanceMsg, name: id, verb: verb}
}

func syncSubject() liveSubject { return liveSubject{kind: liveSync} }

func sessionEndedSubject(id string) liveSubject {
	return liveSubject{kind: liveSessionEnded, name: id}
}

// String spells s out as a NATS subject.
func (s liveSubject) String() string {
	switch s.kind {
	case liveUserPresence:
		return "live.presence." + s.name
	case liveRoomPresence:
		return "live.room." + s.name + ".presence"
	case liveRoomTyping:
		return "live.room." + s.name + ".typing"
	case liveUserTyping:
		return "live.typing." + s.name
	case liveInstanceMsg:
		return "live.instance." + s.name + "." + string(s.verb)
	case liveSync:
		return "live.sync"
	case liveSessionEnded:
		return "live.session." + s.name + ".ended"
	}
	return ""
}

// parseLiveSubject reads a subject heard on live.>; false if it is none of
// the forms above (any NATS client can publish there).
func parseLiveSubject(subject string) (liveSubject, bool) {
	tok := strings.Split(subject, ".")
	if len(tok) < 2 || tok[0] != "live" {
		return liveSubject{}, false
	}
	switch {
	case len(tok) == 3 && tok[1] == "presence":
		return userPresenceSubject(tok[2]), true
	case len(tok) == 4 && tok[1] == "room" && tok[3] == "presence":
		return roomPresenceSubject(tok[2]), true
	case len(tok) == 4 && tok[1] == "room" && tok[3] == "typing":
		return roomTypingSubject(tok[2]), true
	case len(tok) == 3 && tok[1] == "typing":
		return userTypingSubject(tok[2]), true
	case len(tok) == 4 && tok[1] == "session" && tok[3] == "ended":
		return sessionEndedSubject(tok[2]), true
	case len(tok) == 4 && tok[1] == "instance":
		return instanceSubject(tok[2], instanceVerb(tok[3])), true
	case len(tok) == 2 && tok[1] == "sync":
		return syncSubject(), true
	}
	return liveSubject{}, false
}

// bus connects this instance's presence to the other instances'. With no
// NATS connection it keeps everything local.
type bus struct {
	h   *Hub
	nc  *nats.Conn
	id  string // this instance
	sub *nats.Subscription
	wg  sync.WaitGroup

	// Guarded by the hub's lock, under which every publication is made so
	// they leave in the order of the changes they describe.
	ver  uint64
	beat time.Time
}

func newBus(h *Hub, nc *nats.Conn) *bus {
	return &bus{h: h, nc: nc, id: events.NewID(time.Now())}
}

// start subscribes to live.>, asks the other instances for their state and
// heartbeats until ctx ends.
func (b *bus) start(ctx context.Context) {
	if b.nc == nil {
		return
	}
	sub, err := b.nc.Subscribe(liveAll, b.receive)
	if err != nil {
		b.h.log.Error("presence: subscribe live.>", "err", err)
		return
	}
	sub.SetPendingLimits(64<<10, 16<<20) // a burst past this is dropped (and counts repair it), never buffered without bound
	b.sub = sub
	b.h.mu.Lock()
	b.publish(syncSubject(), liveInstance{Instance: b.id})
	b.heartbeat(time.Now())
	b.h.mu.Unlock()
	b.wg.Go(func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-tick.C:
				b.h.mu.Lock()
				b.h.setReadOnly(!b.nc.IsConnected())
				if now.Sub(b.beat) >= presence.HeartbeatEvery {
					b.heartbeat(now)
				}
				b.h.tell(b.h.presence.Expire(now))
				b.h.mu.Unlock()
			}
		}
	})
}

// stop says goodbye, so other instances drop this one's users at once.
func (b *bus) stop() {
	b.wg.Wait()
	if b.sub == nil {
		return
	}
	b.h.mu.Lock()
	b.publish(instanceSubject(b.id, verbBye), liveInstance{Instance: b.id})
	b.h.mu.Unlock()
	b.sub.Unsubscribe()
	b.nc.FlushTimeout(time.Second)
}

func (b *bus) publish(subject liveSubject, v any) {
	if b.nc == nil {
		return
	}
	data, err := json.Marshal(v)
	if err == nil {
		err = b.nc.Publish(subject.String(), data)
	}
	if err != nil {
		b.h.log.Debug("presence: publish", "subject", subject.String(), "err", err)
	}
}

// publishUser tells the others how many connections u has here. The hub's
// lock is held.
func (b *bus) publishUser(u projections.User, conns int) {
	b.ver++
	b.publish(userPresenceSubject(u.ID), livePresence{Instance: b.id, Ver: b.ver, User: u, Conns: conns})
}

// publishRoom tells the others how many connections of u joined room here.
// The hub's lock is held.
func (b *bus) publishRoom(room string, u projections.User, conns int) {
	b.ver++
	b.publish(roomPresenceSubject(room), livePresence{Instance: b.id, Ver: b.ver, Room: room, User: u, Conns: conns})
}

func (b *bus) heartbeat(now time.Time) {
	b.beat = now
	b.publish(instanceSubject(b.id, verbHeartbeat), liveInstance{Instance: b.id, Ver: b.ver, TTLms: presence.DefaultTTL.Milliseconds()})
}

// publishState publishes this instance's whole state, in parts. The hub's
// lock is held, so no change comes between the parts.
func (b *bus) publishState() {
	head := liveState{Instance: b.id, Ver: b.ver, TTLms: presence.DefaultTTL.Milliseconds()}
	part := head
	flush := func(last bool) {
		part.Last = last
		b.publish(instanceSubject(b.id, verbState), part)
		next := head
		next.Part = part.Part + 1
		part = next
	}
	full := func() bool { return len(part.Users)+len(part.Rooms) == statePartSize }
	users, rooms := b.h.presence.Local()
	for _, uc := range users {
		part.Users = append(part.Users, liveUserConns{User: uc.User, Conns: uc.Conns})
		if full() {
			flush(false)
		}
	}
	for _, rc := range rooms {
		part.Rooms = append(part.Rooms, liveRoomConns{Room: rc.Room, UserID: rc.UserID, Conns: rc.Conns})
		if full() {
			flush(false)
		}
	}
	flush(true)
}

// publishSessionEnded tells every instance that session id has ended, so
// they drop it at once rather than when their projector gets there.
func (b *bus) publishSessionEnded(id string) {
	if b.nc == nil {
		return
	}
	b.publish(sessionEndedSubject(id), struct{}{})
}

// publishTyping tells from's typing state to user to, wherever they are
// connected.
func (b *bus) publishTyping(from projections.User, to string, active bool) {
	m := liveTyping{From: from, To: to, Active: active}
	if b.nc == nil {
		b.typing(to, m)
		return
	}
	b.publish(userTypingSubject(to), m)
}

// publishRoomTyping tells from's typing state to the members of room.
func (b *bus) publishRoomTyping(room string, from projections.User, active bool) {
	m := liveTyping{From: from, Room: room, Active: active}
	if b.nc == nil {
		b.roomTyping(room, m)
		return
	}
	b.publish(roomTypingSubject(room), m)
}

// receive handles every live.> message, one at a time and in the order
// they arrive. Anything malformed is ignored: any NATS client can publish.
func (b *bus) receive(msg *nats.Msg) {
	s, ok := parseLiveSubject(msg.Subject)
	if !ok {
		return
	}
	switch s.kind {
	case liveUserPresence:
		var m livePresence
		if json.Unmarshal(msg.Data, &m) == nil && m.User.ID == s.name {
			b.presence(m, "")
		}
	case liveRoomPresence:
		var m livePresence
		if json.Unmarshal(msg.Data, &m) == nil && m.Room == s.name {
			b.presence(m, s.name)
		}
	case liveRoomTyping:
		var m liveTyping
		if json.Unmarshal(msg.Data, &m) == nil && m.Room == s.name && commands.CheckRoom(m.Room) == nil && events.ValidID(m.From.ID) {
			b.roomTyping(m.Room, m)
		}
	case liveUserTyping:
		var m liveTyping
		if json.Unmarshal(msg.Data, &m) == nil && m.To == s.name && events.ValidID(m.From.ID) {
			b.typing(m.To, m)
		}
	case liveSessionEnded:
		if events.ValidID(s.name) {
			b.h.sessionEnded(s.name)
		}
	case liveInstanceMsg:
		b.instanceMsg(s.name, s.verb, msg.Data)
	case liveSync:
		var m liveInstance
		if json.Unmarshal(msg.Data, &m) == nil && m.Instance != b.id {
			b.h.mu.Lock()
			b.publishState()
			b.h.mu.Unlock()
		}
	}
}

// presence applies another instance's count of a user's connections
// (room "") or of those that joined room.
func (b *bus) presence(m livePresence, room string) {
	if m.Instance == "" || m.Instance == b.id || !events.ValidID(m.User.ID) || (room != "" && commands.CheckRoom(room) != nil) {
		return
	}
	b.h.mu.Lock()
	defer b.h.mu.Unlock()
	ch, ask := b.h.presence.ApplyRemote(presence.Remote{Instance: m.Instance, Ver: m.Ver, Room: room, User: m.User, Conns: m.Conns}, time.Now())
	b.h.tell(ch)
	if ask {
		b.ask(m.Instance)
	}
}

// ask asks instance id to publish its whole state.
func (b *bus) ask(id string) {
	b.publish(instanceSubject(id, verbSync), liveInstance{Instance: b.id})
}

func (b *bus) instanceMsg(id string, verb instanceVerb, data []byte) {
	if id == b.id {
		if verb == verbSync {
			b.h.mu.Lock()
			b.publishState()
			b.h.mu.Unlock()
		}
		return
	}
	now := time.Now()
	b.h.mu.Lock()
	defer b.h.mu.Unlock()
	p := b.h.presence
	switch verb {
	case verbHeartbeat:
		var m liveInstance
		if json.Unmarshal(data, &m) != nil || m.Instance != id {
			return
		}
		if p.Heartbeat(id, m.Ver, time.Duration(m.TTLms)*time.Millisecond, now) {
			b.ask(id)
		}
	case verbState:
		var m liveState
		if json.Unmarshal(data, &m) != nil || m.Instance != id {
			return
		}
		part := presence.StatePart{Instance: id, Ver: m.Ver, TTL: time.Duration(m.TTLms) * time.Millisecond, Part: m.Part, Last: m.Last}
		for _, uc := range m.Users {
			if events.ValidID(uc.User.ID) {
				part.Users = append(part.Users, presence.UserConns{User: uc.User, Conns: uc.Conns})
			}
		}
		for _, rc := range m.Rooms {
			if commands.CheckRoom(rc.Room) == nil && events.ValidID(rc.UserID) {
				part.Rooms = append(part.Rooms, presence.RoomConns{Room: rc.Room, UserID: rc.UserID, Conns: rc.Conns})
			}
		}
		b.h.tell(p.ApplyState(part, now))
	case verbBye:
		b.h.tell(p.Bye(id))
	}
}

// typing shows m to the connections of user to on this instance, unless
// to blocks its sender.
func (b *bus) typing(to string, m liveTyping) {
	b.h.mu.Lock()
	defer b.h.mu.Unlock()
	if len(b.h.byUser[to]) == 0 {
		return
	}
	f := b.h.newFrame(frameTyping, 0, typingFrame{Type: frameTyping, From: m.From, Active: m.Active})
	f.author = m.From.ID // not to a user who blocks them
	for c := range b.h.byUser[to] {
		b.h.send(c, f)
	}
}

// roomTyping shows m to the connections in room on this instance, but the
// typist's own and those of users who block the typist.
func (b *bus) roomTyping(room string, m liveTyping) {
	b.h.mu.Lock()
	defer b.h.mu.Unlock()
	if len(b.h.rooms[room]) == 0 {
		return
	}
	f := b.h.newFrame(frameRoomTyping, 0, roomTypingFrame{Type: frameRoomTyping, Room: room, From: m.From, Active: m.Active})
	f.author = m.From.ID // not to those who block them
	for c := range b.h.rooms[room] {
		if c.user.ID != m.From.ID {
			b.h.send(c, f)
		}
	}
}
