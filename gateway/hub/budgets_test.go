package hub_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"forum/gateway/hub"
	"forum/internal/forumtest"
)

// One user may open MaxConnsPerUser sockets on an instance; the next
// handshake answers 429. With rate limits off there is no cap.
func TestConnectionsPerUser(t *testing.T) {
	t.Parallel()
	for _, on := range []bool{true, false} {
		t.Run(fmt.Sprint("rate limits ", on), func(t *testing.T) {
			t.Parallel()
			f := forumtest.Start(t, forumtest.Options{RateLimits: on})
			ada, bob := f.SignUp("ada"), f.SignUp("bob")
			for range hub.MaxConnsPerUser {
				ada.DialWS("")
			}
			status, body := forumtest.DialStatus(t, forumtest.WSURL(f.URL, ""), http.Header{"Authorization": {"Bearer " + ada.Token}})
			want := http.StatusTooManyRequests
			if !on {
				want = http.StatusSwitchingProtocols
			}
			if status != want {
				t.Errorf("connection %d: %d %s, want %d", hub.MaxConnsPerUser+1, status, body, want)
			}
			bob.DialWS("") // others are not affected
		})
	}
}

// One budget of writes spans a user's sockets and HTTP: spreading frames
// over connections does not multiply it.
func TestWriteBudgetPerUser(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{RateLimits: true})
	ada, bob := f.SignUp("ada"), f.SignUp("bob")
	conns := make([]*forumtest.WSClient, 5)
	for i := range conns {
		conns[i] = ada.DialWS("")
	}
	start := time.Now()
	const perConn = 20 // under the per-connection limit of 40 at once
	for i := range perConn * len(conns) {
		conns[i%len(conns)].Send(map[string]any{"type": "dm", "to": bob.User.ID, "body": fmt.Sprint("m", i), "client_id": fmt.Sprint(i)})
	}
	acks, limited := 0, 0
	for _, c := range conns {
		for range perConn {
			// Each answer is an ack or an error; dm frames of the user's
			// other sends come in between.
			fr := c.WaitFor("an answer", func(fr forumtest.Frame) bool { return fr.Type == "ack" || fr.Type == "error" })
			switch {
			case fr.Type == "ack":
				acks++
			case fr.Str(t, "code") == "rate_limited":
				limited++
			default:
				t.Fatalf("unexpected error %s", fr)
			}
		}
	}
	elapsed := time.Since(start)
	if limit := 40 + int(10*elapsed.Seconds()) + 1; acks > limit || limited == 0 {
		t.Errorf("%d frames over %d sockets in %v: %d stored, %d refused; want at most %d stored", perConn*len(conns), len(conns), elapsed, acks, limited, limit)
	}
	// The budget is spent: HTTP writes right after are refused too (the
	// bucket refills at 10 a second, slower than these come).
	refused := 0
	for range 20 {
		if status, _ := ada.Do("POST", "/api/posts", map[string]any{"title": "t", "body": "b", "categories": []string{"general"}}); status == http.StatusTooManyRequests {
			refused++
		}
	}
	if refused == 0 {
		t.Error("20 HTTP writes right after the sockets' spent the budget: none refused")
	}
	if status, _ := bob.Do("POST", "/api/posts", map[string]any{"title": "t", "body": "b", "categories": []string{"general"}}); status != http.StatusCreated {
		t.Errorf("another user's write: %d, want 201", status)
	}
}

// A user brings at most a few rooms into being at a time; posting in rooms
// that exist is not limited by it.
func TestNewRoomsPerUser(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{RateLimits: true})
	ada := f.SignUp("ada")
	post := func(room string) (int, []byte) {
		return ada.Do("POST", "/api/rooms/"+room+"/messages", map[string]any{"body": "hi"})
	}
	for i := range 5 {
		if status, body := post(fmt.Sprint("new-", i)); status != http.StatusCreated {
			t.Fatalf("new room %d: %d %s", i, status, body)
		}
	}
	if status, body := post("one-too-many"); status != http.StatusTooManyRequests {
		t.Errorf("sixth new room: %d %s, want 429", status, body)
	}
	if status, body := post("general"); status != http.StatusCreated {
		t.Errorf("an existing room: %d %s, want 201", status, body)
	}
	if status, _ := post("new-0"); status != http.StatusCreated {
		t.Errorf("a room ada made: %d, want 201", status)
	}
}
