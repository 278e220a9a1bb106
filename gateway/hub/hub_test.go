package hub_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"

	"forum/commands"
	"forum/events"
	"forum/gateway"
	"forum/gateway/hub"
	"forum/internal/forumtest"
	"forum/projections"
)

func TestWSHello(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada, bob := f.SignUp("ada"), f.SignUp("bob")
	a := ada.DialWS("")
	if a.Hello.User.ID != ada.User.ID || a.Hello.User.Nickname != "ada" || a.Hello.User.Email != "ada@example.com" {
		t.Errorf("hello user = %+v, want ada with her email", a.Hello.User)
	}
	if a.Hello.Seq != f.Proj.Seq() || a.Hello.Seq == 0 {
		t.Errorf("hello seq = %d, want the projector's %d", a.Hello.Seq, f.Proj.Seq())
	}
	if len(a.Hello.Online) != 1 || a.Hello.Online[0].ID != ada.User.ID {
		t.Errorf("hello online = %+v, want only ada", a.Hello.Online)
	}
	b := bob.DialWS("")
	got := nicknames(b.Hello.Online)
	if want := []string{"ada", "bob"}; !slices.Equal(got, want) {
		t.Errorf("bob's hello online = %v, want %v", got, want)
	}
	for _, u := range b.Hello.Online {
		if u.Email != "" || u.CreatedAt == "" {
			t.Errorf("online user %+v: want the public fields only", u)
		}
	}
	// ada hears that bob came online.
	p := a.WaitType("presence")
	var pf hub.PresenceFrame
	p.Decode(t, &pf)
	if pf.User.ID != bob.User.ID || !pf.Online || pf.User.Nickname != "bob" || pf.User.Email != "" {
		t.Errorf("presence = %s, want bob online (public fields)", p)
	}

	// HTTP Basic and the session cookie sign in too.
	h := http.Header{}
	h.Set("Authorization", "Basic "+forumtest.Basic("ada", "password-ada"))
	if w := forumtest.DialWSHeader(t, "ada (basic)", forumtest.WSURL(f.URL, ""), h); w.Hello.User.ID != ada.User.ID {
		t.Errorf("basic: hello for %+v", w.Hello.User)
	}
	h = http.Header{}
	h.Set("Cookie", gateway.CookieName+"="+bob.Token)
	if w := forumtest.DialWSHeader(t, "bob (cookie)", forumtest.WSURL(f.URL, ""), h); w.Hello.User.ID != bob.User.ID {
		t.Errorf("cookie: hello for %+v", w.Hello.User)
	}
}

func TestWSRefusals(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada := f.SignUp("ada")
	bearer := http.Header{"Authorization": {"Bearer " + ada.Token}}
	withOrigin := func(origin string) http.Header {
		h := bearer.Clone()
		h.Set("Origin", origin)
		return h
	}
	for _, tc := range []struct {
		name   string
		query  string
		header http.Header
		want   int
	}{
		{"no credentials", "", nil, http.StatusUnauthorized},
		{"bad token", "", http.Header{"Authorization": {"Bearer nope"}}, http.StatusUnauthorized},
		{"bad password", "", http.Header{"Authorization": {"Basic " + forumtest.Basic("ada", "wrong-password")}}, http.StatusUnauthorized},
		{"foreign origin", "", withOrigin("https://evil.example"), http.StatusForbidden},
		{"same origin", "", withOrigin(f.URL), http.StatusSwitchingProtocols},
		{"no origin", "", bearer, http.StatusSwitchingProtocols},
		{"malformed after", "after=x", bearer, http.StatusBadRequest},
		{"negative after", "after=-1", bearer, http.StatusBadRequest},
	} {
		status, body := forumtest.DialStatus(t, forumtest.WSURL(f.URL, tc.query), tc.header)
		if status != tc.want {
			t.Errorf("%s: status %d, want %d: %s", tc.name, status, tc.want, body)
		}
		if status >= 400 && !strings.Contains(body, `"error"`) {
			t.Errorf("%s: body %q is not a JSON error", tc.name, body)
		}
	}
	// Not an upgrade at all.
	status, body := ada.Do("GET", "/ws", nil)
	if status != http.StatusBadRequest || !strings.Contains(string(body), "validation") {
		t.Errorf("plain GET /ws: %d %s, want 400 validation", status, body)
	}

	// --allowed-origins lets another origin in.
	gw := forumtest.NewGateway(gateway.Config{Commands: f.Cmds, DB: f.DB, Projector: f.Proj, Store: f.Store, AllowedOrigins: []string{"https://app.example"}})
	srv := forumtest.Serve(t, gw)
	if status, body := forumtest.DialStatus(t, forumtest.WSURL(srv, ""), withOrigin("https://app.example")); status != http.StatusSwitchingProtocols {
		t.Errorf("allowed origin: %d %s", status, body)
	}
	if status, _ := forumtest.DialStatus(t, forumtest.WSURL(srv, ""), withOrigin("https://other.example")); status != http.StatusForbidden {
		t.Errorf("other origin: %d, want 403", status)
	}
}

