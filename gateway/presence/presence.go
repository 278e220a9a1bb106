// Package presence knows who is online and who is in which room, on this
// instance and on every other one as they last told. It is pure state: no
// lock, no NATS, no sockets. Operations go in (a connection opened, another
// instance's count of a user arrived, time passed) and the changes they make
// come out, for the hub to turn into frames and to publish.
//
// A user is online while any of their connections is open on any instance,
// and in a room while any of their connections there has joined it.
package presence

import (
	"slices"
	"strings"
	"time"

	"forum/projections"
)

// Timing of the instances' announcements.
const (
	// HeartbeatEvery is how often an instance says it is alive...
	HeartbeatEvery = 5 * time.Second
	// DefaultTTL is how long an instance may stay silent before its users
	// count as gone, unless it announced another.
	DefaultTTL = 3 * HeartbeatEvery
	// askEvery bounds how often an instance is asked for its whole state.
	askEvery = time.Second
)

// User is a user as presence shows them: their public fields.
type User = projections.User

// Changes are what one operation means to everyone: users who came online or
// went offline, and users who entered or left rooms. Apply them in order:
// users online, then room changes (joins before leaves), then users offline.
type Changes struct {
	Online  []User
	Rooms   []RoomChange
	Offline []User
}

// Empty reports whether nothing changed.
func (c Changes) Empty() bool { return len(c.Online)+len(c.Rooms)+len(c.Offline) == 0 }

func (c *Changes) add(o Changes) {
	c.Online = append(c.Online, o.Online...)
	c.Rooms = append(c.Rooms, o.Rooms...)
	c.Offline = append(c.Offline, o.Offline...)
}

// RoomChange is a user entering (Joined) or leaving a room.
type RoomChange struct {
	Room   string
	User   User
	Joined bool
}

// State is the presence of every instance as this one knows it. The zero
// value is not usable: call New.
type State struct {
	local  counts
	remote map[string]*remote
}

// New returns an empty State.
func New() *State { return &State{local: newCounts(), remote: map[string]*remote{}} }

// counts is who has connections on one instance.
type counts struct {
	users map[string]UserConns      // user id → their connections
	rooms map[string]map[string]int // room → user id → connections that joined it
}

// UserConns is how many connections a user has on one instance.
type UserConns struct {
	User  User
	Conns int
}

// RoomConns is how many connections of a user joined a room on one instance.
type RoomConns struct {
	Room   string
	UserID string
	Conns  int
}

func newCounts() counts {
	return counts{users: map[string]UserConns{}, rooms: map[string]map[string]int{}}
}

func (st *counts) setUser(u User, n int) {
	if n <= 0 {
		delete(st.users, u.ID)
		return
	}
	st.users[u.ID] = UserConns{User: u, Conns: n}
}

func (st *counts) setRoom(room, id string, n int) {
	m := st.rooms[room]
	if n <= 0 {
		delete(m, id)
		if len(m) == 0 {
			delete(st.rooms, room)
		}
		return
	}
	if m == nil {
		m = map[string]int{}
		st.rooms[room] = m
	}
	m[id] = n
}

// remote is another instance as last heard of.
type remote struct {
	counts
	ver   uint64        // the number of changes it has published, as far as we know
	seen  time.Time     // when we last heard from it
	ttl   time.Duration // how long it may stay silent
	asked time.Time     // when we last asked it for its whole state
	next  *counts       // its whole state, while the parts arrive
}

// Online reports whether user id has a connection open on any instance.
func (p *State) Online(id string) bool {
	_, ok := p.user(id)
	return ok
}

// OnlineUsers returns every online user, by nickname.
func (p *State) OnlineUsers() []User {
	seen := map[string]bool{}
	out := []User{}
	for st := range p.all {
		for id, uc := range st.users {
			if !seen[id] {
				seen[id] = true
				out = append(out, uc.User)
			}
		}
	}
	sortUsers(out)
	return out
}

// RoomMembers returns the users in room on any instance, by nickname.
func (p *State) RoomMembers(room string) []User {
	seen := map[string]bool{}
	out := []User{}
	for st := range p.all {
		for id := range st.rooms[room] {
			if !seen[id] {
				seen[id] = true
				u, _ := p.user(id)
				u.ID = id
				out = append(out, u)
			}
		}
	}
	sortUsers(out)
	return out
}

