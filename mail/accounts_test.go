package mail_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"forum/commands"
	"forum/internal/forumtest"
	"forum/projections"
)

// mailForum is a forum whose outbox sends to a real SMTP server in the
// test process.
func mailForum(t *testing.T) (*forumtest.Forum, *forumtest.SMTPServer) {
	t.Helper()
	f := forumtest.Start(t, forumtest.Options{})
	smtp := forumtest.StartSMTP(t)
	f.StartMail(forumtest.MailOptions{SMTPURL: smtp.URL()})
	return f, smtp
}

func me(t *testing.T, c *forumtest.Client) projections.User {
	t.Helper()
	var out struct {
		User projections.User `json:"user"`
	}
	c.MustDo("GET", "/api/me", nil, http.StatusOK, &out)
	return out.User
}

func verified(u projections.User) bool { return u.EmailVerified == projections.VerifiedYes }

// wantField fails unless the answer is a 400 naming field.
func wantField(t *testing.T, status int, body []byte, field string) {
	t.Helper()
	var e struct {
		Error struct {
			Code, Field string
		} `json:"error"`
	}
	json.Unmarshal(body, &e)
	if status != http.StatusBadRequest || e.Error.Field != field {
		t.Fatalf("got %d %s, want 400 with field %q", status, body, field)
	}
}

func TestSignUpMailsAVerificationLinkThatWorksOnce(t *testing.T) {
	f, smtp := mailForum(t)
	ada := f.SignUp("ada")
	if verified(me(t, ada)) {
		t.Fatal("a new account is verified before its link is followed")
	}
	m := smtp.WaitTo("ada@example.com")
	if got, want := m.Header.Get("Subject"), "Verify your e-mail address for "+projections.DefaultSiteName; got != want {
		t.Errorf("subject %q, want %q", got, want)
	}
	if !strings.HasSuffix(m.MessageID, ".verify@forum.test>") || !strings.HasPrefix(m.MessageID, "<") {
		t.Errorf("Message-ID %q, want <event id>.verify@forum.test", m.MessageID)
	}
	if m.HTML == "" || !strings.Contains(m.HTML, "/verify-email?token=") || !strings.Contains(m.Text, projections.DefaultSiteName) {
		t.Errorf("want a text part naming the site and an HTML part with the link; text:\n%s\nhtml:\n%s", m.Text, m.HTML)
	}
	token := m.Token()
	if len(token) < 22 { // 128 bits in base64url
		t.Fatalf("token %q is shorter than 128 bits", token)
	}
	// The log never holds the token in clear.
	if raw := rawLog(t, f); strings.Contains(raw, token) {
		t.Fatal("the token is in the log in clear")
	}
	anon := f.Anon()
	anon.MustDo("POST", "/api/email/verify", map[string]string{"token": token}, http.StatusNoContent, nil)
	if !verified(me(t, ada)) {
		t.Fatal("email_verified is not true after the link was followed")
	}
	status, body := anon.Do("POST", "/api/email/verify", map[string]string{"token": token})
	wantField(t, status, body, "token")
	status, body = anon.Do("POST", "/api/email/verify", map[string]string{"token": "not-a-token-of-ours-at-all-xxxxxxxxxxxxx"})
	wantField(t, status, body, "token")
	status, body = anon.Do("POST", "/api/email/verify", map[string]string{"token": ""})
	wantField(t, status, body, "token")
	// Another user's profile says nothing of it.
	var prof struct {
		User map[string]any `json:"user"`
	}
	f.SignUp("bob").MustDo("GET", "/api/users/"+ada.User.ID, nil, http.StatusOK, &prof)
	if _, ok := prof.User["email_verified"]; ok {
		t.Error("another user's profile shows email_verified")
	}
}

func TestTheDemoAccountsCountAsVerified(t *testing.T) {
	f := forumtest.Start(t, forumtest.Options{Demo: true})
	c := &forumtest.Client{F: f}
	var out struct {
		Token string `json:"token"`
	}
	c.MustDo("POST", "/api/signin", map[string]string{"login": "ada", "password": commands.DemoPassword}, http.StatusOK, &out)
	c.Token = out.Token
	if !verified(me(t, c)) {
		t.Fatal("a demo account is not verified")
	}
}