func TestWSDirectMessages(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada, bob := f.SignUp("ada"), f.SignUp("bob")
	a := ada.DialWS("")
	b1, b2 := bob.DialWS(""), bob.DialWS("")

	// Typing reaches the other participant, with who is typing.
	a.Send(map[string]any{"type": "typing", "to": bob.User.ID, "active": true})
	for _, b := range []*forumtest.WSClient{b1, b2} {
		tf := b.WaitType("typing")
		var typing hub.TypingFrame
		tf.Decode(t, &typing)
		if typing.From.ID != ada.User.ID || typing.From.Nickname != "ada" || !typing.Active {
			t.Errorf("typing = %s, want ada active", tf)
		}
	}
	a.Send(map[string]any{"type": "typing", "to": bob.User.ID, "active": false})
	if tf := b1.WaitType("typing"); strings.Contains(tf.String(), `"active":true`) {
		t.Errorf("typing = %s, want inactive", tf)
	}

	// The message: an ack to the sending connection, the dm to every
	// connection of both.
	a.Send(map[string]any{"type": "dm", "to": bob.User.ID, "body": "hello bob", "client_id": "c1"})
	ownFrames := a.WaitTypes("ack", "dm")
	ack := ownFrames["ack"]
	if ack.Str(t, "client_id") != "c1" {
		t.Errorf("ack = %s, want client_id c1", ack)
	}
	m := ack.Message(t)
	if m.Body != "hello bob" || m.From.ID != ada.User.ID || m.To == nil || m.To.ID != bob.User.ID || m.Room != nil || m.Seq == 0 {
		t.Errorf("acked message = %+v", m)
	}
	for _, dm := range []forumtest.Frame{ownFrames["dm"], b1.WaitType("dm"), b2.WaitType("dm")} {
		if got := dm.Message(t); got.ID != m.ID || dm.Seq != m.Seq || got.Body != "hello bob" {
			t.Errorf("dm = %s, want message %s at seq %d", dm, m.ID, m.Seq)
		}
	}
	// Stored: the conversation has it over HTTP.
	var page projections.Page[projections.Message]
	bob.MustDo("GET", "/api/chats/"+ada.User.ID+"/messages", nil, http.StatusOK, &page)
	if len(page.Items) != 1 || page.Items[0].ID != m.ID {
		t.Errorf("history = %+v, want the message", page.Items)
	}

	// A retried client_id is stored once: the same message is acked.
	a.Send(map[string]any{"type": "dm", "to": bob.User.ID, "body": "hello bob", "client_id": "c1"})
	if again := a.WaitType("ack").Message(t); again.ID != m.ID {
		t.Errorf("retry acked %s, want the original %s", again.ID, m.ID)
	}

	// Reading is told to the reader's own connections.
	bob.MustDo("POST", "/api/chats/"+ada.User.ID+"/read", map[string]any{"up_to": m.ID}, http.StatusNoContent, nil)
	for _, b := range []*forumtest.WSClient{b1, b2} {
		r := b.WaitType("read")
		if r.Str(t, "peer") != ada.User.ID || r.Str(t, "up_to") != m.ID || r.Seq == 0 {
			t.Errorf("read = %s", r)
		}
	}

	// A message to someone offline is stored all the same.
	cyd := f.SignUp("cyd")
	a.Send(map[string]any{"type": "dm", "to": cyd.User.ID, "body": "are you there?", "client_id": "c2"})
	a.WaitType("ack")
	cyd.MustDo("GET", "/api/chats/"+ada.User.ID+"/messages", nil, http.StatusOK, &page)
	if len(page.Items) != 1 || page.Items[0].Body != "are you there?" {
		t.Errorf("cyd's history = %+v", page.Items)
	}
}

