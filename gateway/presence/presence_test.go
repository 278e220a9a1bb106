package presence

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

var (
	ada = User{ID: "ada-id", Nickname: "ada"}
	bob = User{ID: "bob-id", Nickname: "Bob"}
	t0  = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
)

// step is one operation and what it must change; a step with ask set must
// (or, false, must not) ask the instance for its whole state.
type step struct {
	name string
	do   func(p *State) (Changes, bool)
	want Changes
	ask  bool
	// then checks the state after the step (nil: nothing more).
	then func(t *testing.T, p *State)
}

func local(f func(*State) (int, Changes)) func(*State) (Changes, bool) {
	return func(p *State) (Changes, bool) { _, ch := f(p); return ch, false }
}

func remoteChange(m Remote, at time.Time) func(*State) (Changes, bool) {
	return func(p *State) (Changes, bool) { return p.ApplyRemote(m, at) }
}

func changes(p *State, f func(*State) Changes) (Changes, bool) { return f(p), false }

func online(ids ...string) func(t *testing.T, p *State) {
	return func(t *testing.T, p *State) {
		t.Helper()
		var got []string
		for _, u := range p.OnlineUsers() {
			got = append(got, u.ID)
		}
		if strings.Join(got, ",") != strings.Join(ids, ",") {
			t.Errorf("online = %v, want %v", got, ids)
		}
	}
}

func TestPresence(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		steps []step
	}{
		{"tabs: online with the first, offline with the last", []step{
			{name: "first tab", do: local(func(p *State) (int, Changes) { return p.Connect(ada) }), want: Changes{Online: []User{ada}}},
			{name: "second tab", do: local(func(p *State) (int, Changes) { return p.Connect(ada) }), then: func(t *testing.T, p *State) {
				if p.LocalConns(ada.ID) != 2 {
					t.Errorf("local conns = %d, want 2", p.LocalConns(ada.ID))
				}
			}},
			{name: "one closes", do: local(func(p *State) (int, Changes) { return p.Disconnect(ada) }), then: online(ada.ID)},
			{name: "the last closes", do: local(func(p *State) (int, Changes) { return p.Disconnect(ada) }), want: Changes{Offline: []User{ada}}, then: online()},
		}},
		{"rooms: in while any connection joined", []step{
			{name: "connect", do: local(func(p *State) (int, Changes) { return p.Connect(ada) }), want: Changes{Online: []User{ada}}},
			{name: "join", do: local(func(p *State) (int, Changes) { return p.Join("general", ada) }), want: Changes{Rooms: []RoomChange{{Room: "general", User: ada, Joined: true}}}},
			{name: "join again from another tab", do: local(func(p *State) (int, Changes) { return p.Join("general", ada) })},
			{name: "leave once", do: local(func(p *State) (int, Changes) { return p.Leave("general", ada) }), then: func(t *testing.T, p *State) {
				if got := p.RoomMembers("general"); len(got) != 1 {
					t.Errorf("members = %v, want ada", got)
				}
			}},
			{name: "leave again", do: local(func(p *State) (int, Changes) { return p.Leave("general", ada) }), want: Changes{Rooms: []RoomChange{{Room: "general", User: ada}}}},
		}},
		{"another instance: counts are absolute, gaps ask", []step{
			{name: "first word asks", do: remoteChange(Remote{Instance: "b", Ver: 1, User: bob, Conns: 1}, t0), want: Changes{Online: []User{bob}}, ask: true},
			{name: "in order: no ask", do: remoteChange(Remote{Instance: "b", Ver: 2, User: bob, Conns: 3}, t0.Add(2*time.Second))},
			{name: "heard twice: same result", do: remoteChange(Remote{Instance: "b", Ver: 3, User: bob, Conns: 3}, t0.Add(2*time.Second))},
			{name: "gap asks", do: remoteChange(Remote{Instance: "b", Ver: 9, Room: "help", User: bob, Conns: 1}, t0.Add(3*time.Second)),
				want: Changes{Rooms: []RoomChange{{Room: "help", User: bob, Joined: true}}}, ask: true},
			{name: "a second gap within a second does not ask again", do: remoteChange(Remote{Instance: "b", Ver: 20, User: bob, Conns: 0}, t0.Add(3500*time.Millisecond)),
				want: Changes{Offline: []User{bob}}},
		}},
		{"a room join from another instance means online there", []step{
			{name: "room first", do: remoteChange(Remote{Instance: "b", Ver: 1, Room: "help", User: bob, Conns: 1}, t0),
				want: Changes{Online: []User{bob}, Rooms: []RoomChange{{Room: "help", User: bob, Joined: true}}}, ask: true, then: online(bob.ID)},
		}},
		{"online on two instances until both let go", []step{
			{name: "here", do: local(func(p *State) (int, Changes) { return p.Connect(bob) }), want: Changes{Online: []User{bob}}},
			{name: "there too", do: remoteChange(Remote{Instance: "b", Ver: 1, User: bob, Conns: 1}, t0), ask: true},
			{name: "gone here", do: local(func(p *State) (int, Changes) { return p.Disconnect(bob) }), then: online(bob.ID)},
			{name: "gone there", do: remoteChange(Remote{Instance: "b", Ver: 2, User: bob, Conns: 0}, t0), want: Changes{Offline: []User{bob}}},
		}},
		{"a silent instance expires; a heartbeat keeps it", []step{
			{name: "heartbeat with a short ttl", do: func(p *State) (Changes, bool) { return Changes{}, p.Heartbeat("b", 0, 2*time.Second, t0) }, ask: true},
			{name: "bob there", do: remoteChange(Remote{Instance: "b", Ver: 1, User: bob, Conns: 1}, t0), want: Changes{Online: []User{bob}}},
			{name: "heartbeat at the same version", do: func(p *State) (Changes, bool) {
				return Changes{}, p.Heartbeat("b", 1, 2*time.Second, t0.Add(time.Second))
			}},
			{name: "not yet expired", do: func(p *State) (Changes, bool) {
				return changes(p, func(p *State) Changes { return p.Expire(t0.Add(2 * time.Second)) })
			}},
			{name: "expired", do: func(p *State) (Changes, bool) {
				return changes(p, func(p *State) Changes { return p.Expire(t0.Add(4 * time.Second)) })
			},
				want: Changes{Offline: []User{bob}}},
			{name: "a heartbeat at a version we do not have asks", do: func(p *State) (Changes, bool) {
				return Changes{}, p.Heartbeat("c", 5, 0, t0.Add(5*time.Second))
			}, ask: true},
		}},
		{"a whole state in parts replaces what was known", []step{
			{name: "ada there", do: remoteChange(Remote{Instance: "b", Ver: 1, User: ada, Conns: 1}, t0), want: Changes{Online: []User{ada}}, ask: true},
			{name: "a part before part 0 is ignored", do: func(p *State) (Changes, bool) {
				return p.ApplyState(StatePart{Instance: "b", Ver: 7, Part: 1, Last: true, Users: []UserConns{{User: bob, Conns: 1}}}, t0), false
			}},
			{name: "part 0", do: func(p *State) (Changes, bool) {
				return p.ApplyState(StatePart{Instance: "b", Ver: 7, Part: 0, Users: []UserConns{{User: bob, Conns: 2}}}, t0), false
			}},
			{name: "the last part", do: func(p *State) (Changes, bool) {
				return p.ApplyState(StatePart{Instance: "b", Ver: 7, Part: 1, Last: true, Rooms: []RoomConns{{Room: "help", UserID: bob.ID, Conns: 1}}}, t0), false
			}, want: Changes{Online: []User{bob}, Rooms: []RoomChange{{Room: "help", User: bob, Joined: true}}, Offline: []User{ada}}},
			{name: "the next change in sequence does not ask", do: remoteChange(Remote{Instance: "b", Ver: 8, User: bob, Conns: 1}, t0.Add(2*time.Second))},
			{name: "bye", do: func(p *State) (Changes, bool) { return p.Bye("b"), false },
				want: Changes{Rooms: []RoomChange{{Room: "help", User: bob}}, Offline: []User{bob}}, then: online()},
			{name: "bye of an unknown instance", do: func(p *State) (Changes, bool) { return p.Bye("nobody"), false }},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := New()
			for _, s := range tt.steps {
				got, ask := s.do(p)
				if !reflect.DeepEqual(norm(got), norm(s.want)) {
					t.Errorf("%s: changes = %+v, want %+v", s.name, got, s.want)
				}
				if ask != s.ask {
					t.Errorf("%s: ask = %v, want %v", s.name, ask, s.ask)
				}
				if s.then != nil {
					s.then(t, p)
				}
			}
		})
	}
}