// Local returns this instance's own counts, to publish as its whole state.
func (p *State) Local() ([]UserConns, []RoomConns) {
	users := make([]UserConns, 0, len(p.local.users))
	for _, uc := range p.local.users {
		users = append(users, uc)
	}
	var rooms []RoomConns
	for room, m := range p.local.rooms {
		for id, n := range m {
			rooms = append(rooms, RoomConns{Room: room, UserID: id, Conns: n})
		}
	}
	return users, rooms
}

// LocalConns returns how many connections user id has on this instance.
func (p *State) LocalConns(id string) int { return p.local.users[id].Conns }

// Connect counts a new local connection of u and returns how many u has
// here now.
func (p *State) Connect(u User) (int, Changes) {
	w := p.watch([]string{u.ID}, nil)
	n := p.local.users[u.ID].Conns + 1
	p.local.setUser(u, n)
	return n, w.changes()
}

// Disconnect counts a closed local connection of u.
func (p *State) Disconnect(u User) (int, Changes) {
	w := p.watch([]string{u.ID}, nil)
	n := p.local.users[u.ID].Conns - 1
	p.local.setUser(u, n)
	return n, w.changes()
}

// Join counts a local connection of u joining room.
func (p *State) Join(room string, u User) (int, Changes) {
	w := p.watch(nil, []roomKey{{room, u.ID}})
	n := p.local.rooms[room][u.ID] + 1
	p.local.setRoom(room, u.ID, n)
	return n, w.changes()
}

// Leave counts a local connection of u leaving room.
func (p *State) Leave(room string, u User) (int, Changes) {
	w := p.watch(nil, []roomKey{{room, u.ID}})
	n := p.local.rooms[room][u.ID] - 1
	p.local.setRoom(room, u.ID, n)
	return n, w.changes()
}

// instance returns the remote instance id, made on first word from it
// (isNew then true), and notes that it was heard from at now.
func (p *State) instance(id string, now time.Time) (r *remote, isNew bool) {
	r = p.remote[id]
	if r == nil {
		r = &remote{counts: newCounts(), ttl: DefaultTTL}
		p.remote[id] = r
		isNew = true
	}
	r.seen = now
	return r, isNew
}

// shouldAsk reports whether to ask r for its whole state now (at most
// once a second), and notes that it was asked.
func (r *remote) shouldAsk(now time.Time) bool {
	if now.Sub(r.asked) < askEvery {
		return false
	}
	r.asked = now
	return true
}

func (r *remote) setTTL(ttl time.Duration) {
	if ttl > 0 {
		r.ttl = ttl
	}
}

// Remote is one change another instance published: the number of
// connections User has there (Room "") or has joined Room with. Ver counts
// the changes that instance has published.
type Remote struct {
	Instance string
	Ver      uint64
	Room     string
	User     User
	Conns    int
}

// ApplyRemote applies a change another instance published, heard at now.
// ask is true when a gap in its versions (a message lost, or an instance
// first heard of) means it should be asked for its whole state.
func (p *State) ApplyRemote(m Remote, now time.Time) (ch Changes, ask bool) {
	r, isNew := p.instance(m.Instance, now)
	gap := isNew || m.Ver != r.ver+1
	r.ver = m.Ver
	if m.Room == "" {
		w := p.watch([]string{m.User.ID}, nil)
		r.setUser(m.User, m.Conns)
		ch = w.changes()
	} else {
		w := p.watch([]string{m.User.ID}, []roomKey{{m.Room, m.User.ID}})
		if m.Conns > 0 {
			if _, there := r.users[m.User.ID]; !there {
				r.setUser(m.User, m.Conns) // in a room means online there; its own message follows
			}
		}
		r.setRoom(m.Room, m.User.ID, m.Conns)
		ch = w.changes()
	}
	return ch, gap && r.shouldAsk(now)
}

// Heartbeat notes that instance is alive at now, at version ver, and may
// stay silent for ttl (0: unchanged). ask is true when this instance has
// missed some of its changes.
func (p *State) Heartbeat(instance string, ver uint64, ttl time.Duration, now time.Time) (ask bool) {
	r, isNew := p.instance(instance, now)
	r.setTTL(ttl)
	return (isNew || ver != r.ver) && r.shouldAsk(now)
}

// StatePart is one part of another instance's whole state. Part 0 starts
// it; the part with Last replaces what was known of the instance.
type StatePart struct {
	Instance string
	Ver      uint64
	TTL      time.Duration
	Part     int
	Last     bool
	Users    []UserConns
	Rooms    []RoomConns
}

