package forumtest

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"

	"forum/commands"
	"forum/events"
	"forum/projections"
)

// ContactOnline reports whether c's contacts list shows user online.
func (c *Client) ContactOnline(user string) bool {
	c.F.T.Helper()
	var out projections.Page[projections.Contact]
	c.MustDo("GET", "/api/contacts", nil, http.StatusOK, &out)
	for _, ct := range out.Items {
		if ct.User.ID == user {
			return ct.Online
		}
	}
	c.F.T.Fatalf("%s is not among the contacts", user)
	return false
}

// RoomOnline returns the online count /api/rooms shows for room.
func (c *Client) RoomOnline(room string) int {
	c.F.T.Helper()
	var out projections.Page[projections.Room]
	c.MustDo("GET", "/api/rooms", nil, http.StatusOK, &out)
	for _, r := range out.Items {
		if r.Name == room {
			return r.Online
		}
	}
	return 0
}

// Metric reads one unlabelled metric from /metrics.
func (c *Client) Metric(name string) float64 {
	t := c.F.T
	t.Helper()
	status, body := c.Do("GET", "/metrics", nil)
	if status != http.StatusOK {
		t.Fatalf("/metrics: %d", status)
	}
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return f
		}
	}
	t.Fatalf("/metrics has no %s", name)
	return 0
}

// CreatePost makes a post as c through the commands (not HTTP) and returns
// its id.
func (c *Client) CreatePost(title string) string {
	c.F.T.Helper()
	created, err := c.F.Cmds.CreatePost(Context(c.F.T), events.UserID(c.User.ID), commands.PostInput{Title: title, Body: "body of " + title, Categories: []string{"general"}})
	id := created.ID
	if err != nil {
		c.F.T.Fatal(err)
	}
	return id
}