func TestWSTypingEndsByItself(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada, bob := f.SignUp("ada"), f.SignUp("bob")
	a, b := ada.DialWS(""), bob.DialWS("")

	// No stop: the server says inactive after the timeout.
	a.Send(map[string]any{"type": "typing", "to": bob.User.ID, "active": true})
	b.WaitFor("typing active", func(f forumtest.Frame) bool {
		return f.Type == "typing" && strings.Contains(f.String(), `"active":true`)
	})
	b.WaitFor("typing inactive", func(f forumtest.Frame) bool {
		return f.Type == "typing" && strings.Contains(f.String(), `"active":false`)
	})

	// A typist who disconnects stops typing at once.
	a.Send(map[string]any{"type": "typing", "to": bob.User.ID, "active": true})
	b.WaitFor("typing active", func(f forumtest.Frame) bool {
		return f.Type == "typing" && strings.Contains(f.String(), `"active":true`)
	})
	a.Close()
	b.WaitFor("typing inactive", func(f forumtest.Frame) bool {
		return f.Type == "typing" && strings.Contains(f.String(), `"active":false`)
	})
}

func TestWSConcurrentSenders(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	rcpt := f.SignUp("rcpt")
	r := rcpt.DialWS("")
	const senders, each = 5, 30
	var wg sync.WaitGroup
	ids := make([]string, senders)
	for i := range senders {
		s := f.SignUp(fmt.Sprintf("sender%d", i))
		ids[i] = s.User.ID
		w := s.DialWS("")
		wg.Go(func() {
			for n := range each {
				w.Send(map[string]any{"type": "dm", "to": rcpt.User.ID, "body": fmt.Sprint(n), "client_id": fmt.Sprint("m", n)})
			}
		})
	}
	wg.Wait()
	next := map[string]int{}
	lastSeq := uint64(0)
	for range senders * each {
		d := r.WaitType("dm")
		m := d.Message(t)
		if d.Seq <= lastSeq {
			t.Fatalf("dm seq %d after %d: out of stream order", d.Seq, lastSeq)
		}
		lastSeq = d.Seq
		if want := fmt.Sprint(next[m.From.ID]); m.Body != want {
			t.Fatalf("from %s: got %q, want %q (per-sender order)", m.From.Nickname, m.Body, want)
		}
		next[m.From.ID]++
	}
	for _, id := range ids {
		if next[id] != each {
			t.Errorf("from %s: %d messages, want %d", id, next[id], each)
		}
	}
}

func TestWSPrivacy(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada, bob, eve := f.SignUp("ada"), f.SignUp("bob"), f.SignUp("eve")
	a, b, e := ada.DialWS(""), bob.DialWS(""), eve.DialWS("")

	a.Send(map[string]any{"type": "typing", "to": bob.User.ID, "active": true})
	a.Send(map[string]any{"type": "dm", "to": bob.User.ID, "body": "secret", "client_id": "x"})
	b.WaitType("dm")
	b.Send(map[string]any{"type": "typing", "to": ada.User.ID, "active": true})
	b.Send(map[string]any{"type": "dm", "to": ada.User.ID, "body": "secret too", "client_id": "y"})
	a.WaitFor("bob's dm", func(f forumtest.Frame) bool { return f.Type == "dm" && f.Message(t).From.ID == bob.User.ID })
	bob.MustDo("POST", "/api/chats/"+ada.User.ID+"/read", map[string]any{"up_to": b.WaitType("dm").Message(t).ID}, http.StatusNoContent, nil)

	// A post everyone sees marks the end: eve got nothing of theirs before it.
	sentinel := eve.CreatePost("sentinel")
	for {
		fr := e.Next()
		if fr.Type == "post.created" && fr.Post(t).ID == sentinel {
			break
		}
		if fr.Type != "presence" {
			t.Errorf("eve received %s", fr)
		}
	}
	// Over HTTP eve sees only her own (empty) conversations.
	var page projections.Page[projections.Message]
	eve.MustDo("GET", "/api/chats/"+ada.User.ID+"/messages", nil, http.StatusOK, &page)
	eve.MustDo("GET", "/api/chats/"+bob.User.ID+"/messages", nil, http.StatusOK, &page)
	if len(page.Items) != 0 {
		t.Errorf("eve reads %d messages of others", len(page.Items))
	}
}

