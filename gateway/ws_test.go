package gateway

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"

	"forum/commands"
	"forum/projections"
)

func TestWSHello(t *testing.T) {
	t.Parallel()
	f := newForum(t, forumOptions{})
	ada, bob := f.signup("ada"), f.signup("bob")
	a := ada.dialWS("")
	if a.hello.User.ID != ada.User.ID || a.hello.User.Nickname != "ada" || a.hello.User.Email != "ada@example.com" {
		t.Errorf("hello user = %+v, want ada with her email", a.hello.User)
	}
	if a.hello.Seq != f.Proj.Seq() || a.hello.Seq == 0 {
		t.Errorf("hello seq = %d, want the projector's %d", a.hello.Seq, f.Proj.Seq())
	}
	if len(a.hello.Online) != 1 || a.hello.Online[0].ID != ada.User.ID {
		t.Errorf("hello online = %+v, want only ada", a.hello.Online)
	}
	b := bob.dialWS("")
	got := nicknames(b.hello.Online)
	if want := []string{"ada", "bob"}; !slices.Equal(got, want) {
		t.Errorf("bob's hello online = %v, want %v", got, want)
	}
	for _, u := range b.hello.Online {
		if u.Email != "" || u.CreatedAt == "" {
			t.Errorf("online user %+v: want the public fields only", u)
		}
	}
	// ada hears that bob came online.
	p := a.waitType("presence")
	var pf presenceFrame
	p.decode(t, &pf)
	if pf.User.ID != bob.User.ID || !pf.Online || pf.User.Nickname != "bob" || pf.User.Email != "" {
		t.Errorf("presence = %s, want bob online (public fields)", p)
	}

	// HTTP Basic and the session cookie sign in too.
	h := http.Header{}
	h.Set("Authorization", "Basic "+wsBasic("ada", "password-ada"))
	if w := dialWSHeader(t, "ada (basic)", wsURL(f.URL, ""), h); w.hello.User.ID != ada.User.ID {
		t.Errorf("basic: hello for %+v", w.hello.User)
	}
	h = http.Header{}
	h.Set("Cookie", CookieName+"="+bob.Token)
	if w := dialWSHeader(t, "bob (cookie)", wsURL(f.URL, ""), h); w.hello.User.ID != bob.User.ID {
		t.Errorf("cookie: hello for %+v", w.hello.User)
	}
}

func TestWSRefusals(t *testing.T) {
	t.Parallel()
	f := newForum(t, forumOptions{})
	ada := f.signup("ada")
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
		{"bad password", "", http.Header{"Authorization": {"Basic " + wsBasic("ada", "wrong-password")}}, http.StatusUnauthorized},
		{"foreign origin", "", withOrigin("https://evil.example"), http.StatusForbidden},
		{"same origin", "", withOrigin(f.URL), http.StatusSwitchingProtocols},
		{"no origin", "", bearer, http.StatusSwitchingProtocols},
		{"malformed after", "after=x", bearer, http.StatusBadRequest},
		{"negative after", "after=-1", bearer, http.StatusBadRequest},
	} {
		status, body := dialStatus(t, wsURL(f.URL, tc.query), tc.header)
		if status != tc.want {
			t.Errorf("%s: status %d, want %d: %s", tc.name, status, tc.want, body)
		}
		if status >= 400 && !strings.Contains(body, `"error"`) {
			t.Errorf("%s: body %q is not a JSON error", tc.name, body)
		}
	}
	// Not an upgrade at all.
	status, body := ada.do("GET", "/ws", nil)
	if status != http.StatusBadRequest || !strings.Contains(string(body), "validation") {
		t.Errorf("plain GET /ws: %d %s, want 400 validation", status, body)
	}

	// --allowed-origins lets another origin in.
	gw := New(Config{Commands: f.Cmds, DB: f.DB, Projector: f.Proj, Store: f.Store, AllowedOrigins: []string{"https://app.example"}})
	srv := wsStartGateway(t, gw)
	if status, body := dialStatus(t, wsURL(srv, ""), withOrigin("https://app.example")); status != http.StatusSwitchingProtocols {
		t.Errorf("allowed origin: %d %s", status, body)
	}
	if status, _ := dialStatus(t, wsURL(srv, ""), withOrigin("https://other.example")); status != http.StatusForbidden {
		t.Errorf("other origin: %d, want 403", status)
	}
}

