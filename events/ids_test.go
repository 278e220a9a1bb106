package events_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"forum/events"
)

func TestNewID(t *testing.T) {
	t.Parallel()
	shape := regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{26}$`)
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	seen := map[string]bool{}
	prev := ""
	for i := range 1000 {
		at := now.Add(time.Duration(i) * time.Millisecond)
		id := events.NewID(at)
		if !shape.MatchString(id) {
			t.Fatalf("NewID = %q, want 26 lowercase Crockford base32 characters", id)
		}
		if !events.ValidID(id) {
			t.Fatalf("ValidID(NewID()) = false for %q", id)
		}
		if seen[id] {
			t.Fatalf("NewID repeated %q", id)
		}
		seen[id] = true
		// Ids of later milliseconds sort after earlier ones.
		if id <= prev {
			t.Fatalf("NewID(%v) = %q sorts before %q", at, id, prev)
		}
		prev = id
	}
	// Same millisecond: same 9-character time prefix, random rest.
	a, b := events.NewID(now), events.NewID(now)
	if a == b || a[:9] != b[:9] {
		t.Errorf("two ids of one millisecond: %q %q", a, b)
	}
}

func TestValidID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id   string
		want bool
	}{
		{events.NewID(time.Now()), true},
		{"0123456789abcdefghjkmnpqrs", true},
		{"tvwxyz00000000000000000000", true},
		{"", false},
		{"0123456789abcdefghjkmnpqr", false},   // 25
		{"0123456789abcdefghjkmnpqrst", false}, // 27
		{"0123456789ABCDEFGHJKMNPQRS", false},  // upper case
		{"0123456789abcdefghjkmnpqri", false},  // i
		{"0123456789abcdefghjkmnpqrl", false},  // l
		{"0123456789abcdefghjkmnpqro", false},  // o
		{"0123456789abcdefghjkmnpqru", false},  // u
		{"0123456789abcdefghjkmnpq.>", false},
		{"0123456789abcdefghjkmnpq r", false},
		{"../../../../../etc/passwd00", false},
		{"0123456789abcdefghjkmnpqé", false},
	}
	for _, tt := range tests {
		if got := events.ValidID(tt.id); got != tt.want {
			t.Errorf("ValidID(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}

// subjectToken matches what NATS accepts as one token of a subject.
var subjectToken = regexp.MustCompile(`^[^.*> \t\r\n]+$`)

func TestClaimKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind, key string
	}{
		{events.ClaimNickname, "bob"},
		{events.ClaimNickname, "b.o.b"},
		{events.ClaimNickname, "a-b_c"},
		{events.ClaimNickname, "..."},
		{events.ClaimEmail, "bob@example.com"},
		{events.ClaimEmail, "first.last+tag@sub.example.co.uk"},
		{events.ClaimEmail, "*@>"},
		{events.ClaimEmail, "with space@example.com"},
		{events.ClaimEmail, "ünïcödé@exämple.com"},
	}
	seen := map[string]string{}
	for _, tt := range tests {
		s := events.ClaimMade.Subject(events.ClaimKey(tt.kind, tt.key))
		prefix := "forum.claim." + tt.kind + "."
		if !strings.HasPrefix(s, prefix) {
			t.Errorf("ClaimKey(%q, %q) = %q, want prefix %q", tt.kind, tt.key, s, prefix)
			continue
		}
		token := strings.TrimPrefix(s, prefix)
		if !subjectToken.MatchString(token) {
			t.Errorf("ClaimKey(%q, %q) = %q: last token is not a valid subject token", tt.kind, tt.key, s)
		}
		if strings.Contains(s, "@") || (len(tt.key) > 3 && strings.Contains(s, tt.key)) {
			t.Errorf("ClaimKey(%q, %q) = %q leaks the value", tt.kind, tt.key, s)
		}
		if other, dup := seen[s]; dup {
			t.Errorf("ClaimKey(%q) = ClaimKey(%q) = %q", tt.key, other, s)
		}
		seen[s] = tt.key
		// Case does not matter: "Bob" and "BOB" claim the same subject.
		if up := events.ClaimMade.Subject(events.ClaimKey(tt.kind, strings.ToUpper(tt.key))); up != s {
			t.Errorf("ClaimKey(%q) = %q, want the same as for %q: %q", strings.ToUpper(tt.key), up, tt.key, s)
		}
	}
	// A nickname and an email with the same text are different claims.
	if events.ClaimKey(events.ClaimNickname, "x") == events.ClaimKey(events.ClaimEmail, "x") {
		t.Error("nickname and email claims share a subject")
	}
}

func TestSubjects(t *testing.T) {
	t.Parallel()
	a, b := events.NewID(time.Now()), events.NewID(time.Now())
	if events.PairKey(a, b) != events.PairKey(b, a) {
		t.Error("PairKey depends on the order of the users")
	}
	tests := []struct{ got, want string }{
		{events.PostCreated.Subject("p1"), "forum.post.p1.created"},
		{events.CommentVoted.Subject("c1"), "forum.comment.c1.voted"},
		{events.UserRegistered.Subject("u1"), "forum.user.u1.registered"},
		{events.SessionEnded.Subject("s1"), "forum.session.s1.ended"},
		{events.RoomMessageSent.Subject("general"), "forum.room.general.message"},
		{events.CategoryCreated.Subject("help"), "forum.category.help.created"},
		{events.DMRead.Subject(events.PairKey("b", "a")), "forum.dm.a-b.read"},
		// Claims and their releases share one subject per value.
		{events.ClaimReleased.Subject("nickname.abc"), "forum.claim.nickname.abc"},
		{events.ClaimMade.Subject("nickname.abc"), "forum.claim.nickname.abc"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("subject = %q, want %q", tt.got, tt.want)
		}
	}
}