func TestWSSpoofedSender(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada, bob := f.SignUp("ada"), f.SignUp("bob")
	a, b := ada.DialWS(""), bob.DialWS("")
	a.Send(map[string]any{"type": "dm", "from": bob.User.ID, "to": bob.User.ID, "body": "from ada really", "client_id": "s"})
	if m := b.WaitType("dm").Message(t); m.From.ID != ada.User.ID {
		t.Errorf("dm from %s, want ada: the from field must be ignored", m.From.ID)
	}
	a.Send(map[string]any{"type": "room.message", "from": bob.User.ID, "room": "general", "body": "hi", "client_id": "r"})
	if m := a.WaitType("ack").Message(t); m.From.ID != ada.User.ID {
		t.Errorf("room message from %s, want ada", m.From.ID)
	}
	a.Send(map[string]any{"type": "typing", "from": bob.User.ID, "to": bob.User.ID, "active": true})
	var typing hub.TypingFrame
	b.WaitType("typing").Decode(t, &typing)
	if typing.From.ID != ada.User.ID {
		t.Errorf("typing from %s, want ada", typing.From.ID)
	}
}

func TestWSBadFrames(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada, bob := f.SignUp("ada"), f.SignUp("bob")
	a := ada.DialWS("")
	for _, tc := range []struct {
		name  string
		frame string
		code  string
		field string
	}{
		{"invalid JSON", `{"type": "dm",`, "validation", ""},
		{"not an object", `[1, 2]`, "validation", ""},
		{"no type", `{"to": "x"}`, "validation", "type"},
		{"unknown type", `{"type": "launch.missiles"}`, "validation", "type"},
		{"wrong field type", `{"type": "dm", "to": "` + bob.User.ID + `", "body": 5}`, "validation", "body"},
		{"empty body", `{"type": "dm", "to": "` + bob.User.ID + `", "body": "", "client_id": "e1"}`, "validation", "body"},
		{"blank body", `{"type": "dm", "to": "` + bob.User.ID + `", "body": "  ", "client_id": "e2"}`, "validation", "body"},
		{"body too long", `{"type": "dm", "to": "` + bob.User.ID + `", "body": "` + strings.Repeat("é", 4001) + `", "client_id": "e3"}`, "validation", "body"},
		{"no recipient", `{"type": "dm", "body": "hi"}`, "validation", "to"},
		{"unknown recipient", `{"type": "dm", "to": "0000000000000000000000000a", "body": "hi"}`, "not_found", ""},
		{"myself", `{"type": "dm", "to": "` + ada.User.ID + `", "body": "hi"}`, "validation", "to"},
		{"bad room", `{"type": "room.join", "room": "No Such Room!"}`, "validation", "room"},
		{"room typing unjoined", `{"type": "room.typing", "room": "general", "active": true}`, "forbidden", "room"},
		{"typing to nobody", `{"type": "typing", "to": "nobody", "active": true}`, "not_found", ""},
	} {
		a.SendRaw([]byte(tc.frame))
		e := a.WaitType("error")
		var ef hub.ErrorFrame
		e.Decode(t, &ef)
		if ef.Code != tc.code || ef.Field != tc.field || ef.Message == "" {
			t.Errorf("%s: error = %s, want code %s field %q", tc.name, e, tc.code, tc.field)
		}
		if strings.Contains(tc.frame, `"client_id"`) && ef.ClientID == "" {
			t.Errorf("%s: error = %s, want the client_id", tc.name, e)
		}
	}
	// A binary frame is refused too.
	a.Conn().WriteMessage(websocket.BinaryMessage, []byte(`{"type":"dm"}`))
	if e := a.WaitType("error"); !strings.Contains(e.String(), "text frames") {
		t.Errorf("binary frame: %s", e)
	}
	// The connection lived through all of it.
	a.Send(map[string]any{"type": "dm", "to": bob.User.ID, "body": "still here", "client_id": "ok"})
	if ack := a.WaitType("ack"); ack.Str(t, "client_id") != "ok" {
		t.Errorf("ack = %s", ack)
	}
	// The biggest frame allowed goes through; one byte more closes.
	pad := `{"type":"typing","to":"` + bob.User.ID + `","active":false,"pad":"`
	a.SendRaw([]byte(pad + strings.Repeat("x", hub.ReadLimit-len(pad)-2) + `"}`))
	a.Send(map[string]any{"type": "dm", "to": bob.User.ID, "body": "after the big one", "client_id": "big"})
	if ack := a.WaitType("ack"); ack.Str(t, "client_id") != "big" {
		t.Errorf("ack = %s", ack)
	}
	a.SendRaw([]byte(pad + strings.Repeat("x", hub.ReadLimit-len(pad)-1) + `"}`))
	if code := a.WaitClosed(); code != websocket.CloseMessageTooBig {
		t.Errorf("oversized frame: close code %d, want %d", code, websocket.CloseMessageTooBig)
	}
}