// norm makes empty and nil slices equal.
func norm(c Changes) Changes {
	if len(c.Online) == 0 {
		c.Online = nil
	}
	if len(c.Rooms) == 0 {
		c.Rooms = nil
	}
	if len(c.Offline) == 0 {
		c.Offline = nil
	}
	return c
}

func TestOrderAndLocal(t *testing.T) {
	t.Parallel()
	p := New()
	cyd := User{ID: "cyd-id", Nickname: "cyd"}
	for _, u := range []User{cyd, bob, ada} {
		p.Connect(u)
	}
	p.Join("general", bob)
	p.ApplyRemote(Remote{Instance: "b", Ver: 1, Room: "general", User: User{ID: "zed-id", Nickname: "Zed"}, Conns: 1}, t0)
	var got []string
	for _, u := range p.OnlineUsers() {
		got = append(got, u.Nickname)
	}
	if want := "ada,Bob,cyd,Zed"; strings.Join(got, ",") != want {
		t.Errorf("online by nickname, ignoring case = %v, want %s", got, want)
	}
	if m := p.RoomMembers("general"); len(m) != 2 || m[0].ID != bob.ID || m[1].Nickname != "Zed" {
		t.Errorf("members of general = %v", m)
	}
	users, rooms := p.Local()
	if len(users) != 3 || len(rooms) != 1 || rooms[0] != (RoomConns{Room: "general", UserID: bob.ID, Conns: 1}) {
		t.Errorf("local = %v, %v: want three users and bob in general", users, rooms)
	}
	if p.Online("nobody") || !p.Online("zed-id") {
		t.Error("Online is wrong")
	}
}
