package gateway_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"forum/events"
	"forum/internal/forumtest"
	"forum/projections"
)

// fieldOf returns the code and field of an error answer.
func fieldOf(t *testing.T, body []byte) (code, field string) {
	t.Helper()
	var e struct{ Error struct{ Code, Field string } }
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("not an error answer: %s", body)
	}
	return e.Error.Code, e.Error.Field
}

// basicMeStatus answers GET /api/me with HTTP Basic credentials.
func basicMeStatus(t *testing.T, f *forumtest.Forum, login, password string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", f.URL+"/api/me", nil)
	req.Header.Set("Authorization", "Basic "+forumtest.Basic(login, password))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// A password change needs the current password, holds the new one to the
// rules of sign-up, and ends every other session at once: their tokens,
// their WebSockets and HTTP Basic credentials remembered with the old
// password. The session it came from goes on, and the new password signs in.
func TestChangePassword(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	web := f.SignUp("sam")
	phone := signInAs(t, web, "Phone/1.0")
	other := f.SignUp("oli")
	old, fresh := forumtest.Password("sam"), "a brand new secret"
	if status := basicMeStatus(t, f, "sam", old); status != http.StatusOK { // remembered for a minute from now
		t.Fatalf("Basic with the password: %d", status)
	}
	phoneWS := phone.DialWS("")

	for _, tc := range []struct {
		name        string
		body        any
		status      int
		code, field string
	}{
		{"no current password", map[string]any{"password": fresh}, 400, "validation", "current_password"},
		{"a wrong current password", map[string]any{"current_password": "not my password", "password": fresh}, 401, "unauthenticated", "current_password"},
		{"too short", map[string]any{"current_password": old, "password": "short"}, 400, "validation", "password"},
		{"a common password", map[string]any{"current_password": old, "password": "password123"}, 400, "validation", "password"},
		{"the email", map[string]any{"current_password": old, "password": "SAM@Example.com"}, 400, "validation", "password"},
		{"too long", map[string]any{"current_password": old, "password": strings.Repeat("x", 257)}, 400, "validation", "password"},
		{"of the wrong type", map[string]any{"current_password": old, "password": 12345678}, 400, "validation", "password"},
	} {
		status, body := web.Do("PUT", "/api/me/password", tc.body)
		if code, field := fieldOf(t, body); status != tc.status || code != tc.code || field != tc.field {
			t.Errorf("%s: %d %s %s, want %d %s %s", tc.name, status, code, field, tc.status, tc.code, tc.field)
		}
	}
	for _, c := range []*forumtest.Client{web, phone} {
		if status, _ := c.Do("GET", "/api/me", nil); status != http.StatusOK {
			t.Fatalf("a refused change ended a session: %d", status)
		}
	}
	if status, _ := f.Anon().Do("PUT", "/api/me/password", map[string]any{"current_password": old, "password": fresh}); status != http.StatusUnauthorized {
		t.Errorf("anonymous: %d", status)
	}

	web.MustDo("PUT", "/api/me/password", map[string]any{"current_password": old, "password": fresh}, http.StatusNoContent, nil)
	if status, _ := web.Do("GET", "/api/me", nil); status != http.StatusOK {
		t.Errorf("the session that changed the password: %d, want 200", status)
	}
	if status, _ := phone.Do("GET", "/api/me", nil); status != http.StatusUnauthorized {
		t.Errorf("another session after the change: %d, want 401", status)
	}
	if code := phoneWS.WaitClosed(); code != 1008 {
		t.Errorf("the other session's WebSocket closed with %d, want 1008", code)
	}
	if got := sessionsOf(t, web); len(got) != 1 || !got[0].Current {
		t.Errorf("sessions after the change: %+v", got)
	}
	if status := basicMeStatus(t, f, "sam", old); status != http.StatusUnauthorized {
		t.Errorf("Basic with the old password: %d, want 401", status)
	}
	if status := basicMeStatus(t, f, "sam", fresh); status != http.StatusOK {
		t.Errorf("Basic with the new password: %d, want 200", status)
	}
	if status, _ := f.Anon().Do("POST", "/api/signin", map[string]any{"login": "sam", "password": old}); status != http.StatusUnauthorized {
		t.Errorf("sign-in with the old password: %d", status)
	}
	f.Anon().MustDo("POST", "/api/signin", map[string]any{"login": "sam@example.com", "password": fresh}, http.StatusOK, nil)
	if status, _ := other.Do("GET", "/api/me", nil); status != http.StatusOK {
		t.Errorf("another user's session: %d, want 200", status)
	}
	// The old password is no longer the current one.
	status, body := web.Do("PUT", "/api/me/password", map[string]any{"current_password": old, "password": "yet another secret"})
	if _, field := fieldOf(t, body); status != http.StatusUnauthorized || field != "current_password" {
		t.Errorf("the old password as the current one: %d %s", status, body)
	}
}

// Wrong current passwords are throttled like sign-ins: past ten, even the
// right one waits.
func TestChangePasswordThrottled(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	c := f.SignUp("tam")
	for i := range 10 {
		if status, _ := c.Do("PUT", "/api/me/password", map[string]any{"current_password": "guess " + string(rune('a'+i)), "password": "a brand new secret"}); status != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, status)
		}
	}
	status, _ := c.Do("PUT", "/api/me/password", map[string]any{"current_password": forumtest.Password("tam"), "password": "a brand new secret"})
	if status != http.StatusTooManyRequests {
		t.Errorf("the right password after ten wrong ones: %d, want 429", status)
	}
	f.Anon().MustDo("POST", "/api/signin", map[string]any{"login": "tam", "password": forumtest.Password("tam")}, http.StatusOK, nil)
}

