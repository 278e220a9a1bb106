package gateway_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"forum/commands"
	"forum/events"
	"forum/internal/forumtest"
	"forum/projections"
)

// totpForum is a forum whose commands read the test's clock, so codes of
// later time steps come without waiting for them.
func totpForum(t *testing.T, o forumtest.Options) (*forumtest.Forum, *clock) {
	t.Helper()
	now := &clock{}
	configure := o.Configure
	o.Configure = func(c *commands.Config) {
		c.Now = now.Now
		if configure != nil {
			configure(c)
		}
	}
	return forumtest.Start(t, o), now
}

// enrolTOTP turns two factors on for c's user and returns the secret and
// the recovery codes.
func enrolTOTP(t *testing.T, c *forumtest.Client, now *clock) (string, []string) {
	t.Helper()
	var enrol struct {
		Secret     string `json:"secret"`
		OtpauthURL string `json:"otpauth_url"`
	}
	c.MustDo("POST", "/api/me/totp", nil, http.StatusOK, &enrol)
	var conf struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	c.MustDo("POST", "/api/me/totp/confirm", map[string]string{"code": codeAt(t, enrol.Secret, now.Now())}, http.StatusOK, &conf)
	return enrol.Secret, conf.RecoveryCodes
}

// codeAt is the code of secret at time at, as an authenticator app shows it.
func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// secondFactorError is the answer of a sign-in that asks for a second factor.
type secondFactorError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
		Ticket  string `json:"ticket"`
	} `json:"error"`
}

// ticketOf signs c's user in with their password and returns the ticket
// the answer asks the second factor with.
func ticketOf(t *testing.T, c *forumtest.Client) string {
	t.Helper()
	status, body := c.F.Anon().Do("POST", "/api/signin", map[string]string{"login": c.User.Nickname, "password": forumtest.Password(c.User.Nickname)})
	var e secondFactorError
	json.Unmarshal(body, &e)
	if status != http.StatusUnauthorized || e.Error.Code != "second_factor" || e.Error.Ticket == "" || e.Error.Message == "" {
		t.Fatalf("sign-in with two factors on: %d %s, want 401 second_factor with a ticket", status, body)
	}
	return e.Error.Ticket
}

