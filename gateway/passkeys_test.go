package gateway_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"forum/commands"
	"forum/events"
	"forum/internal/forumtest"
	"forum/projections"
)

// byName returns a copy of c that reaches the forum as localhost: a
// relying party is a name, never an IP address.
func byName(c *forumtest.Client) *forumtest.Client {
	f := *c.F
	f.URL = strings.Replace(f.URL, "127.0.0.1", "localhost", 1)
	return &forumtest.Client{F: &f, Token: c.Token, User: c.User, HTTP: c.HTTP}
}

// origin is the page origin of the forum reached as c reaches it.
func origin(c *forumtest.Client) string { return c.F.URL }

type passkeyBody struct {
	Passkey projections.Passkey `json:"passkey"`
}

// enrol begins and finishes an enrolment of k for c, named name.
func enrol(c *forumtest.Client, k *softKey, name string) projections.Passkey {
	c.F.T.Helper()
	var opts options
	c.MustDo("POST", "/api/me/passkeys/begin", nil, http.StatusOK, &opts)
	body := k.create(opts, origin(c))
	body["name"] = name
	var got passkeyBody
	c.MustDo("POST", "/api/me/passkeys/finish", body, http.StatusCreated, &got)
	return got.Passkey
}

// beginSignIn begins a passkey sign-in, as anyone.
func beginSignIn(c *forumtest.Client) options {
	c.F.T.Helper()
	var opts options
	(&forumtest.Client{F: c.F}).MustDo("POST", "/api/signin/passkey/begin", nil, http.StatusOK, &opts)
	return opts
}

type signedIn struct {
	Token string           `json:"token"`
	User  projections.User `json:"user"`
}