type profileAnswer struct {
	User projections.User `json:"user"`
}

// PATCH /api/me changes the profile fields given and leaves the others;
// the bio is public on the profile, the other fields are one's own. Bad
// input changes nothing.
func TestUpdateProfile(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ann := f.SignUp("ann")
	bob := f.SignUp("bob")

	var got profileAnswer
	ann.MustDo("PATCH", "/api/me", map[string]any{"first_name": "Ann", "age": 36, "bio": "Poetical *scientist*.\nLoves <looms>."}, http.StatusOK, &got)
	if u := got.User; u.FirstName != "Ann" || u.Age != 36 || u.Bio != "Poetical *scientist*.\nLoves <looms>." || u.Email != "ann@example.com" || u.ID != ann.User.ID {
		t.Errorf("the answer: %+v", u)
	}
	got = profileAnswer{}
	ann.MustDo("PATCH", "/api/me", map[string]any{"gender": "female", "last_name": "Lovelace"}, http.StatusOK, &got)
	if u := got.User; u.FirstName != "Ann" || u.LastName != "Lovelace" || u.Gender != "female" || u.Age != 36 || u.Bio == "" {
		t.Errorf("a second change lost the first: %+v", u)
	}

	var me struct{ User projections.User }
	ann.MustDo("GET", "/api/me", nil, http.StatusOK, &me)
	if me.User != got.User {
		t.Errorf("GET /api/me = %+v, want %+v", me.User, got.User)
	}
	var seen struct{ User map[string]any }
	for _, c := range []*forumtest.Client{bob, f.Anon()} {
		c.MustDo("GET", "/api/users/"+ann.User.ID, nil, http.StatusOK, &seen)
		if seen.User["bio"] != "Poetical *scientist*.\nLoves <looms>." {
			t.Errorf("the profile's bio to others: %v", seen.User)
		}
		for _, private := range []string{"first_name", "last_name", "age", "gender", "email"} {
			if _, ok := seen.User[private]; ok {
				t.Errorf("another's view of the profile holds %s: %v", private, seen.User)
			}
		}
	}
	// The bio stays on the profile: other user objects do not carry it.
	post := ann.CreatePost("Hello")
	var p struct {
		Post struct{ Author map[string]any }
	}
	bob.MustDo("GET", "/api/posts/"+post, nil, http.StatusOK, &p)
	if _, ok := p.Post.Author["bio"]; ok {
		t.Errorf("a post's author carries the bio: %v", p.Post.Author)
	}

	for _, tc := range []struct {
		name  string
		body  any
		field string
	}{
		{"a bio over 1,000 characters", map[string]any{"bio": strings.Repeat("é", 1001)}, "bio"},
		{"a bio of white space", map[string]any{"bio": " \n\t"}, "bio"},
		{"a bio with a control character", map[string]any{"bio": "hi\x07"}, "bio"},
		{"a bio with a bidirectional override", map[string]any{"bio": "abc\u202edef"}, "bio"},
		{"a first name over 64 characters", map[string]any{"first_name": strings.Repeat("a", 65), "bio": "ok"}, "first_name"},
		{"an age over 150", map[string]any{"age": 151}, "age"},
		{"a negative age", map[string]any{"age": -1}, "age"},
		{"an age of the wrong type", map[string]any{"age": "36"}, "age"},
		{"a gender of the wrong type", map[string]any{"gender": 1}, "gender"},
	} {
		status, body := ann.Do("PATCH", "/api/me", tc.body)
		if code, field := fieldOf(t, body); status != http.StatusBadRequest || code != "validation" || field != tc.field {
			t.Errorf("%s: %d %s", tc.name, status, body)
		}
	}
	ann.MustDo("GET", "/api/me", nil, http.StatusOK, &me)
	if me.User != got.User {
		t.Errorf("refused changes changed the profile: %+v, want %+v", me.User, got.User)
	}

	// A bio of exactly 1,000 characters is taken; "" and 0 clear; a change
	// of nothing changes nothing.
	long := strings.Repeat("é", 1000)
	ann.MustDo("PATCH", "/api/me", map[string]any{"bio": long}, http.StatusOK, &got)
	if got.User.Bio != long {
		t.Errorf("a bio of 1,000 characters: %d characters", len([]rune(got.User.Bio)))
	}
	seq := f.Proj.Seq()
	ann.MustDo("PATCH", "/api/me", map[string]any{}, http.StatusOK, &got)
	if f.Proj.Seq() != seq || got.User.Bio != long {
		t.Errorf("an empty change: seq %d → %d, %+v", seq, f.Proj.Seq(), got.User)
	}
	got = profileAnswer{}
	ann.MustDo("PATCH", "/api/me", map[string]any{"bio": "", "age": 0, "first_name": ""}, http.StatusOK, &got)
	if u := got.User; u.Bio != "" || u.Age != 0 || u.FirstName != "" || u.LastName != "Lovelace" {
		t.Errorf("after clearing: %+v", u)
	}
}