func TestWSRateLimit(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{RateLimits: true})
	ada, bob := f.SignUp("ada"), f.SignUp("bob")
	a := ada.DialWS("")
	for i := range 2 * hub.WSBurst {
		a.Send(map[string]any{"type": "typing", "to": bob.User.ID, "active": i%2 == 0, "client_id": fmt.Sprint(i)})
	}
	e := a.WaitType("error")
	if e.Str(t, "code") != "rate_limited" || e.Str(t, "client_id") == "" {
		t.Errorf("error = %s, want rate_limited with the client_id", e)
	}

	// Off, nothing is limited.
	g := forumtest.Start(t, forumtest.Options{})
	cyd, dan := g.SignUp("cyd"), g.SignUp("dan")
	c := cyd.DialWS("")
	for i := range 2 * hub.WSBurst {
		c.Send(map[string]any{"type": "typing", "to": dan.User.ID, "active": i%2 == 0})
	}
	c.Send(map[string]any{"type": "dm", "to": dan.User.ID, "body": "done", "client_id": "end"})
	if fr := c.NextSkipping("dm"); fr.Type != "ack" {
		t.Errorf("without limits: got %s, want the ack", fr)
	}
}

func TestWSPresenceTabs(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada, bob := f.SignUp("ada"), f.SignUp("bob")
	a := ada.DialWS("")
	online := func() bool {
		var out projections.Page[projections.Contact]
		ada.MustDo("GET", "/api/contacts", nil, http.StatusOK, &out)
		for _, c := range out.Items {
			if c.User.ID == bob.User.ID {
				return c.Online
			}
		}
		t.Fatal("bob is not among ada's contacts")
		return false
	}
	if online() {
		t.Error("bob online before connecting")
	}
	tab1 := bob.DialWS("")
	p := a.WaitType("presence")
	if !strings.Contains(p.String(), `"online":true`) || !strings.Contains(p.String(), bob.User.ID) {
		t.Errorf("presence = %s, want bob online", p)
	}
	if !online() {
		t.Error("contacts: bob offline with a tab open")
	}
	tab2 := bob.DialWS("")
	tab1.Close()
	forumtest.Eventually(t, "the first tab to close", func() bool { return f.GW.Hub().LocalConns(events.UserID(bob.User.ID)) == 1 })
	if !online() {
		t.Error("contacts: bob offline with his second tab open")
	}
	// Nothing about bob came: the next frame is a post made now.
	id := ada.CreatePost("sentinel")
	if fr := a.Next(); fr.Type != "post.created" || fr.Post(t).ID != id {
		t.Errorf("got %s, want only the sentinel post", fr)
	}
	tab2.Close()
	p = a.WaitType("presence")
	if !strings.Contains(p.String(), `"online":false`) || !strings.Contains(p.String(), bob.User.ID) {
		t.Errorf("presence = %s, want bob offline", p)
	}
	if online() {
		t.Error("contacts: bob online after closing every tab")
	}
}