func TestAResetLinkSetsThePasswordOnceAndEndsEverySession(t *testing.T) {
	f, smtp := mailForum(t)
	ada := f.SignUp("ada")
	smtp.WaitTo("ada@example.com")
	ws := ada.DialWS("")
	other := signIn(t, f, "ada", forumtest.Password("ada"))
	basic := func(password string) int {
		req, _ := http.NewRequest("GET", f.URL+"/api/me", nil)
		req.Header.Set("Authorization", "Basic "+forumtest.Basic("ada", password))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := basic(forumtest.Password("ada")); got != http.StatusOK { // and remembered for a minute
		t.Fatalf("HTTP Basic: %d", got)
	}
	f.Anon().MustDo("POST", "/api/password/forgot", map[string]string{"email": "ADA@example.com"}, http.StatusNoContent, nil)
	mails := smtp.Wait(2)
	m := mails[1]
	if !strings.HasSuffix(m.MessageID, ".reset@forum.test>") || !strings.Contains(m.Text, "/reset-password?token=") {
		t.Fatalf("want a reset mail, got %s:\n%s", m.MessageID, m.Text)
	}
	token := m.Token()
	anon := f.Anon()
	status, body := anon.Do("POST", "/api/password/reset", map[string]string{"token": token, "password": "short"})
	wantField(t, status, body, "password")
	status, body = anon.Do("POST", "/api/password/reset", map[string]string{"token": token + "x", "password": "a new long passphrase"})
	wantField(t, status, body, "token")
	anon.MustDo("POST", "/api/password/reset", map[string]string{"token": token, "password": "a new long passphrase"}, http.StatusNoContent, nil)
	for _, c := range []*forumtest.Client{ada, other} {
		if status, _ := c.Do("GET", "/api/me", nil); status != http.StatusUnauthorized {
			t.Errorf("a session of before the reset answers %d, want 401", status)
		}
	}
	ws.WaitClosed()
	if got := basic(forumtest.Password("ada")); got != http.StatusUnauthorized {
		t.Errorf("HTTP Basic with the old password after a reset: %d, want 401", got)
	}
	if got := basic("a new long passphrase"); got != http.StatusOK {
		t.Errorf("HTTP Basic with the new password: %d, want 200", got)
	}
	if status, _ := f.Anon().Do("POST", "/api/signin", map[string]string{"login": "ada", "password": forumtest.Password("ada")}); status != http.StatusUnauthorized {
		t.Errorf("the old password signs in: %d", status)
	}
	signIn(t, f, "ada", "a new long passphrase")
	status, body = anon.Do("POST", "/api/password/reset", map[string]string{"token": token, "password": "another long passphrase"})
	wantField(t, status, body, "token")
}

func signIn(t *testing.T, f *forumtest.Forum, login, password string) *forumtest.Client {
	t.Helper()
	c := &forumtest.Client{F: f}
	var out struct {
		Token string `json:"token"`
	}
	c.MustDo("POST", "/api/signin", map[string]string{"login": login, "password": password}, http.StatusOK, &out)
	c.Token = out.Token
	return c
}

func TestForgotAnswersTheSameForAnUnknownAddress(t *testing.T) {
	f, smtp := mailForum(t)
	f.SignUp("ada")
	smtp.WaitTo("ada@example.com")
	ask := func(email string) (int, string, time.Duration) {
		start := time.Now()
		req, _ := http.NewRequest("POST", f.URL+"/api/password/forgot", strings.NewReader(`{"email":"`+email+`"}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var lines []string
		for k, v := range resp.Header {
			if k != "Date" {
				lines = append(lines, k+": "+strings.Join(v, ","))
			}
		}
		slices.Sort(lines)
		return resp.StatusCode, strings.Join(lines, "\n"), time.Since(start)
	}
	s1, h1, d1 := ask("nobody@example.com")
	s2, h2, d2 := ask("ada@example.com")
	if s1 != http.StatusNoContent || s2 != s1 || h1 != h2 {
		t.Fatalf("unknown: %d\n%s\nknown: %d\n%s", s1, h1, s2, h2)
	}
	t.Logf("forgot: unknown address answered in %v, known in %v", d1, d2)
	if d1 < commands.ForgotFloor || d2 < commands.ForgotFloor {
		t.Errorf("answered in %v and %v, under the floor of %v", d1, d2, commands.ForgotFloor)
	}
	smtp.Wait(2)
	forumtest.Eventually(t, "the outbox settles", f.MailSettled)
	for _, m := range smtp.Mails() {
		if m.To[0] == "nobody@example.com" {
			t.Fatal("an unknown address got mail")
		}
	}
	if n := len(smtp.Mails()); n != 2 {
		t.Fatalf("%d mails, want 2", n)
	}
	status, body := f.Anon().Do("POST", "/api/password/forgot", map[string]string{"email": "not an address"})
	wantField(t, status, body, "email")
}

func TestChangingTheAddressTakesEffectWhenTheNewOneIsVerified(t *testing.T) {
	f, smtp := mailForum(t)
	ada := f.SignUp("ada")
	f.SignUp("bob")
	smtp.Wait(2)
	status, body := ada.Do("PUT", "/api/me/email", map[string]string{"email": "ada@new.example", "password": "wrong password"})
	wantField(t, status, body, "password")
	if status, _ := ada.Do("PUT", "/api/me/email", map[string]string{"email": "bob@example.com", "password": forumtest.Password("ada")}); status != http.StatusConflict {
		t.Fatalf("another's address: %d, want 409", status)
	}
	ada.MustDo("PUT", "/api/me/email", map[string]string{"email": "ada@new.example", "password": forumtest.Password("ada")}, http.StatusAccepted, nil)
	if got := me(t, ada).Email; got != "ada@example.com" {
		t.Fatalf("the address is %q before the new one is verified", got)
	}
	m := smtp.WaitTo("ada@new.example")
	f.Anon().MustDo("POST", "/api/email/verify", map[string]string{"token": m.Token()}, http.StatusNoContent, nil)
	u := me(t, ada)
	if u.Email != "ada@new.example" || !verified(u) {
		t.Fatalf("after the link: %q verified %v", u.Email, verified(u))
	}
	// The old address is free again, the new one taken.
	f.SignUp("ada2x") // ada2x@example.com: a sign-up of its own
	c := f.Anon()
	c.MustDo("POST", "/api/signup", map[string]any{"nickname": "carol", "email": "ada@example.com", "password": forumtest.Password("carol")}, http.StatusCreated, nil)
	if status, _ := c.Do("POST", "/api/signup", map[string]any{"nickname": "dave", "email": "ADA@new.example", "password": forumtest.Password("dave")}); status != http.StatusConflict {
		t.Fatalf("a sign-up with the new address: %d, want 409", status)
	}
	signIn(t, f, "ada@new.example", forumtest.Password("ada"))
}

// rawLog returns every event's payload in the log, as stored.
func rawLog(t *testing.T, f *forumtest.Forum) string {
	t.Helper()
	evs, err := f.Store.History(forumtest.Context(t), []string{"forum.>"}, 100000)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, ev := range evs {
		b.Write(ev.Data)
		b.WriteByte('\n')
	}
	return b.String()
}