// basicStatus is the status of GET path with c's user's password by HTTP Basic.
func basicStatus(t *testing.T, c *forumtest.Client, path string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", c.F.URL+path, nil)
	req.SetBasicAuth(c.User.Nickname, forumtest.Password(c.User.Nickname))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// A user enrols an authenticator (nothing changes until a code confirms
// it), then signs in with a ticket and a code; a code is taken once, a
// ticket is good once, each recovery code once; HTTP Basic is refused; the
// password turns it all off.
func TestTOTPSignIn(t *testing.T) {
	t.Parallel()
	f, now := totpForum(t, forumtest.Options{})
	ada := f.SignUp("ada")
	anon := f.Anon()
	if status := basicStatus(t, ada, "/api/me"); status != http.StatusOK {
		t.Fatalf("Basic before two factors: %d", status)
	}
	twoFactor := func(want string) {
		t.Helper()
		var me struct {
			TwoFactor string `json:"two_factor"`
		}
		ada.MustDo("GET", "/api/me", nil, http.StatusOK, &me)
		if me.TwoFactor != want {
			t.Errorf("two_factor = %q, want %q", me.TwoFactor, want)
		}
	}
	twoFactor("off")

	var enrol struct {
		Secret     string `json:"secret"`
		OtpauthURL string `json:"otpauth_url"`
	}
	ada.MustDo("POST", "/api/me/totp", nil, http.StatusOK, &enrol)
	u, err := url.Parse(enrol.OtpauthURL)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/Forum:ada" || u.Query().Get("secret") != enrol.Secret ||
		u.Query().Get("issuer") != "Forum" || u.Query().Get("digits") != "6" || u.Query().Get("period") != "30" {
		t.Fatalf("otpauth_url %q (secret %q)", enrol.OtpauthURL, enrol.Secret)
	}
	// Pending: the password alone still signs in.
	twoFactor("pending")
	anon.MustDo("POST", "/api/signin", map[string]string{"login": "ada", "password": forumtest.Password("ada")}, http.StatusOK, nil)

	status, body := ada.Do("POST", "/api/me/totp/confirm", map[string]string{"code": "12345"})
	wantStatus(t, "a code of 5 digits", status, body, 400, `"field":"code"`)
	wrong := codeAt(t, enrol.Secret, now.Now().Add(-10*time.Minute))
	status, body = ada.Do("POST", "/api/me/totp/confirm", map[string]string{"code": wrong})
	wantStatus(t, "a code of ten minutes ago", status, body, 400, `"field":"code"`)
	confirmCode := codeAt(t, enrol.Secret, now.Now())
	var conf struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	ada.MustDo("POST", "/api/me/totp/confirm", map[string]string{"code": confirmCode}, http.StatusOK, &conf)
	seen := map[string]bool{}
	for _, c := range conf.RecoveryCodes {
		if len(c) != 19 || seen[c] {
			t.Errorf("recovery code %q", c)
		}
		seen[c] = true
	}
	if len(conf.RecoveryCodes) != 10 {
		t.Fatalf("%d recovery codes, want 10", len(conf.RecoveryCodes))
	}
	twoFactor("on")
	status, body = ada.Do("POST", "/api/me/totp/confirm", map[string]string{"code": confirmCode})
	wantStatus(t, "confirming twice", status, body, 409, "conflict")
	status, body = ada.Do("POST", "/api/me/totp", nil)
	wantStatus(t, "enrolling again while on", status, body, 409, "conflict")

	// The password alone no longer signs in; a ticket and a code do, once.
	ticket := ticketOf(t, ada)
	second := func(body map[string]string) (int, []byte) { return anon.Do("POST", "/api/signin/second-factor", body) }
	status, body = second(map[string]string{"ticket": ticket, "code": confirmCode})
	wantStatus(t, "the confirming code again, in its window", status, body, 401, `"field":"code"`)
	status, body = second(map[string]string{"ticket": ticket})
	wantStatus(t, "no code", status, body, 400, "validation")
	status, body = second(map[string]string{"ticket": ticket + "x", "code": codeAt(t, enrol.Secret, now.Now())})
	wantStatus(t, "a forged ticket", status, body, 401, `"field":"ticket"`)
	now.advance(30 * time.Second)
	code := codeAt(t, enrol.Secret, now.Now())
	var in struct {
		User  projections.User `json:"user"`
		Token string           `json:"token"`
	}
	anon.MustDo("POST", "/api/signin/second-factor", map[string]string{"ticket": ticket, "code": code}, http.StatusOK, &in)
	if in.User.ID != ada.User.ID || in.Token == "" {
		t.Fatalf("signed in as %+v", in)
	}
	signed := &forumtest.Client{F: f, Token: in.Token, User: in.User}
	signed.MustDo("GET", "/api/me", nil, http.StatusOK, nil)
	now.advance(30 * time.Second)
	status, body = second(map[string]string{"ticket": ticket, "code": codeAt(t, enrol.Secret, now.Now())})
	wantStatus(t, "a ticket used twice", status, body, 401, `"field":"ticket"`)
	status, body = second(map[string]string{"ticket": ticketOf(t, ada), "code": code})
	wantStatus(t, "a code used once, with a new ticket", status, body, 401, `"field":"code"`)

	// A recovery code, as written or not, is good once.
	rc := conf.RecoveryCodes[3]
	anon.MustDo("POST", "/api/signin/second-factor", map[string]string{"ticket": ticketOf(t, ada), "recovery_code": strings.ToUpper(strings.ReplaceAll(rc, "-", " "))}, http.StatusOK, nil)
	status, body = second(map[string]string{"ticket": ticketOf(t, ada), "recovery_code": rc})
	wantStatus(t, "a recovery code used twice", status, body, 401, `"field":"recovery_code"`)
	anon.MustDo("POST", "/api/signin/second-factor", map[string]string{"ticket": ticketOf(t, ada), "recovery_code": conf.RecoveryCodes[4]}, http.StatusOK, nil)

	// HTTP Basic, a password alone, is refused, on a public read too.
	for _, path := range []string{"/api/me", "/api/posts"} {
		if status := basicStatus(t, ada, path); status != http.StatusUnauthorized {
			t.Errorf("Basic %s with two factors on: %d, want 401", path, status)
		}
	}

	// Off with the password (not without it), and the password signs in alone again.
	status, body = ada.Do("DELETE", "/api/me/totp", map[string]string{"password": "wrong-password"})
	wantStatus(t, "turning off with a wrong password", status, body, 401, `"field":"password"`)
	status, body = ada.Do("DELETE", "/api/me/totp", map[string]string{})
	wantStatus(t, "turning off without a password", status, body, 400, `"field":"password"`)
	ticketBefore := ticketOf(t, ada)
	ada.MustDo("DELETE", "/api/me/totp", map[string]string{"password": forumtest.Password("ada")}, http.StatusNoContent, nil)
	ada.MustDo("DELETE", "/api/me/totp", map[string]string{"password": forumtest.Password("ada")}, http.StatusNoContent, nil)
	now.advance(30 * time.Second)
	status, body = second(map[string]string{"ticket": ticketBefore, "code": codeAt(t, enrol.Secret, now.Now())})
	wantStatus(t, "a ticket of before two factors went off", status, body, 401, `"field":"ticket"`)
	anon.MustDo("POST", "/api/signin", map[string]string{"login": "ada", "password": forumtest.Password("ada")}, http.StatusOK, nil)
	twoFactor("off")
	if status := basicStatus(t, ada, "/api/me"); status != http.StatusOK {
		t.Errorf("Basic after two factors went off: %d", status)
	}
}

// A ticket ends after five minutes.
func TestTOTPTicketExpires(t *testing.T) {
	t.Parallel()
	f, now := totpForum(t, forumtest.Options{})
	ada := f.SignUp("ada")
	secret, _ := enrolTOTP(t, ada, now)
	ticket := ticketOf(t, ada)
	now.advance(5*time.Minute + time.Second)
	status, body := f.Anon().Do("POST", "/api/signin/second-factor", map[string]string{"ticket": ticket, "code": codeAt(t, secret, now.Now())})
	wantStatus(t, "a ticket of over five minutes ago", status, body, 401, `"field":"ticket"`)
}

// Two sign-ins racing with one ticket and one code: one passes.
func TestTOTPTicketRace(t *testing.T) {
	t.Parallel()
	f, now := totpForum(t, forumtest.Options{})
	ada := f.SignUp("ada")
	secret, _ := enrolTOTP(t, ada, now)
	now.advance(30 * time.Second)
	ticket, code := ticketOf(t, ada), codeAt(t, secret, now.Now())
	const racers = 6
	statuses := make([]int, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			statuses[i], _ = f.Anon().Do("POST", "/api/signin/second-factor", map[string]string{"ticket": ticket, "code": code})
		})
	}
	wg.Wait()
	ok := 0
	for _, s := range statuses {
		switch s {
		case http.StatusOK:
			ok++
		case http.StatusUnauthorized:
		default:
			t.Errorf("a racing second factor answered %d", s)
		}
	}
	if ok != 1 {
		t.Errorf("%d of %d racing second factors passed, want 1: %v", ok, racers, statuses)
	}
}

