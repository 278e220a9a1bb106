package gateway_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"forum/commands"
	"forum/internal/forumtest"
	"forum/projections"
)

type sessionItem struct {
	projections.Session
	Current bool `json:"current"`
}

func sessionsOf(t *testing.T, c *forumtest.Client) []sessionItem {
	t.Helper()
	var out struct{ Items []sessionItem }
	c.MustDo("GET", "/api/sessions", nil, http.StatusOK, &out)
	return out.Items
}

// signInAs signs in as c's user with a user agent of its own.
func signInAs(t *testing.T, c *forumtest.Client, userAgent string) *forumtest.Client {
	t.Helper()
	req, _ := http.NewRequest("POST", c.F.URL+"/api/signin", jsonBody(map[string]string{"login": c.User.Nickname, "password": forumtest.Password(c.User.Nickname)}))
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Content-Type", "application/json")
	var out struct{ Token string }
	resp := doJSON(t, req, http.StatusOK, &out)
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("sign-in Cache-Control = %q, want no-store", cc)
	}
	n := *c
	n.Token = out.Token
	return &n
}

// The session list shows each session with its user agent and which one is
// the caller's; one can be ended, or all but the current one.
func TestSessionList(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	web := f.SignUp("sam")
	phone := signInAs(t, web, "Phone/1.0")
	laptop := signInAs(t, web, "Laptop/2.0 "+strings.Repeat("x", 300))
	other := f.SignUp("oli")

	list := sessionsOf(t, phone)
	if len(list) != 3 {
		t.Fatalf("%d sessions, want 3: %+v", len(list), list)
	}
	var current, agents int
	for _, s := range list {
		if s.Current {
			current++
			if s.UserAgent != "Phone/1.0" {
				t.Errorf("the current session's user agent = %q, want Phone/1.0", s.UserAgent)
			}
		}
		if strings.HasPrefix(s.UserAgent, "Laptop/2.0") && len(s.UserAgent) == 256 {
			agents++
		}
		if s.ID == "" || s.CreatedAt == "" || s.LastUsedAt == "" {
			t.Errorf("session %+v lacks a field", s)
		}
	}
	if current != 1 || agents != 1 {
		t.Errorf("sessions %+v: want one current, and the laptop's user agent cut to 256 bytes", list)
	}
	status, _ := phone.Do("GET", "/api/sessions", nil)
	if status != http.StatusOK {
		t.Fatal(status)
	}

	// Ending the laptop's session from the phone signs the laptop out.
	var laptopID string
	for _, s := range sessionsOf(t, laptop) {
		if s.Current {
			laptopID = s.ID
		}
	}
	if status, _ := other.Do("DELETE", "/api/sessions/"+laptopID, nil); status != http.StatusNotFound {
		t.Errorf("another user ending sam's session: %d, want 404", status)
	}
	phone.MustDo("DELETE", "/api/sessions/"+laptopID, nil, http.StatusNoContent, nil)
	if status, _ := laptop.Do("GET", "/api/me", nil); status != http.StatusUnauthorized {
		t.Errorf("the ended session: %d, want 401", status)
	}
	// Ending all others keeps the current one only.
	phone.MustDo("DELETE", "/api/sessions", nil, http.StatusNoContent, nil)
	if status, _ := web.Do("GET", "/api/me", nil); status != http.StatusUnauthorized {
		t.Errorf("a session ended with the others: %d, want 401", status)
	}
	if got := sessionsOf(t, phone); len(got) != 1 || !got[0].Current {
		t.Errorf("after ending the others: %+v", got)
	}
	if status, _ := other.Do("GET", "/api/me", nil); status != http.StatusOK {
		t.Errorf("another user's session: %d, want 200", status)
	}
}

// A session ends after its lifetime, or after its idle time without use,
// whichever comes first.
func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		ttl, idle time.Duration
	}{
		{"lifetime", time.Second, time.Hour},
		{"idle", time.Hour, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := forumtest.Start(t, forumtest.Options{Configure: func(c *commands.Config) { c.SessionTTL, c.SessionIdleTTL = tc.ttl, tc.idle }})
			c := f.SignUp("tia")
			forumtest.Eventually(t, "the session to end", func() bool {
				status, _ := c.Do("GET", "/api/me", nil)
				return status == http.StatusUnauthorized
			})
			// The same password signs in again.
			signInAs(t, c, "x")
		})
	}
}
