package gateway

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"forum/projections"
)

// contactOnline reports whether c's contacts list shows user online.
func (c *client) contactOnline(user string) bool {
	c.f.t.Helper()
	var out projections.Page[projections.Contact]
	c.mustDo("GET", "/api/contacts", nil, http.StatusOK, &out)
	for _, ct := range out.Items {
		if ct.User.ID == user {
			return ct.Online
		}
	}
	c.f.t.Fatalf("%s is not among the contacts", user)
	return false
}

// roomOnline returns the online count /api/rooms shows for room.
func (c *client) roomOnline(room string) int {
	c.f.t.Helper()
	var out projections.Page[projections.Room]
	c.mustDo("GET", "/api/rooms", nil, http.StatusOK, &out)
	for _, r := range out.Items {
		if r.Name == room {
			return r.Online
		}
	}
	return 0
}

// waitPresences waits until a presence frame with online came for each of
// users, in any order.
func (w *wsClient) waitPresences(what string, online bool, users ...string) {
	w.t.Helper()
	seen := map[string]bool{}
	for len(seen) < len(users) {
		w.waitFor(what, func(f wsFrame) bool {
			for _, u := range users {
				if !seen[u] && isPresence(u, online)(f) {
					seen[u] = true
					return true
				}
			}
			return false
		})
	}
}

func isPresence(user string, online bool) func(wsFrame) bool {
	return func(f wsFrame) bool {
		var p presenceFrame
		return f.Type == "presence" && json.Unmarshal(f.Raw, &p) == nil && p.User.ID == user && p.Online == online
	}
}

func isRoomSystem(room, user, kind string) func(wsFrame) bool {
	return func(f wsFrame) bool {
		var s roomSystemFrame
		return f.Type == "room.system" && json.Unmarshal(f.Raw, &s) == nil && s.Room == room && s.User.ID == user && s.Kind == kind
	}
}

// Two instances share one NATS server (each its own read models): users
// on either see each other come and go, chat live and share rooms.
func TestPresenceAcrossInstances(t *testing.T) {
	t.Parallel()
	f1 := newForum(t, forumOptions{})
	f2 := newForum(t, forumOptions{store: f1.Store})
	ada, bob1 := f1.signup("ada"), f1.signup("bob")
	eventually(t, "the second instance to catch up", func() bool { return f2.Proj.Seq() >= f1.Proj.Seq() })
	bob := &client{f: f2, Token: bob1.Token, User: bob1.User}

	a := ada.dialWS("")                                                                               // on instance 1
	eventually(t, "instance 2 to hear of ada", func() bool { return bob.contactOnline(ada.User.ID) }) // over HTTP on 2
	b := bob.dialWS("")                                                                               // on instance 2
	a.waitFor("bob online", isPresence(bob.User.ID, true))
	if !ada.contactOnline(bob.User.ID) {
		t.Error("instance 1's contacts: bob offline")
	}
	if got := nicknames(b.hello.Online); strings.Join(got, ",") != "ada,bob" {
		t.Errorf("bob's hello on instance 2: online %v, want ada and bob", got)
	}

	// Direct messages and typing between instances, live.
	a.send(map[string]any{"type": "typing", "to": bob.User.ID, "active": true})
	b.waitType("typing")
	a.send(map[string]any{"type": "dm", "to": bob.User.ID, "body": "hello from one", "client_id": "1"})
	m := a.waitType("ack").message(t)
	if got := b.waitType("dm").message(t); got.ID != m.ID || got.Body != "hello from one" {
		t.Errorf("bob got %+v", got)
	}
	b.send(map[string]any{"type": "dm", "to": ada.User.ID, "body": "hello from two", "client_id": "2"})
	a.waitFor("bob's dm", func(f wsFrame) bool { return f.Type == "dm" && f.message(t).Body == "hello from two" })

	// A room across instances.
	a.send(map[string]any{"type": "room.join", "room": "random"})
	a.waitType("room.joined")
	eventually(t, "instance 2 to see ada in random", func() bool { return bob.roomOnline("random") == 1 })
	b.send(map[string]any{"type": "room.join", "room": "random"})
	var joined roomJoinedFrame
	b.waitType("room.joined").decode(t, &joined)
	if got := nicknames(joined.Members); strings.Join(got, ",") != "ada,bob" {
		t.Errorf("random's members on instance 2: %v", got)
	}
	a.waitFor("bob joining", isRoomSystem("random", bob.User.ID, "join"))
	b.send(map[string]any{"type": "room.typing", "room": "random", "active": true})
	a.waitType("room.typing")
	b.send(map[string]any{"type": "room.message", "room": "random", "body": "hi from two", "client_id": "r"})
	a.waitFor("bob's room message", func(f wsFrame) bool { return f.Type == "room.message" && f.message(t).Body == "hi from two" })

	// Leaving: closing the last connection leaves the room and goes offline.
	b.close()
	a.waitFor("bob leaving random", isRoomSystem("random", bob.User.ID, "leave"))
	a.waitFor("bob offline", isPresence(bob.User.ID, false))
	if ada.contactOnline(bob.User.ID) || ada.roomOnline("random") != 1 {
		t.Error("instance 1 still counts bob")
	}
}

// fakeInstance publishes presence as another instance would, over the
// forum's NATS connection.
type fakeInstance struct {
	t   *testing.T
	nc  *nats.Conn
	id  string
	ver uint64
}

func (fi *fakeInstance) publish(subject string, v any) {
	fi.t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		fi.t.Fatal(err)
	}
	if err := fi.nc.Publish(subject, data); err != nil {
		fi.t.Fatal(err)
	}
}