// Wrong codes are throttled like wrong passwords: after ten from one
// address, even the right one waits (429 with Retry-After); another address
// is not held up by them.
func TestTOTPWrongCodesThrottled(t *testing.T) {
	t.Parallel()
	f, now := totpForum(t, forumtest.Options{})
	ada := f.SignUp("ada")
	secret, _ := enrolTOTP(t, ada, now)
	now.advance(30 * time.Second)
	from := f.Anon().From("127.0.0.3")
	ticket := ticketOf(t, ada)
	good := codeAt(t, secret, now.Now())
	bad := "000000"
	if bad == good {
		bad = "111111"
	}
	for i := range 10 {
		status, body := from.Do("POST", "/api/signin/second-factor", map[string]string{"ticket": ticket, "code": bad})
		if status != http.StatusUnauthorized {
			t.Fatalf("wrong code %d: %d %s", i, status, body)
		}
	}
	req, _ := http.NewRequest("POST", f.URL+"/api/signin/second-factor", jsonBody(map[string]string{"ticket": ticket, "code": good}))
	req.Header.Set("Content-Type", "application/json")
	resp, err := forumtest.HTTPFrom("127.0.0.3").Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("the right code after ten wrong ones: %d (Retry-After %q), want 429", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	f.Anon().From("127.0.0.4").MustDo("POST", "/api/signin/second-factor", map[string]string{"ticket": ticket, "code": good}, http.StatusOK, nil)
}

// Wrong passwords to turn two factors off are throttled like sign-ins'.
func TestTOTPDisableThrottled(t *testing.T) {
	t.Parallel()
	f, now := totpForum(t, forumtest.Options{})
	ada := f.SignUp("ada")
	enrolTOTP(t, ada, now)
	for range 10 {
		status, body := ada.Do("DELETE", "/api/me/totp", map[string]string{"password": "not-the-password"})
		wantStatus(t, "a wrong password", status, body, 401, "unauthenticated")
	}
	status, body := ada.Do("DELETE", "/api/me/totp", map[string]string{"password": forumtest.Password("ada")})
	wantStatus(t, "the right password after ten wrong ones", status, body, 429, "rate_limited")
}

// The secret never enters the log in clear, an export carries neither it
// nor the recovery codes' hashes, a rebuild keeps the state (a spent
// recovery code stays spent), and erasure leaves the secret unreadable.
func TestTOTPSealedExportedRebuiltErased(t *testing.T) {
	t.Parallel()
	f, now := totpForum(t, forumtest.Options{})
	ada := f.SignUp("ada")
	secret, codes := enrolTOTP(t, ada, now)
	f.Anon().MustDo("POST", "/api/signin/second-factor", map[string]string{"ticket": ticketOf(t, ada), "recovery_code": codes[0]}, http.StatusOK, nil)
	ctx := forumtest.Context(t)

	var started events.Event
	for _, ev := range history(t, f, "forum.totp."+ada.User.ID) {
		if strings.Contains(string(ev.Data), secret) {
			t.Errorf("%s holds the secret in clear: %s", ev.Type, ev.Data)
		}
		if ev.Type == events.TOTPStarted {
			started = ev
		}
	}
	var d events.TOTPStartedData
	if err := started.Payload(&d); err != nil || !events.Sealed(d.Secret) {
		t.Fatalf("totp.started: %+v %v, want the secret sealed", d, err)
	}
	if got, err := mustKeys(t, f).Open(ctx, ada.User.ID, d.Secret); err != nil || got != secret {
		t.Fatalf("the sealed secret opens as %q, %v", got, err)
	}

	var exported []struct {
		Type events.Type     `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	ada.MustDo("GET", "/api/me/export", nil, http.StatusOK, &exported)
	types := map[events.Type]bool{}
	for _, e := range exported {
		types[e.Type] = true
		if strings.Contains(string(e.Data), secret) || strings.Contains(string(e.Data), "sealed:") {
			t.Errorf("the export's %s holds a secret: %s", e.Type, e.Data)
		}
	}
	if !types[events.TOTPStarted] || !types[events.TOTPEnabled] || !types[events.TOTPUsed] {
		t.Errorf("the export has the types %v, want the TOTP events among them", types)
	}

	head, err := f.Store.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Proj.WaitFor(ctx, head); err != nil {
		t.Fatal(err)
	}
	res, err := projections.Rebuild(ctx, f.Store, projections.RebuildOptions{Path: filepath.Join(t.TempDir(), "read.db"), UntilSeq: head, Keys: mustKeys(t, f)})
	if err != nil {
		t.Fatal(err)
	}
	rebuilt, folded := forumtest.Dump(t, res.Path), forumtest.Dump(t, filepath.Join(f.Dir, "read.db"))
	forumtest.CompareDumps(t, "rebuilt vs folded", rebuilt, folded)
	if len(folded["totp"]) != 1 || len(folded["totp_recovery"]) != 10 || !strings.Contains(strings.Join(folded["totp_recovery"], "\n"), "1") {
		t.Errorf("the read models hold %v and %v", folded["totp"], folded["totp_recovery"])
	}
	status, body := f.Anon().Do("POST", "/api/signin/second-factor", map[string]string{"ticket": ticketOf(t, ada), "recovery_code": codes[0]})
	wantStatus(t, "a spent recovery code", status, body, 401, `"field":"recovery_code"`)

	ada.MustDo("DELETE", "/api/me", map[string]string{"password": forumtest.Password("ada")}, http.StatusNoContent, nil)
	if _, err := mustKeys(t, f).Open(ctx, ada.User.ID, d.Secret); !errors.Is(err, events.ErrKeyGone) {
		t.Errorf("the secret after erasure: %v, want ErrKeyGone", err)
	}
	fresh, err := events.OpenKeyring(ctx, f.Store)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := fresh.Open(ctx, ada.User.ID, d.Secret); !errors.Is(err, events.ErrKeyGone) {
		t.Errorf("the secret after erasure, read afresh: %q %v, want ErrKeyGone", got, err)
	}
	if st, err := f.DB.TOTP(ctx, events.UserID(ada.User.ID)); err != nil || st.PendingSecret != "" || st.Secret != "" || len(st.Recovery) != 0 {
		t.Errorf("the read models after erasure: %+v %v", st, err)
	}
	head, _ = f.Store.LastSeq(ctx)
	res, err = projections.Rebuild(ctx, f.Store, projections.RebuildOptions{Path: filepath.Join(t.TempDir(), "read.db"), UntilSeq: head, Keys: fresh})
	if err != nil {
		t.Fatal(err)
	}
	if d := forumtest.Dump(t, res.Path); len(d["totp"])+len(d["totp_recovery"]) != 0 {
		t.Errorf("a rebuild after erasure holds %v %v", d["totp"], d["totp_recovery"])
	}
}

// A retried enrolment (the same Idempotency-Key) answers the same secret.
func TestTOTPStartIdempotent(t *testing.T) {
	t.Parallel()
	f, _ := totpForum(t, forumtest.Options{})
	ada := f.SignUp("ada")
	start := func() string {
		req, _ := http.NewRequest("POST", f.URL+"/api/me/totp", nil)
		req.Header.Set("Authorization", "Bearer "+ada.Token)
		req.Header.Set("Idempotency-Key", "enrol-1")
		var out struct{ Secret string }
		doJSON(t, req, http.StatusOK, &out)
		return out.Secret
	}
	if a, b := start(), start(); a == "" || a != b {
		t.Errorf("two attempts of one enrolment: %q and %q", a, b)
	}
}

// history returns the events on subject, oldest first.
func history(t *testing.T, f *forumtest.Forum, subject string) []events.Event {
	t.Helper()
	evs, err := f.Store.History(forumtest.Context(t), []string{subject}, 100)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// Wrong codes from many addresses add up for the account: after 30, the
// right code from a fresh address waits too.
func TestTOTPWrongCodesThrottledPerAccount(t *testing.T) {
	t.Parallel()
	f, now := totpForum(t, forumtest.Options{})
	ada := f.SignUp("ada")
	secret, _ := enrolTOTP(t, ada, now)
	now.advance(30 * time.Second)
	ticket, good := ticketOf(t, ada), codeAt(t, secret, now.Now())
	bad := "000000"
	if bad == good {
		bad = "111111"
	}
	for _, ip := range []string{"127.0.0.5", "127.0.0.6", "127.0.0.7"} {
		for range 10 {
			status, body := f.Anon().From(ip).Do("POST", "/api/signin/second-factor", map[string]string{"ticket": ticket, "code": bad})
			wantStatus(t, "a wrong code", status, body, 401, `"field":"code"`)
		}
	}
	status, body := f.Anon().From("127.0.0.8").Do("POST", "/api/signin/second-factor", map[string]string{"ticket": ticket, "code": good})
	wantStatus(t, "the right code after 30 wrong ones from elsewhere", status, body, 429, "rate_limited")
}

// A ticket given by one instance is taken by another on the same stream,
// once: the second factor is decided in the log, not in an instance's memory.
func TestTOTPTicketOnAnotherInstance(t *testing.T) {
	t.Parallel()
	f, now := totpForum(t, forumtest.Options{})
	other := forumtest.Start(t, forumtest.Options{Store: f.Store, Empty: true, Configure: func(c *commands.Config) { c.Now = now.Now }})
	ada := f.SignUp("ada")
	secret, _ := enrolTOTP(t, ada, now)
	now.advance(30 * time.Second)
	ticket, code := ticketOf(t, ada), codeAt(t, secret, now.Now())
	var in struct {
		Token string `json:"token"`
	}
	other.Anon().MustDo("POST", "/api/signin/second-factor", map[string]string{"ticket": ticket, "code": code}, http.StatusOK, &in)
	(&forumtest.Client{F: f, Token: in.Token}).MustDo("GET", "/api/me", nil, http.StatusOK, nil)
	now.advance(30 * time.Second)
	status, body := f.Anon().Do("POST", "/api/signin/second-factor", map[string]string{"ticket": ticket, "code": codeAt(t, secret, now.Now())})
	wantStatus(t, "the ticket again, on the instance that gave it", status, body, 401, `"field":"ticket"`)
	if status := basicStatus(t, ada.As(other), "/api/me"); status != http.StatusUnauthorized {
		t.Errorf("Basic on the other instance: %d, want 401", status)
	}
}