// A user enrols passkeys (discoverable, user verification preferred), lists,
// renames and removes them, and signs in with one alone (no password, no
// allowCredentials); every bad input answers its error and stores nothing.
func TestPasskeys(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ann, bob := byName(f.SignUp("ann")), byName(f.SignUp("bob"))
	anon := &forumtest.Client{F: ann.F}
	key := newSoftKey(t)

	var opts options
	ann.MustDo("POST", "/api/me/passkeys/begin", nil, http.StatusOK, &opts)
	if p := opts.PublicKey; p.RP.ID != "localhost" || p.Selection.ResidentKey != "required" || p.Selection.UserVerification != "preferred" || p.Challenge == "" || p.User.ID == "" {
		t.Fatalf("creation options: %+v", p)
	}
	created := key.create(opts, origin(ann))

	// Bad input first: each answers its error, and the log is as it was.
	before := lastSeq(f)
	withName := func(name any) map[string]any {
		m := map[string]any{"name": name}
		for k, v := range created {
			m[k] = v
		}
		return m
	}
	for _, bad := range []struct {
		name   string
		who    *forumtest.Client
		body   any
		status int
		field  string
	}{
		{"a name of 65 characters", ann, withName(strings.Repeat("n", 65)), http.StatusBadRequest, "name"},
		{"a name of two lines", ann, withName("a\nb"), http.StatusBadRequest, "name"},
		{"a name that is no string", ann, withName(7), http.StatusBadRequest, "name"},
		{"no credential", ann, map[string]any{"name": "x"}, http.StatusBadRequest, "credential"},
		{"not an object", ann, []int{1}, http.StatusBadRequest, "credential"},
		{"another user's ceremony", bob, created, http.StatusBadRequest, "credential"},
		{"signed out", anon, created, http.StatusUnauthorized, ""},
	} {
		status, body := bad.who.Do("POST", "/api/me/passkeys/finish", bad.body)
		var e struct {
			Error struct{ Field string } `json:"error"`
		}
		json.Unmarshal(body, &e)
		if status != bad.status || e.Error.Field != bad.field {
			t.Errorf("%s: %d %s, want %d field %q", bad.name, status, body, bad.status, bad.field)
		}
	}
	if got := lastSeq(f); got != before {
		t.Fatalf("bad enrolments appended %d events", got-before)
	}

	// Bob's attempt took ann's ceremony (each is taken once): she begins again.
	ann.MustDo("POST", "/api/me/passkeys/begin", nil, http.StatusOK, &opts)
	created = key.create(opts, origin(ann))
	created["name"] = "  Laptop  "
	var got passkeyBody
	ann.MustDo("POST", "/api/me/passkeys/finish", created, http.StatusCreated, &got)
	laptop := got.Passkey
	if laptop.Name != "Laptop" || laptop.ID == "" || laptop.CreatedAt == "" {
		t.Fatalf("enrolled %+v", laptop)
	}
	if status, body := ann.Do("POST", "/api/me/passkeys/finish", created); status != http.StatusBadRequest || !strings.Contains(string(body), `"credential"`) {
		t.Errorf("a reused enrolment challenge: %d %s, want 400 credential", status, body)
	}
	// The same authenticator again is excluded by the options, and refused.
	ann.MustDo("POST", "/api/me/passkeys/begin", nil, http.StatusOK, &opts)
	if status, body := ann.Do("POST", "/api/me/passkeys/finish", key.create(opts, origin(ann))); status != http.StatusConflict {
		t.Errorf("a passkey enrolled twice: %d %s, want 409", status, body)
	}
	phone := enrol(ann, newSoftKey(t), "")
	if phone.Name != "Passkey 2" {
		t.Errorf("an unnamed passkey is named %q, want Passkey 2", phone.Name)
	}
	var list struct {
		Items []projections.Passkey `json:"items"`
	}
	ann.MustDo("GET", "/api/me/passkeys", nil, http.StatusOK, &list)
	if len(list.Items) != 2 || list.Items[0].ID != laptop.ID || list.Items[1].ID != phone.ID {
		t.Fatalf("ann's passkeys: %+v", list.Items)
	}
	bob.MustDo("GET", "/api/me/passkeys", nil, http.StatusOK, &list)
	if len(list.Items) != 0 {
		t.Fatalf("bob sees passkeys: %+v", list.Items)
	}

	// Signing in with the passkey alone.
	in := beginSignIn(ann)
	if in.PublicKey.RPID != "localhost" || in.PublicKey.AllowCredentials != nil || in.PublicKey.UserVerification != "required" {
		t.Fatalf("request options: %+v", in.PublicKey)
	}
	assertion := key.get(in, origin(ann), 1)
	var s signedIn
	anon.MustDo("POST", "/api/signin/passkey/finish", assertion, http.StatusOK, &s)
	if s.User.ID != ann.User.ID || s.Token == "" {
		t.Fatalf("signed in as %+v", s)
	}
	me := &forumtest.Client{F: ann.F, Token: s.Token}
	me.MustDo("GET", "/api/me", nil, http.StatusOK, nil)
	ann.MustDo("GET", "/api/me/passkeys", nil, http.StatusOK, &list)
	if list.Items[0].LastUsedAt == "" {
		t.Errorf("the passkey used shows no last use: %+v", list.Items[0])
	}

	before = lastSeq(f)
	stranger := newSoftKey(t)
	stranger.handle = key.handle
	for _, bad := range []struct {
		name   string
		body   func() any
		status int
	}{
		{"a reused sign-in challenge", func() any { return key.get(in, origin(ann), 1) }, http.StatusBadRequest},
		{"a challenge never given", func() any {
			o := in
			o.PublicKey.Challenge = b64.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
			return key.get(o, origin(ann), 1)
		}, http.StatusBadRequest},
		{"an enrolment's challenge", func() any {
			var o options
			ann.MustDo("POST", "/api/me/passkeys/begin", nil, http.StatusOK, &o)
			o.PublicKey.RPID = o.PublicKey.RP.ID
			return key.get(o, origin(ann), 1)
		}, http.StatusBadRequest},
		{"an unknown passkey", func() any { return stranger.get(beginSignIn(ann), origin(ann), 1) }, http.StatusUnauthorized},
		{"another origin", func() any { return key.get(beginSignIn(ann), "http://localhost:1", 1) }, http.StatusUnauthorized},
		{"a counter that did not move", func() any {
			saved := key.count
			key.count = 1 // as the sign-in that passed left it
			defer func() { key.count = saved }()
			return key.get(beginSignIn(ann), origin(ann), 0)
		}, http.StatusUnauthorized},
		{"a signature that does not verify", func() any {
			a := key.get(beginSignIn(ann), origin(ann), 1)
			a["response"].(map[string]any)["signature"] = b64.EncodeToString([]byte("0"))
			return a
		}, http.StatusUnauthorized},
		{"garbage", func() any { return map[string]any{"id": "x"} }, http.StatusBadRequest},
	} {
		status, body := anon.Do("POST", "/api/signin/passkey/finish", bad.body())
		if status != bad.status || strings.Contains(string(body), `"token"`) {
			t.Errorf("%s: %d %s, want %d", bad.name, status, body, bad.status)
		}
	}
	if got := lastSeq(f); got != before {
		t.Fatalf("bad sign-ins appended %d events", got-before)
	}
	anon.MustDo("POST", "/api/signin/passkey/finish", key.get(beginSignIn(ann), origin(ann), 1), http.StatusOK, &s)

	// Another user's passkey is not there for them; renaming and removing one's own.
	for _, m := range []string{"PATCH", "DELETE"} {
		if status, body := bob.Do(m, "/api/me/passkeys/"+laptop.ID, map[string]any{"name": "mine"}); status != http.StatusNotFound {
			t.Errorf("bob %s ann's passkey: %d %s, want 404", m, status, body)
		}
	}
	if status, _ := ann.Do("DELETE", "/api/me/passkeys/nope", nil); status != http.StatusNotFound {
		t.Errorf("DELETE of a malformed id: %d, want 404", status)
	}
	if status, _ := ann.Do("PATCH", "/api/me/passkeys/"+laptop.ID, map[string]any{"name": " "}); status != http.StatusBadRequest {
		t.Errorf("an empty name: %d, want 400", status)
	}
	ann.MustDo("PATCH", "/api/me/passkeys/"+laptop.ID, map[string]any{"name": "Old laptop"}, http.StatusOK, &got)
	if got.Passkey.Name != "Old laptop" {
		t.Errorf("renamed to %q", got.Passkey.Name)
	}
	ann.MustDo("DELETE", "/api/me/passkeys/"+laptop.ID, nil, http.StatusNoContent, nil)
	ann.MustDo("DELETE", "/api/me/passkeys/"+laptop.ID, nil, http.StatusNotFound, nil)
	if status, body := anon.Do("POST", "/api/signin/passkey/finish", key.get(beginSignIn(ann), origin(ann), 1)); status != http.StatusUnauthorized {
		t.Errorf("a removed passkey signs in: %d %s", status, body)
	}
	ann.MustDo("GET", "/api/me/passkeys", nil, http.StatusOK, &list)
	if len(list.Items) != 1 || list.Items[0].ID != phone.ID {
		t.Fatalf("after removal: %+v", list.Items)
	}

	// A forum reached at an IP address is no relying party.
	raw := &forumtest.Client{F: f, Token: ann.Token}
	if status, body := raw.Do("POST", "/api/me/passkeys/begin", nil); status != http.StatusBadRequest {
		t.Errorf("begin at 127.0.0.1: %d %s, want 400", status, body)
	}
}