func TestWSRooms(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada, bob, cyd := f.SignUp("ada"), f.SignUp("bob"), f.SignUp("cyd")
	a, b, c := ada.DialWS(""), bob.DialWS(""), cyd.DialWS("")

	// Watching a room (its page open): room.join and room.leave frames.
	a.Send(map[string]any{"type": "room.join", "room": "general"})
	var joined hub.RoomJoinedFrame
	a.WaitType("room.joined").Decode(t, &joined)
	if joined.Room != "general" || len(joined.Members) != 1 || joined.Members[0].ID != ada.User.ID {
		t.Errorf("room.joined = %+v, want ada alone in general", joined)
	}
	b.Send(map[string]any{"type": "room.join", "room": "general"})
	b.WaitType("room.joined").Decode(t, &joined)
	if got := nicknames(joined.Members); !slices.Equal(got, []string{"ada", "bob"}) {
		t.Errorf("members = %v, want ada and bob", got)
	}
	var rooms projections.Page[projections.Room]
	ada.MustDo("GET", "/api/rooms", nil, http.StatusOK, &rooms)
	for _, r := range rooms.Items {
		if r.Name == "general" && r.Online != 2 {
			t.Errorf("general has %d online, want 2", r.Online)
		}
	}

	b.Send(map[string]any{"type": "room.typing", "room": "general", "active": true})
	var rt hub.RoomTypingFrame
	a.WaitType("room.typing").Decode(t, &rt)
	if rt.Room != "general" || rt.From.ID != bob.User.ID || !rt.Active {
		t.Errorf("room.typing = %+v", rt)
	}
	b.Send(map[string]any{"type": "room.message", "room": "general", "body": "hi all", "client_id": "r1"})
	bobs := b.WaitTypes("ack", "room.message")
	ack := bobs["ack"]
	m := ack.Message(t)
	if ack.Str(t, "client_id") != "r1" || m.Room == nil || *m.Room != "general" || m.To != nil || m.From.ID != bob.User.ID {
		t.Errorf("ack = %s", ack)
	}
	for _, rm := range []forumtest.Frame{bobs["room.message"], a.WaitType("room.message")} {
		if rm.Seq != m.Seq || rm.Message(t).ID != m.ID {
			t.Errorf("room.message = %s", rm)
		}
	}
	// History over HTTP.
	var page projections.Page[projections.Message]
	cyd.MustDo("GET", "/api/rooms/general/messages", nil, http.StatusOK, &page)
	if len(page.Items) == 0 || page.Items[0].ID != m.ID {
		t.Errorf("room history = %+v", page.Items)
	}
	b.Send(map[string]any{"type": "room.leave", "room": "general"})
	forumtest.Eventually(t, "bob to stop watching general", func() bool { return ada.RoomOnline("general") == 1 })

	// Membership: cyd joins without watching; the join line goes to the
	// watchers and to cyd, and the room's messages reach cyd unasked.
	cyd.MustDo("POST", "/api/rooms/general/join", nil, http.StatusNoContent, nil)
	var sys hub.RoomSystemFrame
	a.WaitType("room.system").Decode(t, &sys)
	if sys.Room != "general" || sys.Kind != "join" || sys.User.ID != cyd.User.ID || sys.Text != "cyd joined the room" || sys.Seq == 0 {
		t.Errorf("room.system = %+v, want cyd joining", sys)
	}
	c.WaitFor("cyd's own join line", forumtest.IsRoomSystem("general", cyd.User.ID, "join"))
	cyd.MustDo("POST", "/api/rooms/general/join", nil, http.StatusNoContent, nil) // again: nothing changes
	a.Send(map[string]any{"type": "room.message", "room": "general", "body": "welcome cyd", "client_id": "r2"})
	a.WaitType("ack")
	c.WaitFor("the room's message, as a member", func(fr forumtest.Frame) bool {
		return fr.Type == "room.message" && fr.Message(t).Body == "welcome cyd"
	})
	cyd.MustDo("POST", "/api/rooms/general/leave", nil, http.StatusNoContent, nil)
	a.WaitType("room.system").Decode(t, &sys)
	if sys.Kind != "leave" || sys.User.ID != cyd.User.ID || sys.Text != "cyd left the room" {
		t.Errorf("room.system = %+v, want cyd leaving", sys)
	}
	c.WaitFor("cyd's own leave line", forumtest.IsRoomSystem("general", cyd.User.ID, "leave"))

	// Bob, who stopped watching and is no member, gets nothing of the room;
	// cyd nothing after leaving; opening and closing pages makes no lines.
	a.Send(map[string]any{"type": "room.message", "room": "general", "body": "they are gone", "client_id": "r3"})
	a.WaitType("ack")
	a.Send(map[string]any{"type": "room.leave", "room": "general"})
	a.Send(map[string]any{"type": "room.join", "room": "general"})
	a.WaitType("room.joined")
	sentinel := ada.CreatePost("sentinel")
	for _, w := range []*forumtest.WSClient{a, b, c} {
		for {
			fr := w.Next()
			if fr.Type == "post.created" && fr.Post(t).ID == sentinel {
				break
			}
			if fr.Type == "room.system" || (w != a && strings.HasPrefix(fr.Type, "room.") && !(w == b && fr.Type == "room.typing")) {
				t.Errorf("%s received %s", w.Name, fr)
			}
		}
	}
}

