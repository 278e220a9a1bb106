package commands_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"forum/commands"
	"forum/events"
	"forum/fault"
	"forum/internal/forumtest"
)

func TestSignIn(t *testing.T) {
	t.Parallel()
	e := forumtest.NewCore(t, forumtest.Options{})
	ctx := forumtest.Context(t)
	id, err := e.Cmds.Register(ctx, commands.RegisterInput{Nickname: "Alice.B", Email: "Alice@Example.com", Password: "s3cret-pass"})
	if err != nil {
		t.Fatal(err)
	}
	e.Register("mallory")
	tests := []struct {
		name, login, password string
		ok                    bool
	}{
		{"nickname", "Alice.B", "s3cret-pass", true},
		{"nickname, lower case", "alice.b", "s3cret-pass", true},
		{"nickname, upper case", "ALICE.B", "s3cret-pass", true},
		{"email", "Alice@Example.com", "s3cret-pass", true},
		{"email, other case", "alice@EXAMPLE.COM", "s3cret-pass", true},
		{"wrong password", "Alice.B", "s3cret-pasS", false},
		{"another user's password", "Alice.B", "password-mallory", false},
		{"empty password", "alice.b", "", false},
		{"unknown nickname", "nobody", "s3cret-pass", false},
		{"unknown email", "nobody@example.com", "s3cret-pass", false},
		{"empty login", "", "s3cret-pass", false},
		{"a prefix of the nickname", "alice", "s3cret-pass", false},
	}
	for _, tt := range tests {
		sess, err := e.Cmds.SignIn(ctx, commands.SignInInput{Login: tt.login, Password: tt.password})
		if !tt.ok {
			wantCode(t, tt.name, err, fault.EUNAUTHENTICATED, "")
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if sess.UserID != id {
			t.Errorf("%s: signed in as %q, want %q", tt.name, sess.UserID, id)
		}
	}
}

func TestSessions(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 4, 5, 6, 7, 8, 0, time.UTC)
	e := forumtest.NewCore(t, forumtest.Options{Configure: func(c *commands.Config) {
		c.Now = func() time.Time { return now }
		c.SessionTTL = 48 * time.Hour
	}})
	ctx := forumtest.Context(t)
	const password = "Tr0ub4dor&3-horse"
	id, err := e.Cmds.Register(ctx, commands.RegisterInput{Nickname: "sam", Email: "sam@example.com", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	var sessions []commands.Session
	for range 3 {
		s, err := e.Cmds.SignIn(ctx, commands.SignInInput{Login: "sam", Password: password})
		if err != nil {
			t.Fatal(err)
		}
		sessions = append(sessions, s)
	}
	tokenShape := regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`) // 256 bits, base64url
	seen := map[string]bool{}
	for _, s := range sessions {
		if !tokenShape.MatchString(s.Token) || seen[s.Token] {
			t.Errorf("token %q: want 43 base64url characters, different each time", s.Token)
		}
		seen[s.Token] = true
		if want := now.Add(48 * time.Hour); !s.ExpiresAt.Equal(want) {
			t.Errorf("expires at %v, want %v", s.ExpiresAt, want)
		}
		got, err := e.DB.SessionByTokenHash(ctx, commands.TokenHash(s.Token))
		if err != nil || got.ID != string(s.ID) || got.UserID != string(id) {
			t.Errorf("SessionByTokenHash = %+v, %v; want session %s of %s", got, err, s.ID, id)
		}
		if _, err := e.DB.SessionByTokenHash(ctx, s.Token); fault.Code(err) != fault.ENOTFOUND {
			t.Errorf("the token itself works as a hash: %v", err)
		}
	}

	// Sign-out revokes at once: the read models include it when SignOut returns.
	if err := e.Cmds.SignOut(ctx, commands.Session{ID: sessions[0].ID, UserID: id}); err != nil {
		t.Fatal(err)
	}
	if s, err := e.DB.SessionByTokenHash(ctx, commands.TokenHash(sessions[0].Token)); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("right after SignOut: session = %+v, %v; want ENOTFOUND", s, err)
	}
	for _, s := range sessions[1:] {
		if _, err := e.DB.SessionByTokenHash(ctx, commands.TokenHash(s.Token)); err != nil {
			t.Errorf("other session %s ended too: %v", s.ID, err)
		}
	}

	// No token and no password is anywhere in the log in clear: read every
	// message of the stream raw, headers included.
	secrets := map[string]string{"password": password}
	for i, s := range sessions {
		secrets["token "+string(rune('0'+i))] = s.Token
	}
	scanStream(t, e.Store, func(seq uint64, raw []byte) {
		for what, secret := range secrets {
			if bytes.Contains(raw, []byte(secret)) {
				t.Errorf("event %d holds the %s in clear: %s", seq, what, raw)
			}
		}
	})
	// What is stored instead: the hashes.
	var hashes int
	scanStream(t, e.Store, func(seq uint64, raw []byte) {
		for _, s := range sessions {
			if bytes.Contains(raw, []byte(commands.TokenHash(s.Token))) {
				hashes++
			}
		}
	})
	if hashes != len(sessions) {
		t.Errorf("%d session.started events hold a token hash, want %d", hashes, len(sessions))
	}
}

// scanStream calls fn with every message of the stream FORUM as stored: its
// subject, headers and data.
func scanStream(t *testing.T, store *events.Store, fn func(seq uint64, raw []byte)) {
	t.Helper()
	ctx := forumtest.Context(t)
	js, err := jetstream.New(store.Conn())
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx, events.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	last, err := store.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for seq := uint64(1); seq <= last; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("get %d: %v", seq, err)
		}
		var raw bytes.Buffer
		raw.WriteString(m.Subject + "\n")
		for k, vs := range m.Header {
			for _, v := range vs {
				raw.WriteString(k + ": " + v + "\n")
			}
		}
		raw.Write(m.Data)
		fn(seq, raw.Bytes())
	}
}

func TestRealArgon2idSignUpAndSignIn(t *testing.T) {
	t.Parallel()
	e := forumtest.NewCore(t, forumtest.Options{Configure: func(c *commands.Config) { c.Hasher = nil }}) // the default: argon2id
	if _, ok := e.Cmds.Hasher.(commands.Argon2id); !ok {
		t.Fatalf("default hasher = %T, want Argon2id", e.Cmds.Hasher)
	}
	ctx := forumtest.Context(t)
	const password = "correct horse battery staple"
	id, err := e.Cmds.Register(ctx, commands.RegisterInput{Nickname: "argon", Email: "argon@example.com", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := e.Cmds.Authenticate(ctx, "ARGON", password); err != nil || got != id {
		t.Errorf("Authenticate = %q, %v; want %q", got, err, id)
	}
	_, err = e.Cmds.Authenticate(ctx, "argon", password+"!")
	wantCode(t, "wrong password", err, fault.EUNAUTHENTICATED, "")
	scanStream(t, e.Store, func(seq uint64, raw []byte) {
		if bytes.Contains(raw, []byte(password)) {
			t.Errorf("event %d holds the password in clear", seq)
		}
		if bytes.Contains(raw, []byte("$argon2id$")) {
			t.Errorf("event %d holds the password hash in clear", seq)
		}
	})
	// The hash is sealed in the log: opened, it is an argon2id hash.
	ev, err := e.Store.Last(ctx, events.UserRegistered.Subject(string(id)))
	if err != nil {
		t.Fatal(err)
	}
	var d events.UserRegisteredData
	if err := ev.Payload(&d); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Cmds.Keys.OpenPayload(ctx, ev.Actor, &d); err != nil || !strings.HasPrefix(d.PasswordHash, "$argon2id$v=19$m=19456,t=2,p=1$") || d.Nickname != "argon" {
		t.Errorf("user.registered, opened: %+v, %v", d, err)
	}
}
