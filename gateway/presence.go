package gateway

import (
	"slices"
	"strings"
	"sync"
	"time"

	"forum/projections"
)

// presence knows who is online and who is in which room, on this instance
// and, from what they publish over NATS (presence_nats.go), on every other.
// A user is online while any of their connections is open on any instance,
// and in a room while any of their connections there has joined it.
//
// presence is state only: the hub drives it, and turns the changes its
// methods return into frames. It shares the hub's lock, so presence frames,
// hellos and everything else reach connections in one agreed order; every
// method but online and roomOnline expects that lock held.
type presence struct {
	mu     *sync.Mutex
	local  instanceState
	remote map[string]*remoteInstance
}

// instanceState is who has connections on one instance.
type instanceState struct {
	users map[string]*userConns     // user id → their connections
	rooms map[string]map[string]int // room → user id → connections that joined it
}

type userConns struct {
	user  projections.User
	conns int
}

func newInstanceState() instanceState {
	return instanceState{users: map[string]*userConns{}, rooms: map[string]map[string]int{}}
}

// remoteInstance is another instance as last heard of.
type remoteInstance struct {
	instanceState
	ver   uint64        // the number of changes it has published, as far as we know
	seen  time.Time     // when we last heard from it
	ttl   time.Duration // how long it may stay silent before it counts as gone
	asked time.Time     // when we last asked it for its whole state
	next  *instanceState
}

// setTTL takes the silence an instance announces it may keep (0: unchanged).
func (r *remoteInstance) setTTL(ms int64) {
	if ms > 0 {
		r.ttl = time.Duration(ms) * time.Millisecond
	}
}

func newPresence(mu *sync.Mutex) *presence {
	return &presence{mu: mu, local: newInstanceState(), remote: map[string]*remoteInstance{}}
}

// online reports whether user id has a connection open on any instance.
func (p *presence) online(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.isOnline(id)
}

// roomOnline returns how many users are in room, on every instance.
func (p *presence) roomOnline(room string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.roomMembers(room))
}

func (p *presence) states(yield func(*instanceState) bool) {
	if !yield(&p.local) {
		return
	}
	for _, r := range p.remote {
		if !yield(&r.instanceState) {
			return
		}
	}
}

func (p *presence) isOnline(id string) bool {
	for st := range p.states {
		if st.users[id] != nil {
			return true
		}
	}
	return false
}

func (p *presence) inRoom(room, id string) bool {
	for st := range p.states {
		if st.rooms[room][id] > 0 {
			return true
		}
	}
	return false
}

// user returns the user object of an online user.
func (p *presence) user(id string) (projections.User, bool) {
	for st := range p.states {
		if uc := st.users[id]; uc != nil {
			return uc.user, true
		}
	}
	return projections.User{}, false
}

// onlineUsers returns every online user, by nickname.
func (p *presence) onlineUsers() []projections.User {
	seen := map[string]bool{}
	out := []projections.User{}
	for st := range p.states {
		for id, uc := range st.users {
			if !seen[id] {
				seen[id] = true
				out = append(out, uc.user)
			}
		}
	}
	sortUsers(out)
	return out
}

// roomMembers returns the users in room, by nickname.
func (p *presence) roomMembers(room string) []projections.User {
	seen := map[string]bool{}
	out := []projections.User{}
	for st := range p.states {
		for id := range st.rooms[room] {
			if !seen[id] {
				seen[id] = true
				if u, ok := p.user(id); ok {
					out = append(out, u)
				} else {
					out = append(out, projections.User{ID: id})
				}
			}
		}
	}
	sortUsers(out)
	return out
}