func TestWSLiveFeed(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada, bob := f.SignUp("ada"), f.SignUp("bob")
	a := ada.DialWS("")
	ctx := t.Context()

	postID := bob.CreatePost("fresh")
	pc := a.WaitType("post.created")
	if p := pc.Post(t); p.ID != postID || p.Author.ID != bob.User.ID || p.MyVote != 0 || pc.Seq != p.Seq {
		t.Errorf("post.created = %s", pc)
	}
	if err := f.Cmds.Vote(ctx, commands.VoteInput{Voter: events.UserID(ada.User.ID), Target: events.Target{Kind: events.KindPost, ID: postID}, Value: 1}); err != nil {
		t.Fatal(err)
	}
	v := a.WaitType("post.voted")
	var vf hub.VoteFrame
	v.Decode(t, &vf)
	if vf.ID != postID || vf.Likes != 1 || vf.Dislikes != 0 || vf.Seq == 0 {
		t.Errorf("post.voted = %s", v)
	}
	commentID, err := f.Cmds.CreateComment(ctx, commands.CommentInput{Author: events.UserID(bob.User.ID), PostID: events.PostID(postID), Body: "first!"})
	if err != nil {
		t.Fatal(err)
	}
	cc := a.WaitType("comment.created")
	var cf hub.CommentFrame
	cc.Decode(t, &cf)
	if cf.Comment.ID != string(commentID) || cf.Comment.PostID != postID || cf.Comment.Body != "first!" {
		t.Errorf("comment.created = %s", cc)
	}
	if err := f.Cmds.Vote(ctx, commands.VoteInput{Voter: events.UserID(ada.User.ID), Target: events.Target{Kind: events.KindComment, ID: string(commentID)}, Value: -1}); err != nil {
		t.Fatal(err)
	}
	a.WaitType("comment.voted").Decode(t, &vf)
	if vf.ID != string(commentID) || vf.Dislikes != 1 {
		t.Errorf("comment.voted = %+v", vf)
	}
	if err := f.Cmds.EditComment(ctx, commands.CommentEdit{User: events.UserID(bob.User.ID), ID: commentID, Body: "second thoughts"}); err != nil {
		t.Fatal(err)
	}
	a.WaitType("comment.edited").Decode(t, &cf)
	if cf.Comment.Body != "second thoughts" || cf.Comment.EditedAt == nil {
		t.Errorf("comment.edited = %+v", cf)
	}
	if err := f.Cmds.DeleteComment(ctx, events.UserID(bob.User.ID), commentID); err != nil {
		t.Fatal(err)
	}
	a.WaitType("comment.deleted").Decode(t, &cf)
	if cf.ID != string(commentID) || !cf.Comment.Deleted {
		t.Errorf("comment.deleted = %+v", cf)
	}
	title := "edited title"
	if err := f.Cmds.EditPost(ctx, commands.PostEdit{User: events.UserID(bob.User.ID), ID: events.PostID(postID), Patch: commands.PostPatch{Title: &title}}); err != nil {
		t.Fatal(err)
	}
	if p := a.WaitType("post.edited").Post(t); p.Title != title || p.EditedAt == nil {
		t.Errorf("post.edited = %+v", p)
	}
	if err := f.Cmds.DeletePost(ctx, events.UserID(bob.User.ID), events.PostID(postID)); err != nil {
		t.Fatal(err)
	}
	d := a.WaitType("post.deleted")
	if d.Str(t, "id") != postID || !d.Post(t).Deleted {
		t.Errorf("post.deleted = %s", d)
	}
}

func nicknames(us []projections.User) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.Nickname)
	}
	return out
}