// Changes of different profile fields racing on one account all hold.
func TestUpdateProfileConcurrently(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ann := f.SignUp("ann")
	changes := []map[string]any{{"first_name": "Ann"}, {"last_name": "Lovelace"}, {"gender": "female"}, {"age": 36}, {"bio": "Notes."}}
	var wg sync.WaitGroup
	for _, ch := range changes {
		wg.Go(func() {
			if status, body := ann.Do("PATCH", "/api/me", ch); status != http.StatusOK {
				t.Errorf("PATCH %v: %d %s", ch, status, body)
			}
		})
	}
	wg.Wait()
	var me struct{ User projections.User }
	ann.MustDo("GET", "/api/me", nil, http.StatusOK, &me)
	if u := me.User; u.FirstName != "Ann" || u.LastName != "Lovelace" || u.Gender != "female" || u.Age != 36 || u.Bio != "Notes." {
		t.Errorf("after racing changes: %+v", u)
	}
}

// The mail preference is "immediately" until set; GET /api/me carries it.
func TestPreferences(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	c := f.SignUp("pia")
	prefs := func() events.EmailNotifications {
		var me struct {
			Preferences projections.Preferences
		}
		c.MustDo("GET", "/api/me", nil, http.StatusOK, &me)
		return me.Preferences.EmailNotifications
	}
	if got := prefs(); got != events.EmailImmediately {
		t.Errorf("the default: %q", got)
	}
	for _, v := range []events.EmailNotifications{events.EmailWeekly, events.EmailOff, events.EmailDaily} {
		c.MustDo("PUT", "/api/me/preferences", map[string]any{"email_notifications": v}, http.StatusNoContent, nil)
		if got := prefs(); got != v {
			t.Errorf("after setting %q: %q", v, got)
		}
	}
	seq := f.Proj.Seq()
	c.MustDo("PUT", "/api/me/preferences", map[string]any{"email_notifications": "daily"}, http.StatusNoContent, nil)
	if f.Proj.Seq() != seq {
		t.Errorf("setting the preference it has appended an event")
	}
	for _, body := range []any{map[string]any{"email_notifications": "hourly"}, map[string]any{}, map[string]any{"email_notifications": 1}} {
		status, b := c.Do("PUT", "/api/me/preferences", body)
		if _, field := fieldOf(t, b); status != http.StatusBadRequest || field != "email_notifications" {
			t.Errorf("%v: %d %s", body, status, b)
		}
	}
	if got := prefs(); got != events.EmailDaily {
		t.Errorf("after refused values: %q", got)
	}
	if status, _ := f.Anon().Do("PUT", "/api/me/preferences", map[string]any{"email_notifications": "off"}); status != http.StatusUnauthorized {
		t.Errorf("anonymous: %d", status)
	}
}