func sortUsers(us []projections.User) {
	slices.SortFunc(us, func(a, b projections.User) int {
		if c := strings.Compare(strings.ToLower(a.Nickname), strings.ToLower(b.Nickname)); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// presenceChanges are what one change of presence means to everyone: users
// who came online or went offline, and users who entered or left rooms
// (joins before leaves).
type presenceChanges struct {
	users []presenceChange
	rooms []roomChange
}

type presenceChange struct {
	user   projections.User
	online bool
}

type roomChange struct {
	room   string
	user   projections.User
	joined bool
}

type roomKey struct{ room, user string }

// watch records the presence of some users and room members before a
// change; its changes method then says which of them the change flipped.
type watch struct {
	p       *presence
	users   map[string]projections.User // online before (with their object); absent = offline
	ids     []string
	members map[roomKey]bool
	keys    []roomKey
}

func (p *presence) watch(ids []string, keys []roomKey) *watch {
	w := &watch{p: p, users: map[string]projections.User{}, members: map[roomKey]bool{}}
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
func (w *watch) changes() presenceChanges {
	var ch presenceChanges
	var offline []presenceChange
	for _, id := range w.ids {
		before, was := w.users[id]
		now, is := w.p.user(id)
		switch {
		case is && !was:
			ch.users = append(ch.users, presenceChange{user: now, online: true})
		case was && !is:
			offline = append(offline, presenceChange{user: before, online: false})
		}
	}
	var leaves []roomChange
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
			u = projections.User{ID: k.user}
		}
		if is {
			ch.rooms = append(ch.rooms, roomChange{room: k.room, user: u, joined: true})
		} else {
			leaves = append(leaves, roomChange{room: k.room, user: u})
		}
	}
	ch.rooms = append(ch.rooms, leaves...)
	ch.users = append(ch.users, offline...)
	return ch
}

// setUser sets the number of connections of u on st.
func (st *instanceState) setUser(u projections.User, conns int) {
	if conns <= 0 {
		delete(st.users, u.ID)
		return
	}
	st.users[u.ID] = &userConns{user: u, conns: conns}
}

// setRoom sets the number of connections of user id in room on st.
func (st *instanceState) setRoom(room, id string, conns int) {
	if conns <= 0 {
		if m := st.rooms[room]; m != nil {
			delete(m, id)
			if len(m) == 0 {
				delete(st.rooms, room)
			}
		}
		return
	}
	m := st.rooms[room]
	if m == nil {
		m = map[string]int{}
		st.rooms[room] = m
	}
	m[id] = conns
}

// connect counts a new local connection of u and returns how many u has
// here now.
func (p *presence) connect(u projections.User) (int, presenceChanges) {
	w := p.watch([]string{u.ID}, nil)
	n := 1
	if uc := p.local.users[u.ID]; uc != nil {
		n = uc.conns + 1
	}
	p.local.setUser(u, n)
	return n, w.changes()
}

// disconnect counts a closed local connection of u.
func (p *presence) disconnect(u projections.User) (int, presenceChanges) {
	w := p.watch([]string{u.ID}, nil)
	n := 0
	if uc := p.local.users[u.ID]; uc != nil {
		n = uc.conns - 1
	}
	p.local.setUser(u, n)
	return n, w.changes()
}

// join counts a local connection of u joining room.
func (p *presence) join(room string, u projections.User) (int, presenceChanges) {
	w := p.watch(nil, []roomKey{{room, u.ID}})
	n := p.local.rooms[room][u.ID] + 1
	p.local.setRoom(room, u.ID, n)
	return n, w.changes()
}

// leave counts a local connection of u leaving room.
func (p *presence) leave(room string, u projections.User) (int, presenceChanges) {
	w := p.watch(nil, []roomKey{{room, u.ID}})
	n := p.local.rooms[room][u.ID] - 1
	p.local.setRoom(room, u.ID, n)
	return n, w.changes()
}

// instance returns the remote instance id, made on first word from it
// (isNew then true).
func (p *presence) instance(id string, now time.Time) (r *remoteInstance, isNew bool) {
	r = p.remote[id]
	if r == nil {
		r = &remoteInstance{instanceState: newInstanceState(), ttl: defaultInstanceTTL}
		p.remote[id] = r
		isNew = true
	}
	r.seen = now
	return r, isNew
}

// setRemoteUser sets the number of connections u has on instance r.
func (p *presence) setRemoteUser(r *remoteInstance, u projections.User, conns int) presenceChanges {
	w := p.watch([]string{u.ID}, nil)
	r.setUser(u, conns)
	return w.changes()
}

// setRemoteRoom sets the number of connections u has in room on instance r.
func (p *presence) setRemoteRoom(r *remoteInstance, room string, u projections.User, conns int) presenceChanges {
	w := p.watch([]string{u.ID}, []roomKey{{room, u.ID}})
	if conns > 0 && r.users[u.ID] == nil {
		r.setUser(u, conns) // in a room means online there; its own message follows
	}
	r.setRoom(room, u.ID, conns)
	return w.changes()
}

// replaceRemote replaces what instance id has with st (nil: it is gone).
func (p *presence) replaceRemote(id string, st *instanceState) presenceChanges {
	r := p.remote[id]
	var ids []string
	var keys []roomKey
	for _, s := range []*instanceState{st, r.stateOrNil()} {
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
		r.instanceState = *st
	}
	return w.changes()
}

func (r *remoteInstance) stateOrNil() *instanceState {
	if r == nil {
		return nil
	}
	return &r.instanceState
}

// expire forgets the instances not heard from within their ttl (crashed,
// or cut off) and returns what that changes.
func (p *presence) expire(now time.Time) presenceChanges {
	var all presenceChanges
	for id, r := range p.remote {
		if now.Sub(r.seen) > r.ttl {
			ch := p.replaceRemote(id, nil)
			all.users = append(all.users, ch.users...)
			all.rooms = append(all.rooms, ch.rooms...)
		}
	}
	return all
}