func TestWSDirectMessages(t *testing.T) {
	t.Parallel()
	f := newForum(t, forumOptions{})
	ada, bob := f.signup("ada"), f.signup("bob")
	a := ada.dialWS("")
	b1, b2 := bob.dialWS(""), bob.dialWS("")

	// Typing reaches the other participant, with who is typing.
	a.send(map[string]any{"type": "typing", "to": bob.User.ID, "active": true})
	for _, b := range []*wsClient{b1, b2} {
		tf := b.waitType("typing")
		var typing typingFrame
		tf.decode(t, &typing)
		if typing.From.ID != ada.User.ID || typing.From.Nickname != "ada" || !typing.Active {
			t.Errorf("typing = %s, want ada active", tf)
		}
	}
	a.send(map[string]any{"type": "typing", "to": bob.User.ID, "active": false})
	if tf := b1.waitType("typing"); strings.Contains(tf.String(), `"active":true`) {
		t.Errorf("typing = %s, want inactive", tf)
	}

	// The message: an ack to the sending connection, the dm to every
	// connection of both.
	a.send(map[string]any{"type": "dm", "to": bob.User.ID, "body": "hello bob", "client_id": "c1"})
	ownFrames := a.waitTypes("ack", "dm")
	ack := ownFrames["ack"]
	if ack.str(t, "client_id") != "c1" {
		t.Errorf("ack = %s, want client_id c1", ack)
	}
	m := ack.message(t)
	if m.Body != "hello bob" || m.From.ID != ada.User.ID || m.To == nil || m.To.ID != bob.User.ID || m.Room != nil || m.Seq == 0 {
		t.Errorf("acked message = %+v", m)
	}
	for _, dm := range []wsFrame{ownFrames["dm"], b1.waitType("dm"), b2.waitType("dm")} {
		if got := dm.message(t); got.ID != m.ID || dm.Seq != m.Seq || got.Body != "hello bob" {
			t.Errorf("dm = %s, want message %s at seq %d", dm, m.ID, m.Seq)
		}
	}
	// Stored: the conversation has it over HTTP.
	var page projections.Page[projections.Message]
	bob.mustDo("GET", "/api/chats/"+ada.User.ID+"/messages", nil, http.StatusOK, &page)
	if len(page.Items) != 1 || page.Items[0].ID != m.ID {
		t.Errorf("history = %+v, want the message", page.Items)
	}

	// A retried client_id is stored once: the same message is acked.
	a.send(map[string]any{"type": "dm", "to": bob.User.ID, "body": "hello bob", "client_id": "c1"})
	if again := a.waitType("ack").message(t); again.ID != m.ID {
		t.Errorf("retry acked %s, want the original %s", again.ID, m.ID)
	}

	// Reading is told to the reader's own connections.
	bob.mustDo("POST", "/api/chats/"+ada.User.ID+"/read", map[string]any{"up_to": m.ID}, http.StatusNoContent, nil)
	for _, b := range []*wsClient{b1, b2} {
		r := b.waitType("read")
		if r.str(t, "peer") != ada.User.ID || r.str(t, "up_to") != m.ID || r.Seq == 0 {
			t.Errorf("read = %s", r)
		}
	}

	// A message to someone offline is stored all the same.
	cyd := f.signup("cyd")
	a.send(map[string]any{"type": "dm", "to": cyd.User.ID, "body": "are you there?", "client_id": "c2"})
	a.waitType("ack")
	cyd.mustDo("GET", "/api/chats/"+ada.User.ID+"/messages", nil, http.StatusOK, &page)
	if len(page.Items) != 1 || page.Items[0].Body != "are you there?" {
		t.Errorf("cyd's history = %+v", page.Items)
	}
}