// ApplyState takes one part of another instance's whole state, heard at now.
// Parts before the first part 0 is heard are ignored.
func (p *State) ApplyState(m StatePart, now time.Time) Changes {
	r, _ := p.instance(m.Instance, now)
	r.setTTL(m.TTL)
	if m.Part == 0 {
		next := newCounts()
		r.next = &next
	}
	if r.next == nil {
		return Changes{} // heard in the middle of a state: wait for the next
	}
	for _, uc := range m.Users {
		r.next.setUser(uc.User, uc.Conns)
	}
	for _, rc := range m.Rooms {
		r.next.setRoom(rc.Room, rc.UserID, rc.Conns)
	}
	if !m.Last {
		return Changes{}
	}
	next := r.next
	r.next, r.ver = nil, m.Ver
	return p.replace(m.Instance, next)
}

// Bye forgets instance at once: it is shutting down.
func (p *State) Bye(instance string) Changes {
	if p.remote[instance] == nil {
		return Changes{}
	}
	return p.replace(instance, nil)
}

// Expire forgets the instances not heard from within their ttl (crashed,
// or cut off) and returns what that changes.
func (p *State) Expire(now time.Time) Changes {
	var all Changes
	for id, r := range p.remote {
		if now.Sub(r.seen) > r.ttl {
			all.add(p.replace(id, nil))
		}
	}
	return all
}

// replace replaces what instance id has with st (nil: it is gone).
func (p *State) replace(id string, st *counts) Changes {
	r := p.remote[id]
	var ids []string
	var keys []roomKey
	for _, s := range []*counts{st, r.countsOrNil()} {
		if s == nil {
			continue
		}
		for uid := range s.users {
			ids = append(ids, uid)
		}
		for room, m := range s.rooms {
			for uid := range m {
				keys = append(keys, roomKey{room, uid})
			}
		}
	}
	w := p.watch(ids, keys)
	if st == nil {
		delete(p.remote, id)
	} else if r != nil {
		r.counts = *st
	}
	return w.changes()
}

func (r *remote) countsOrNil() *counts {
	if r == nil {
		return nil
	}
	return &r.counts
}

// all yields the counts of this instance and then of every other.
func (p *State) all(yield func(*counts) bool) {
	if !yield(&p.local) {
		return
	}
	for _, r := range p.remote {
		if !yield(&r.counts) {
			return
		}
	}
}

// user returns the user object of an online user.
func (p *State) user(id string) (User, bool) {
	for st := range p.all {
		if uc, ok := st.users[id]; ok {
			return uc.User, true
		}
	}
	return User{}, false
}

func (p *State) inRoom(room, id string) bool {
	for st := range p.all {
		if st.rooms[room][id] > 0 {
			return true
		}
	}
	return false
}

func sortUsers(us []User) {
	slices.SortFunc(us, func(a, b User) int {
		if c := strings.Compare(strings.ToLower(a.Nickname), strings.ToLower(b.Nickname)); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

type roomKey struct{ room, user string }

// watch records the presence of some users and room members before a
// change; its changes method then says which of them the change flipped.
type watch struct {
	p       *State
	users   map[string]User // online before (with their object); absent = offline
	ids     []string
	members map[roomKey]bool
	keys    []roomKey
}

func (p *State) watch(ids []string, keys []roomKey) *watch {
	w := &watch{p: p, users: map[string]User{}, members: map[roomKey]bool{}}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		w.ids = append(w.ids, id)
		if u, ok := p.user(id); ok {
			w.users[id] = u
		}
	}
	for _, k := range keys {
		if _, dup := w.members[k]; dup {
			continue
		}
		w.keys = append(w.keys, k)
		w.members[k] = p.inRoom(k.room, k.user)
	}
	return w
}

// changes compares with the recorded state.
func (w *watch) changes() Changes {
	var ch Changes
	for _, id := range w.ids {
		before, was := w.users[id]
		now, is := w.p.user(id)
		switch {
		case is && !was:
			ch.Online = append(ch.Online, now)
		case was && !is:
			ch.Offline = append(ch.Offline, before)
		}
	}
	var leaves []RoomChange
	for _, k := range w.keys {
		was, is := w.members[k], w.p.inRoom(k.room, k.user)
		if was == is {
			continue
		}
		u, ok := w.p.user(k.user)
		if !ok {
			u, ok = w.users[k.user]
		}
		if !ok {
			u = User{ID: k.user}
		}
		if is {
			ch.Rooms = append(ch.Rooms, RoomChange{Room: k.room, User: u, Joined: true})
		} else {
			leaves = append(leaves, RoomChange{Room: k.room, User: u})
		}
	}
	ch.Rooms = append(ch.Rooms, leaves...)
	return ch
}