// The export lists a user's passkeys by id and name without their key
// material, and erasing the account takes its passkeys with it.
func TestPasskeysExportAndErasure(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ann := byName(f.SignUp("ann"))
	key := newSoftKey(t)
	pk := enrol(ann, key, "Laptop")

	var exported []struct {
		Type events.Type     `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	ann.MustDo("GET", "/api/me/export", nil, http.StatusOK, &exported)
	found := false
	for _, e := range exported {
		if e.Type != events.PasskeyAdded {
			continue
		}
		found = true
		var d events.PasskeyAddedData
		json.Unmarshal(e.Data, &d)
		if d.PasskeyID != pk.ID || d.Name != "Laptop" || d.Credential != "" || d.CredentialID != "" {
			t.Errorf("exported passkey: %s", e.Data)
		}
	}
	if !found {
		t.Fatal("the export lists no passkey")
	}

	ann.MustDo("DELETE", "/api/me", map[string]any{"password": forumtest.Password("ann")}, http.StatusNoContent, nil)
	anon := &forumtest.Client{F: ann.F}
	if status, body := anon.Do("POST", "/api/signin/passkey/finish", key.get(beginSignIn(ann), origin(ann), 1)); status != http.StatusUnauthorized {
		t.Errorf("an erased user's passkey signs in: %d %s", status, body)
	}
	if ps, err := f.DB.Passkeys(forumtest.Context(t), events.UserID(ann.User.ID)); err != nil || len(ps) != 0 {
		t.Errorf("an erased user's passkeys in the read models: %v %v", ps, err)
	}
}

// Of sign-ins racing with one ceremony, one passes; of enrolments racing
// past the bound, the bound holds.
func TestPasskeyCeremonyIsTakenOnce(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ann := byName(f.SignUp("ann"))
	key := newSoftKey(t)
	enrol(ann, key, "Laptop")
	anon := &forumtest.Client{F: ann.F}
	in := beginSignIn(ann)
	const racers = 8
	bodies := make([]any, racers)
	for i := range bodies {
		bodies[i] = key.get(in, origin(ann), 1)
	}
	var wg sync.WaitGroup
	statuses := make([]int, racers)
	for i := range racers {
		wg.Go(func() { statuses[i], _ = anon.Do("POST", "/api/signin/passkey/finish", bodies[i]) })
	}
	wg.Wait()
	ok := 0
	for _, s := range statuses {
		if s == http.StatusOK {
			ok++
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d sign-ins with one challenge passed (%v), want 1", ok, racers, statuses)
	}
}

// via returns a copy of c that names the forum as c does (its Host and
// origin) but reaches another instance, g: as a load balancer in front of
// both would.
func via(c *forumtest.Client, g *forumtest.Forum) *forumtest.Client {
	addr := strings.TrimPrefix(g.URL, "http://")
	d := &net.Dialer{}
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}}}
	return &forumtest.Client{F: c.F, Token: c.Token, User: c.User, HTTP: hc}
}

// A ceremony begun on one instance finishes on another: the bucket of
// ceremonies is shared.
func TestPasskeyCeremonyAcrossInstances(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	g := forumtest.Start(t, forumtest.Options{Store: f.Store})
	ann := byName(f.SignUp("ann"))
	forumtest.Eventually(t, "the second instance to catch up", func() bool { return g.Proj.Seq() >= f.Proj.Seq() })
	annOnG := via(ann, g)
	key := newSoftKey(t)

	var opts options
	ann.MustDo("POST", "/api/me/passkeys/begin", nil, http.StatusOK, &opts)
	var got passkeyBody
	annOnG.MustDo("POST", "/api/me/passkeys/finish", key.create(opts, origin(ann)), http.StatusCreated, &got)
	forumtest.Eventually(t, "the first instance to catch up", func() bool { return f.Proj.Seq() >= g.Proj.Seq() })

	var in options
	(&forumtest.Client{F: ann.F, HTTP: annOnG.HTTP}).MustDo("POST", "/api/signin/passkey/begin", nil, http.StatusOK, &in)
	var s signedIn
	(&forumtest.Client{F: ann.F}).MustDo("POST", "/api/signin/passkey/finish", key.get(in, origin(ann), 1), http.StatusOK, &s)
	if s.User.ID != ann.User.ID {
		t.Fatalf("signed in as %+v", s.User)
	}
}

// Finishing an enrolment with an Idempotency-Key, then again with the same
// key, answers the first 201 again and enrols once; racing enrolments past
// the bound of 20 passkeys leave exactly 20.
func TestPasskeyIdempotencyAndBound(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ann := byName(f.SignUp("ann"))
	var opts options
	ann.MustDo("POST", "/api/me/passkeys/begin", nil, http.StatusOK, &opts)
	body := newSoftKey(t).create(opts, origin(ann))
	s1, r1, b1 := idemDo(t, ann, ann.F.URL, "POST", "/api/me/passkeys/finish", "enrol-1", body)
	s2, r2, b2 := idemDo(t, ann, ann.F.URL, "POST", "/api/me/passkeys/finish", "enrol-1", body)
	if s1 != http.StatusCreated || s2 != s1 || b2 != b1 || r1 || !r2 {
		t.Fatalf("first %d (replayed %v), retry %d (replayed %v): %s / %s", s1, r1, s2, r2, b1, b2)
	}

	for range projections.MaxPasskeys - 2 {
		enrol(ann, newSoftKey(t), "")
	}
	const racers = 4
	bodies := make([]any, racers)
	for i := range bodies {
		ann.MustDo("POST", "/api/me/passkeys/begin", nil, http.StatusOK, &opts)
		bodies[i] = newSoftKey(t).create(opts, origin(ann))
	}
	statuses := make([]int, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() { statuses[i], _ = ann.Do("POST", "/api/me/passkeys/finish", bodies[i]) })
	}
	wg.Wait()
	created := 0
	for _, s := range statuses {
		switch s {
		case http.StatusCreated:
			created++
		case http.StatusConflict:
		default:
			t.Errorf("a racing enrolment answered %d", s)
		}
	}
	var list struct {
		Items []projections.Passkey `json:"items"`
	}
	ann.MustDo("GET", "/api/me/passkeys", nil, http.StatusOK, &list)
	if created != 1 || len(list.Items) != projections.MaxPasskeys {
		t.Fatalf("%d of %d racing enrolments passed, %d passkeys; want 1 and %d", created, racers, len(list.Items), projections.MaxPasskeys)
	}
	if status, _ := ann.Do("POST", "/api/me/passkeys/begin", nil); status != http.StatusConflict {
		t.Errorf("begin past the bound: %d, want 409", status)
	}
}

// A suspended user enrols no passkey, removes one, and signs in with one as
// with a password.
func TestPasskeysOfASuspendedUser(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{Configure: func(c *commands.Config) { c.Admins = []string{"boss"} }})
	boss, ann := f.SignUp("boss"), byName(f.SignUp("ann"))
	key := newSoftKey(t)
	laptop := enrol(ann, key, "Laptop")
	phone := enrol(ann, newSoftKey(t), "Phone")
	boss.MustDo("POST", "/api/mod/users/"+ann.User.ID+"/suspend", map[string]any{"until": time.Now().Add(time.Hour).UTC().Format(time.RFC3339), "reason": "cool off"}, http.StatusNoContent, nil)

	if status, body := ann.Do("POST", "/api/me/passkeys/begin", nil); status != http.StatusForbidden || !strings.Contains(string(body), `"suspended"`) {
		t.Errorf("a suspended user begins an enrolment: %d %s, want 403 suspended", status, body)
	}
	if status, body := ann.Do("PATCH", "/api/me/passkeys/"+laptop.ID, map[string]any{"name": "x"}); status != http.StatusForbidden {
		t.Errorf("a suspended user renames a passkey: %d %s, want 403", status, body)
	}
	ann.MustDo("DELETE", "/api/me/passkeys/"+phone.ID, nil, http.StatusNoContent, nil)
	var s signedIn
	(&forumtest.Client{F: ann.F}).MustDo("POST", "/api/signin/passkey/finish", key.get(beginSignIn(ann), origin(ann), 1), http.StatusOK, &s)
}