func TestWSTypingEndsByItself(t *testing.T) {
	t.Parallel()
	f := newForum(t, forumOptions{})
	ada, bob := f.signup("ada"), f.signup("bob")
	a, b := ada.dialWS(""), bob.dialWS("")

	// No stop: the server says inactive after the timeout.
	a.send(map[string]any{"type": "typing", "to": bob.User.ID, "active": true})
	b.waitFor("typing active", func(f wsFrame) bool { return f.Type == "typing" && strings.Contains(f.String(), `"active":true`) })
	b.waitFor("typing inactive", func(f wsFrame) bool { return f.Type == "typing" && strings.Contains(f.String(), `"active":false`) })

	// A typist who disconnects stops typing at once.
	a.send(map[string]any{"type": "typing", "to": bob.User.ID, "active": true})
	b.waitFor("typing active", func(f wsFrame) bool { return f.Type == "typing" && strings.Contains(f.String(), `"active":true`) })
	a.close()
	b.waitFor("typing inactive", func(f wsFrame) bool { return f.Type == "typing" && strings.Contains(f.String(), `"active":false`) })
}

func TestWSConcurrentSenders(t *testing.T) {
	t.Parallel()
	f := newForum(t, forumOptions{})
	rcpt := f.signup("rcpt")
	r := rcpt.dialWS("")
	const senders, each = 5, 30
	var wg sync.WaitGroup
	ids := make([]string, senders)
	for i := range senders {
		s := f.signup(fmt.Sprintf("sender%d", i))
		ids[i] = s.User.ID
		w := s.dialWS("")
		wg.Go(func() {
			for n := range each {
				w.send(map[string]any{"type": "dm", "to": rcpt.User.ID, "body": fmt.Sprint(n), "client_id": fmt.Sprint("m", n)})
			}
		})
	}
	wg.Wait()
	next := map[string]int{}
	lastSeq := uint64(0)
	for range senders * each {
		d := r.waitType("dm")
		m := d.message(t)
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
	f := newForum(t, forumOptions{})
	ada, bob, eve := f.signup("ada"), f.signup("bob"), f.signup("eve")
	a, b, e := ada.dialWS(""), bob.dialWS(""), eve.dialWS("")

	a.send(map[string]any{"type": "typing", "to": bob.User.ID, "active": true})
	a.send(map[string]any{"type": "dm", "to": bob.User.ID, "body": "secret", "client_id": "x"})
	b.waitType("dm")
	b.send(map[string]any{"type": "typing", "to": ada.User.ID, "active": true})
	b.send(map[string]any{"type": "dm", "to": ada.User.ID, "body": "secret too", "client_id": "y"})
	a.waitFor("bob's dm", func(f wsFrame) bool { return f.Type == "dm" && f.message(t).From.ID == bob.User.ID })
	bob.mustDo("POST", "/api/chats/"+ada.User.ID+"/read", map[string]any{"up_to": b.waitType("dm").message(t).ID}, http.StatusNoContent, nil)

	// A post everyone sees marks the end: eve got nothing of theirs before it.
	sentinel := eve.wsPost("sentinel")
	for {
		fr := e.next()
		if fr.Type == "post.created" && fr.post(t).ID == sentinel {
			break
		}
		if fr.Type != "presence" {
			t.Errorf("eve received %s", fr)
		}
	}
	// Over HTTP eve sees only her own (empty) conversations.
	var page projections.Page[projections.Message]
	eve.mustDo("GET", "/api/chats/"+ada.User.ID+"/messages", nil, http.StatusOK, &page)
	eve.mustDo("GET", "/api/chats/"+bob.User.ID+"/messages", nil, http.StatusOK, &page)
	if len(page.Items) != 0 {
		t.Errorf("eve reads %d messages of others", len(page.Items))
	}
}

func TestWSSpoofedSender(t *testing.T) {
	t.Parallel()
	f := newForum(t, forumOptions{})
	ada, bob := f.signup("ada"), f.signup("bob")
	a, b := ada.dialWS(""), bob.dialWS("")
	a.send(map[string]any{"type": "dm", "from": bob.User.ID, "to": bob.User.ID, "body": "from ada really", "client_id": "s"})
	if m := b.waitType("dm").message(t); m.From.ID != ada.User.ID {
		t.Errorf("dm from %s, want ada: the from field must be ignored", m.From.ID)
	}
	a.send(map[string]any{"type": "room.message", "from": bob.User.ID, "room": "general", "body": "hi", "client_id": "r"})
	if m := a.waitType("ack").message(t); m.From.ID != ada.User.ID {
		t.Errorf("room message from %s, want ada", m.From.ID)
	}
	a.send(map[string]any{"type": "typing", "from": bob.User.ID, "to": bob.User.ID, "active": true})
	var typing typingFrame
	b.waitType("typing").decode(t, &typing)
	if typing.From.ID != ada.User.ID {
		t.Errorf("typing from %s, want ada", typing.From.ID)
	}
}

func TestWSBadFrames(t *testing.T) {
	t.Parallel()
	f := newForum(t, forumOptions{})
	ada, bob := f.signup("ada"), f.signup("bob")
	a := ada.dialWS("")
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
		a.sendRaw([]byte(tc.frame))
		e := a.waitType("error")
		var ef errorFrame
		e.decode(t, &ef)
		if ef.Code != tc.code || ef.Field != tc.field || ef.Message == "" {
			t.Errorf("%s: error = %s, want code %s field %q", tc.name, e, tc.code, tc.field)
		}
		if strings.Contains(tc.frame, `"client_id"`) && ef.ClientID == "" {
			t.Errorf("%s: error = %s, want the client_id", tc.name, e)
		}
	}
	// A binary frame is refused too.
	a.conn.WriteMessage(websocket.BinaryMessage, []byte(`{"type":"dm"}`))
	if e := a.waitType("error"); !strings.Contains(e.String(), "text frames") {
		t.Errorf("binary frame: %s", e)
	}
	// The connection lived through all of it.
	a.send(map[string]any{"type": "dm", "to": bob.User.ID, "body": "still here", "client_id": "ok"})
	if ack := a.waitType("ack"); ack.str(t, "client_id") != "ok" {
		t.Errorf("ack = %s", ack)
	}
	// The biggest frame allowed goes through; one byte more closes.
	pad := `{"type":"typing","to":"` + bob.User.ID + `","active":false,"pad":"`
	a.sendRaw([]byte(pad + strings.Repeat("x", wsReadLimit-len(pad)-2) + `"}`))
	a.send(map[string]any{"type": "dm", "to": bob.User.ID, "body": "after the big one", "client_id": "big"})
	if ack := a.waitType("ack"); ack.str(t, "client_id") != "big" {
		t.Errorf("ack = %s", ack)
	}
	a.sendRaw([]byte(pad + strings.Repeat("x", wsReadLimit-len(pad)-1) + `"}`))
	if code := a.waitClosed(); code != websocket.CloseMessageTooBig {
		t.Errorf("oversized frame: close code %d, want %d", code, websocket.CloseMessageTooBig)
	}
}