// The new writes take an Idempotency-Key: a retry answers the first
// attempt's answer and changes nothing more.
func TestAccountSettingsIdempotent(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	c := f.SignUp("ida")
	body := map[string]any{"current_password": forumtest.Password("ida"), "password": "a brand new secret"}
	if status, replayed, _ := idemDo(t, c, f.URL, "PUT", "/api/me/password", "k1", body); status != http.StatusNoContent || replayed {
		t.Fatalf("first: %d %v", status, replayed)
	}
	seq := f.Proj.Seq()
	if status, replayed, _ := idemDo(t, c, f.URL, "PUT", "/api/me/password", "k1", body); status != http.StatusNoContent || !replayed {
		t.Errorf("retry: %d %v", status, replayed)
	}
	if f.Proj.Seq() != seq {
		t.Errorf("the retry appended an event")
	}
	status, _, first := idemDo(t, c, f.URL, "PATCH", "/api/me", "k2", map[string]any{"bio": "once"})
	status2, replayed, again := idemDo(t, c, f.URL, "PATCH", "/api/me", "k2", map[string]any{"bio": "once"})
	if status != http.StatusOK || status2 != http.StatusOK || !replayed || first != again {
		t.Errorf("PATCH retried: %d %d %v", status, status2, replayed)
	}
	if status, _, _ := idemDo(t, c, f.URL, "PATCH", "/api/me", "k2", map[string]any{"bio": "twice"}); status != http.StatusConflict {
		t.Errorf("the key with another body: %d", status)
	}
}

// A suspended user may still change their password and their mail
// preference, not their profile.
func TestSuspendedAccountSettings(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	mod, c := moderatorOf(t, f, "mod"), f.SignUp("sue")
	until := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	mod.MustDo("POST", "/api/mod/users/"+c.User.ID+"/suspend", map[string]any{"until": until.Format(time.RFC3339), "reason": "spam"}, http.StatusNoContent, nil)
	if status, _ := c.Do("PATCH", "/api/me", map[string]any{"bio": "buy now"}); status != http.StatusForbidden {
		t.Errorf("a suspended user's bio: %d, want 403", status)
	}
	c.MustDo("PUT", "/api/me/preferences", map[string]any{"email_notifications": "off"}, http.StatusNoContent, nil)
	c.MustDo("PUT", "/api/me/password", map[string]any{"current_password": forumtest.Password("sue"), "password": "a brand new secret"}, http.StatusNoContent, nil)
}