func (fi *fakeInstance) heartbeat(ttl time.Duration) {
	fi.publish("live.instance."+fi.id+".heartbeat", liveInstance{Instance: fi.id, Ver: fi.ver, TTLms: ttl.Milliseconds()})
}

func (fi *fakeInstance) user(u projections.User, conns int) {
	fi.ver++
	fi.publish("live.presence."+u.ID, livePresence{Instance: fi.id, Ver: fi.ver, User: u, Conns: conns})
}

func (fi *fakeInstance) room(room string, u projections.User, conns int) {
	fi.ver++
	fi.publish("live.room."+room+".presence", livePresence{Instance: fi.id, Ver: fi.ver, Room: room, User: u, Conns: conns})
}

// An instance that stops heartbeating (it crashed) takes its users offline
// after its time to live.
func TestPresenceCrashedInstance(t *testing.T) {
	t.Parallel()
	f := newForum(t, forumOptions{})
	ada, ghost := f.signup("ada"), f.signup("ghost")
	a := ada.dialWS("")
	a.send(map[string]any{"type": "room.join", "room": "help"})
	a.waitType("room.joined")

	fi := &fakeInstance{t: t, nc: f.Store.Conn(), id: "crashy"}
	const ttl = 2 * time.Second
	fi.heartbeat(ttl)
	fi.user(ghost.User, 2)
	fi.room("help", ghost.User, 1)
	a.waitFor("ghost online", isPresence(ghost.User.ID, true))
	a.waitFor("ghost joining help", isRoomSystem("help", ghost.User.ID, "join"))
	fi.heartbeat(ttl)
	if !ada.contactOnline(ghost.User.ID) || ada.roomOnline("help") != 2 {
		t.Error("ghost is not counted while its instance lives")
	}
	// Silence: the instance is gone.
	a.waitFor("ghost leaving help", isRoomSystem("help", ghost.User.ID, "leave"))
	a.waitFor("ghost offline", isPresence(ghost.User.ID, false))
	if ada.contactOnline(ghost.User.ID) || ada.roomOnline("help") != 1 {
		t.Error("ghost still counted after its instance expired")
	}
}

// Another instance's whole state arrives in parts and replaces what was
// known of it; a gap in its changes makes the hub ask for it; a goodbye
// forgets it at once; and the hub publishes its own state when asked.
func TestPresenceStateSync(t *testing.T) {
	t.Parallel()
	f := newForum(t, forumOptions{})
	ada, u1, u2 := f.signup("ada"), f.signup("uno"), f.signup("dos")
	a := ada.dialWS("")
	nc := f.Store.Conn()
	fi := &fakeInstance{t: t, nc: nc, id: "other", ver: 7}

	asks, err := nc.SubscribeSync("live.instance.other.sync")
	if err != nil {
		t.Fatal(err)
	}
	defer asks.Unsubscribe()
	nc.Flush()
	head := liveInstance{Instance: "other", Ver: 7, TTLms: time.Minute.Milliseconds()}
	fi.publish("live.instance.other.state", liveState{liveInstance: head, Part: 0, Users: []liveUserConns{{User: u1.User, Conns: 1}}})
	fi.publish("live.instance.other.state", liveState{liveInstance: head, Part: 1, Last: true,
		Users: []liveUserConns{{User: u2.User, Conns: 3}}, Rooms: []liveRoomConns{{Room: "general", UserID: u2.User.ID, Conns: 1}}})
	// Both come online with the last part, in no particular order.
	a.waitPresences("uno and dos online", true, u1.User.ID, u2.User.ID)
	if n := ada.roomOnline("general"); n != 1 {
		t.Errorf("general: %d online, want dos", n)
	}

	// A newer state without uno takes uno offline.
	head.Ver = 8
	fi.publish("live.instance.other.state", liveState{liveInstance: head, Last: true,
		Users: []liveUserConns{{User: u2.User, Conns: 3}}, Rooms: []liveRoomConns{{Room: "general", UserID: u2.User.ID, Conns: 1}}})
	a.waitFor("uno offline", isPresence(u1.User.ID, false))

	// A change out of sequence (9 was lost) is applied, and the hub asks for the rest.
	fi.ver = 9
	fi.user(u1.User, 1)
	a.waitFor("uno online again", isPresence(u1.User.ID, true))
	if _, err := asks.NextMsg(wsWait); err != nil {
		t.Fatalf("no request for the state after a gap: %v", err)
	}

	// Goodbye.
	fi.publish("live.instance.other.bye", liveInstance{Instance: "other"})
	a.waitPresences("uno and dos offline", false, u1.User.ID, u2.User.ID)
	if ada.roomOnline("general") != 0 {
		t.Error("general still counts dos")
	}

	// Asked, the hub publishes its own state: ada, connected once.
	states, err := nc.SubscribeSync("live.instance.*.state")
	if err != nil {
		t.Fatal(err)
	}
	defer states.Unsubscribe()
	nc.Flush()
	fi.publish("live.sync", liveInstance{Instance: "probe"})
	for {
		msg, err := states.NextMsg(wsWait)
		if err != nil {
			t.Fatalf("no state published: %v", err)
		}
		var st liveState
		json.Unmarshal(msg.Data, &st)
		if st.Instance == f.GW.hub.bus.id {
			if len(st.Users) != 1 || st.Users[0].User.ID != ada.User.ID || st.Users[0].Conns != 1 || !st.Last {
				t.Errorf("state = %s, want ada with one connection", msg.Data)
			}
			break
		}
	}
}
