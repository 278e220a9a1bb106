package hub_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"forum/gateway/hub"
	"forum/internal/forumtest"
	"forum/projections"
)

// Two instances share one NATS server (each its own read models): users
// on either see each other come and go, chat live and share rooms.
func TestPresenceAcrossInstances(t *testing.T) {
	t.Parallel()
	f1 := forumtest.Start(t, forumtest.Options{})
	f2 := forumtest.Start(t, forumtest.Options{Store: f1.Store})
	ada, bob1 := f1.SignUp("ada"), f1.SignUp("bob")
	forumtest.Eventually(t, "the second instance to catch up", func() bool { return f2.Proj.Seq() >= f1.Proj.Seq() })
	bob := bob1.As(f2)

	a := ada.DialWS("")                                                                                         // on instance 1
	forumtest.Eventually(t, "instance 2 to hear of ada", func() bool { return bob.ContactOnline(ada.User.ID) }) // over HTTP on 2
	b := bob.DialWS("")                                                                                         // on instance 2
	a.WaitFor("bob online", forumtest.IsPresence(bob.User.ID, true))
	if !ada.ContactOnline(bob.User.ID) {
		t.Error("instance 1's contacts: bob offline")
	}
	if got := nicknames(b.Hello.Online); strings.Join(got, ",") != "ada,bob" {
		t.Errorf("bob's hello on instance 2: online %v, want ada and bob", got)
	}

	// Direct messages and typing between instances, live.
	a.Send(map[string]any{"type": "typing", "to": bob.User.ID, "active": true})
	b.WaitType("typing")
	a.Send(map[string]any{"type": "dm", "to": bob.User.ID, "body": "hello from one", "client_id": "1"})
	m := a.WaitType("ack").Message(t)
	if got := b.WaitType("dm").Message(t); got.ID != m.ID || got.Body != "hello from one" {
		t.Errorf("bob got %+v", got)
	}
	b.Send(map[string]any{"type": "dm", "to": ada.User.ID, "body": "hello from two", "client_id": "2"})
	a.WaitFor("bob's dm", func(f forumtest.Frame) bool { return f.Type == "dm" && f.Message(t).Body == "hello from two" })

	// A room across instances.
	a.Send(map[string]any{"type": "room.join", "room": "random"})
	a.WaitType("room.joined")
	forumtest.Eventually(t, "instance 2 to see ada in random", func() bool { return bob.RoomOnline("random") == 1 })
	b.Send(map[string]any{"type": "room.join", "room": "random"})
	var joined hub.RoomJoinedFrame
	b.WaitType("room.joined").Decode(t, &joined)
	if got := nicknames(joined.Members); strings.Join(got, ",") != "ada,bob" {
		t.Errorf("random's members on instance 2: %v", got)
	}
	forumtest.Eventually(t, "instance 1 to see bob in random", func() bool { return ada.RoomOnline("random") == 2 })
	b.Send(map[string]any{"type": "room.typing", "room": "random", "active": true})
	a.WaitType("room.typing")
	b.Send(map[string]any{"type": "room.message", "room": "random", "body": "hi from two", "client_id": "r"})
	a.WaitFor("bob's room message", func(f forumtest.Frame) bool { return f.Type == "room.message" && f.Message(t).Body == "hi from two" })

	// Leaving: closing the last connection leaves the room and goes offline.
	b.Close()
	a.WaitFor("bob offline", forumtest.IsPresence(bob.User.ID, false))
	forumtest.Eventually(t, "instance 1 to see bob leave random", func() bool { return ada.RoomOnline("random") == 1 })
	if ada.ContactOnline(bob.User.ID) || ada.RoomOnline("random") != 1 {
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
	fi.publish("live.instance."+fi.id+".heartbeat", hub.LiveInstance{Instance: fi.id, Ver: fi.ver, TTLms: ttl.Milliseconds()})
}

func (fi *fakeInstance) user(u projections.User, conns int) {
	fi.ver++
	fi.publish("live.presence."+u.ID, hub.LivePresence{Instance: fi.id, Ver: fi.ver, User: u, Conns: conns})
}

func (fi *fakeInstance) room(room string, u projections.User, conns int) {
	fi.ver++
	fi.publish("live.room."+room+".presence", hub.LivePresence{Instance: fi.id, Ver: fi.ver, Room: room, User: u, Conns: conns})
}

// An instance that stops heartbeating (it crashed) takes its users offline
// after its time to live.
func TestPresenceCrashedInstance(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada, ghost := f.SignUp("ada"), f.SignUp("ghost")
	a := ada.DialWS("")
	a.Send(map[string]any{"type": "room.join", "room": "help"})
	a.WaitType("room.joined")

	fi := &fakeInstance{t: t, nc: f.Store.Conn(), id: "crashy"}
	const ttl = 2 * time.Second
	fi.heartbeat(ttl)
	fi.user(ghost.User, 2)
	fi.room("help", ghost.User, 1)
	a.WaitFor("ghost online", forumtest.IsPresence(ghost.User.ID, true))
	forumtest.Eventually(t, "ghost in help", func() bool { return ada.RoomOnline("help") == 2 })
	fi.heartbeat(ttl)
	if !ada.ContactOnline(ghost.User.ID) || ada.RoomOnline("help") != 2 {
		t.Error("ghost is not counted while its instance lives")
	}
	// Silence: the instance is gone.
	a.WaitFor("ghost offline", forumtest.IsPresence(ghost.User.ID, false))
	forumtest.Eventually(t, "ghost out of help", func() bool { return ada.RoomOnline("help") == 1 })
	if ada.ContactOnline(ghost.User.ID) || ada.RoomOnline("help") != 1 {
		t.Error("ghost still counted after its instance expired")
	}
}

// Another instance's whole state arrives in parts and replaces what was
// known of it; a gap in its changes makes the hub ask for it; a goodbye
// forgets it at once; and the hub publishes its own state when asked.
func TestPresenceStateSync(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada, u1, u2 := f.SignUp("ada"), f.SignUp("uno"), f.SignUp("dos")
	a := ada.DialWS("")
	nc := f.Store.Conn()
	fi := &fakeInstance{t: t, nc: nc, id: "other", ver: 7}

	asks, err := nc.SubscribeSync("live.instance.other.sync")
	if err != nil {
		t.Fatal(err)
	}
	defer asks.Unsubscribe()
	nc.Flush()
	head := hub.LiveState{Instance: "other", Ver: 7, TTLms: time.Minute.Milliseconds()}
	part0, part1 := head, head
	part0.Users = []hub.LiveUserConns{{User: u1.User, Conns: 1}}
	part1.Part, part1.Last = 1, true
	part1.Users = []hub.LiveUserConns{{User: u2.User, Conns: 3}}
	part1.Rooms = []hub.LiveRoomConns{{Room: "general", UserID: u2.User.ID, Conns: 1}}
	fi.publish("live.instance.other.state", part0)
	fi.publish("live.instance.other.state", part1)
	// Both come online with the last part, in no particular order.
	a.WaitPresences("uno and dos online", true, u1.User.ID, u2.User.ID)
	if n := ada.RoomOnline("general"); n != 1 {
		t.Errorf("general: %d online, want dos", n)
	}

	// A newer state without uno takes uno offline.
	newer := part1
	newer.Ver, newer.Part = 8, 0
	fi.publish("live.instance.other.state", newer)
	a.WaitFor("uno offline", forumtest.IsPresence(u1.User.ID, false))

	// A change out of sequence (9 was lost) is applied, and the hub asks for the rest.
	fi.ver = 9
	fi.user(u1.User, 1)
	a.WaitFor("uno online again", forumtest.IsPresence(u1.User.ID, true))
	if _, err := asks.NextMsg(forumtest.WSWait); err != nil {
		t.Fatalf("no request for the state after a gap: %v", err)
	}

	// Goodbye.
	fi.publish("live.instance.other.bye", hub.LiveInstance{Instance: "other"})
	a.WaitPresences("uno and dos offline", false, u1.User.ID, u2.User.ID)
	if ada.RoomOnline("general") != 0 {
		t.Error("general still counts dos")
	}

	// Asked, the hub publishes its own state: ada, connected once.
	states, err := nc.SubscribeSync("live.instance.*.state")
	if err != nil {
		t.Fatal(err)
	}
	defer states.Unsubscribe()
	nc.Flush()
	fi.publish("live.sync", hub.LiveInstance{Instance: "probe"})
	for {
		msg, err := states.NextMsg(forumtest.WSWait)
		if err != nil {
			t.Fatalf("no state published: %v", err)
		}
		var st hub.LiveState
		json.Unmarshal(msg.Data, &st)
		if st.Instance == f.GW.Hub().InstanceID() {
			if len(st.Users) != 1 || st.Users[0].User.ID != ada.User.ID || st.Users[0].Conns != 1 || !st.Last {
				t.Errorf("state = %s, want ada with one connection", msg.Data)
			}
			break
		}
	}
}