func TestWSRateLimit(t *testing.T) {
	t.Parallel()
	f := newForum(t, forumOptions{rateLimits: true})
	ada, bob := f.signup("ada"), f.signup("bob")
	a := ada.dialWS("")
	for i := range 2 * wsBurst {
		a.send(map[string]any{"type": "typing", "to": bob.User.ID, "active": i%2 == 0, "client_id": fmt.Sprint(i)})
	}
	e := a.waitType("error")
	if e.str(t, "code") != "rate_limited" || e.str(t, "client_id") == "" {
		t.Errorf("error = %s, want rate_limited with the client_id", e)
	}

	// Off, nothing is limited.
	g := newForum(t, forumOptions{})
	cyd, dan := g.signup("cyd"), g.signup("dan")
	c := cyd.dialWS("")
	for i := range 2 * wsBurst {
		c.send(map[string]any{"type": "typing", "to": dan.User.ID, "active": i%2 == 0})
	}
	c.send(map[string]any{"type": "dm", "to": dan.User.ID, "body": "done", "client_id": "end"})
	if fr := c.nextSkipping("dm"); fr.Type != "ack" {
		t.Errorf("without limits: got %s, want the ack", fr)
	}
}

func TestWSPresenceTabs(t *testing.T) {
	t.Parallel()
	f := newForum(t, forumOptions{})
	ada, bob := f.signup("ada"), f.signup("bob")
	a := ada.dialWS("")
	online := func() bool {
		var out projections.Page[projections.Contact]
		ada.mustDo("GET", "/api/contacts", nil, http.StatusOK, &out)
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
	tab1 := bob.dialWS("")
	p := a.waitType("presence")
	if !strings.Contains(p.String(), `"online":true`) || !strings.Contains(p.String(), bob.User.ID) {
		t.Errorf("presence = %s, want bob online", p)
	}
	if !online() {
		t.Error("contacts: bob offline with a tab open")
	}
	tab2 := bob.dialWS("")
	tab1.close()
	eventually(t, "the first tab to close", func() bool { return f.localConns(bob.User.ID) == 1 })
	if !online() {
		t.Error("contacts: bob offline with his second tab open")
	}
	// Nothing about bob came: the next frame is a post made now.
	id := ada.wsPost("sentinel")
	if fr := a.next(); fr.Type != "post.created" || fr.post(t).ID != id {
		t.Errorf("got %s, want only the sentinel post", fr)
	}
	tab2.close()
	p = a.waitType("presence")
	if !strings.Contains(p.String(), `"online":false`) || !strings.Contains(p.String(), bob.User.ID) {
		t.Errorf("presence = %s, want bob offline", p)
	}
	if online() {
		t.Error("contacts: bob online after closing every tab")
	}
}

func TestWSRooms(t *testing.T) {
	t.Parallel()
	f := newForum(t, forumOptions{})
	ada, bob, cyd := f.signup("ada"), f.signup("bob"), f.signup("cyd")
	a, b, c := ada.dialWS(""), bob.dialWS(""), cyd.dialWS("")

	a.send(map[string]any{"type": "room.join", "room": "general"})
	var joined roomJoinedFrame
	a.waitType("room.joined").decode(t, &joined)
	if joined.Room != "general" || len(joined.Members) != 1 || joined.Members[0].ID != ada.User.ID {
		t.Errorf("room.joined = %+v, want ada alone in general", joined)
	}
	var sys roomSystemFrame
	a.waitType("room.system").decode(t, &sys)
	if sys.Room != "general" || sys.Kind != "join" || sys.User.ID != ada.User.ID || sys.Text != "ada joined the room" {
		t.Errorf("room.system = %+v, want ada joining", sys)
	}

	b.send(map[string]any{"type": "room.join", "room": "general"})
	b.waitType("room.joined").decode(t, &joined)
	if got := nicknames(joined.Members); !slices.Equal(got, []string{"ada", "bob"}) {
		t.Errorf("members = %v, want ada and bob", got)
	}
	a.waitType("room.system").decode(t, &sys)
	if sys.Kind != "join" || sys.User.ID != bob.User.ID {
		t.Errorf("room.system = %+v, want bob joining", sys)
	}
	var rooms projections.Page[projections.Room]
	ada.mustDo("GET", "/api/rooms", nil, http.StatusOK, &rooms)
	for _, r := range rooms.Items {
		if r.Name == "general" && r.Online != 2 {
			t.Errorf("general has %d online, want 2", r.Online)
		}
	}

	b.send(map[string]any{"type": "room.typing", "room": "general", "active": true})
	var rt roomTypingFrame
	a.waitType("room.typing").decode(t, &rt)
	if rt.Room != "general" || rt.From.ID != bob.User.ID || !rt.Active {
		t.Errorf("room.typing = %+v", rt)
	}
	b.send(map[string]any{"type": "room.message", "room": "general", "body": "hi all", "client_id": "r1"})
	bobs := b.waitTypes("ack", "room.message")
	ack := bobs["ack"]
	m := ack.message(t)
	if ack.str(t, "client_id") != "r1" || m.Room == nil || *m.Room != "general" || m.To != nil || m.From.ID != bob.User.ID {
		t.Errorf("ack = %s", ack)
	}
	for _, rm := range []wsFrame{bobs["room.message"], a.waitType("room.message")} {
		if rm.Seq != m.Seq || rm.message(t).ID != m.ID {
			t.Errorf("room.message = %s", rm)
		}
	}
	// History over HTTP.
	var page projections.Page[projections.Message]
	cyd.mustDo("GET", "/api/rooms/general/messages", nil, http.StatusOK, &page)
	if len(page.Items) == 0 || page.Items[0].ID != m.ID {
		t.Errorf("room history = %+v", page.Items)
	}

	b.send(map[string]any{"type": "room.leave", "room": "general"})
	a.waitType("room.system").decode(t, &sys)
	if sys.Kind != "leave" || sys.User.ID != bob.User.ID || sys.Text != "bob left the room" {
		t.Errorf("room.system = %+v, want bob leaving", sys)
	}
	// Cyd, who never joined, got nothing of the room; bob nothing after leaving.
	a.send(map[string]any{"type": "room.message", "room": "general", "body": "bob is gone", "client_id": "r2"})
	a.waitType("ack")
	sentinel := ada.wsPost("sentinel")
	for _, w := range []*wsClient{b, c} {
		for {
			fr := w.next()
			if fr.Type == "post.created" && fr.post(t).ID == sentinel {
				break
			}
			if strings.HasPrefix(fr.Type, "room.") && !(w == b && fr.Type == "room.typing") {
				t.Errorf("%s received %s", w.name, fr)
			}
		}
	}
	// Closing the last connection in the room leaves it.
	c.send(map[string]any{"type": "room.join", "room": "general"})
	c.waitType("room.joined")
	a.close()
	c.waitFor("ada leaving", func(f wsFrame) bool {
		return f.Type == "room.system" && strings.Contains(f.String(), `"kind":"leave"`) && strings.Contains(f.String(), ada.User.ID)
	})
}

func TestWSLiveFeed(t *testing.T) {
	t.Parallel()
	f := newForum(t, forumOptions{})
	ada, bob := f.signup("ada"), f.signup("bob")
	a := ada.dialWS("")
	ctx := t.Context()

	postID := bob.wsPost("fresh")
	pc := a.waitType("post.created")
	if p := pc.post(t); p.ID != postID || p.Author.ID != bob.User.ID || p.MyVote != 0 || pc.Seq != p.Seq {
		t.Errorf("post.created = %s", pc)
	}
	if err := f.Cmds.Vote(ctx, ada.User.ID, "post", postID, 1); err != nil {
		t.Fatal(err)
	}
	v := a.waitType("post.voted")
	var vf voteFrame
	v.decode(t, &vf)
	if vf.ID != postID || vf.Likes != 1 || vf.Dislikes != 0 || vf.Seq == 0 {
		t.Errorf("post.voted = %s", v)
	}
	commentID, err := f.Cmds.CreateComment(ctx, bob.User.ID, postID, "first!")
	if err != nil {
		t.Fatal(err)
	}
	cc := a.waitType("comment.created")
	var cf commentFrame
	cc.decode(t, &cf)
	if cf.Comment.ID != commentID || cf.Comment.PostID != postID || cf.Comment.Body != "first!" {
		t.Errorf("comment.created = %s", cc)
	}
	if err := f.Cmds.Vote(ctx, ada.User.ID, "comment", commentID, -1); err != nil {
		t.Fatal(err)
	}
	a.waitType("comment.voted").decode(t, &vf)
	if vf.ID != commentID || vf.Dislikes != 1 {
		t.Errorf("comment.voted = %+v", vf)
	}
	if err := f.Cmds.EditComment(ctx, bob.User.ID, commentID, "second thoughts"); err != nil {
		t.Fatal(err)
	}
	a.waitType("comment.edited").decode(t, &cf)
	if cf.Comment.Body != "second thoughts" || cf.Comment.EditedAt == nil {
		t.Errorf("comment.edited = %+v", cf)
	}
	if err := f.Cmds.DeleteComment(ctx, bob.User.ID, commentID); err != nil {
		t.Fatal(err)
	}
	a.waitType("comment.deleted").decode(t, &cf)
	if cf.ID != commentID || !cf.Comment.Deleted {
		t.Errorf("comment.deleted = %+v", cf)
	}
	title := "edited title"
	if err := f.Cmds.EditPost(ctx, bob.User.ID, postID, commands.PostPatch{Title: &title}); err != nil {
		t.Fatal(err)
	}
	if p := a.waitType("post.edited").post(t); p.Title != title || p.EditedAt == nil {
		t.Errorf("post.edited = %+v", p)
	}
	if err := f.Cmds.DeletePost(ctx, bob.User.ID, postID); err != nil {
		t.Fatal(err)
	}
	d := a.waitType("post.deleted")
	if d.str(t, "id") != postID || !d.post(t).Deleted {
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
