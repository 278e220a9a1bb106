package gateway_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"forum/internal/forumtest"
	"forum/projections"
)

// pageAll reads every page of a list at path with query q, limit at a time.
func pageAll[T any](t *testing.T, c *forumtest.Client, path string, q url.Values, limit int) []T {
	t.Helper()
	var all []T
	cursor := ""
	for range 100 {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("limit", fmt.Sprint(limit))
		if cursor != "" {
			v.Set("cursor", cursor)
		}
		var page projections.Page[T]
		c.MustDo("GET", path+"?"+v.Encode(), nil, http.StatusOK, &page)
		if len(page.Items) > limit {
			t.Fatalf("%s: %d items, limit %d", path, len(page.Items), limit)
		}
		all = append(all, page.Items...)
		if page.Next == nil {
			return all
		}
		cursor = *page.Next
	}
	t.Fatalf("%s: more than 100 pages", path)
	return nil
}

// Contacts and rooms are paged like every list and searched by prefix; the
// order holds across pages: conversations first, newest first, then the
// rest by nickname; rooms with messages first, newest first, then by name.
func TestContactsAndRoomsArePaged(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	me := f.SignUp("mel")
	var others []*forumtest.Client
	for _, n := range []string{"zed", "Amy", "bob", "adam", "carl", "ada", "dora", "abe"} {
		others = append(others, f.SignUp(n))
	}
	// Conversations with carl, then bob, then zed (newest).
	for _, peer := range []*forumtest.Client{others[4], others[2], others[0]} {
		me.MustDo("POST", "/api/chats/"+peer.User.ID+"/messages", map[string]any{"body": "hi"}, http.StatusCreated, nil)
	}
	nicks := func(cs []projections.Contact) string {
		var out []string
		for _, c := range cs {
			out = append(out, c.User.Nickname)
		}
		return strings.Join(out, ",")
	}
	want := "zed,bob,carl,abe,ada,adam,Amy,dora"
	for _, limit := range []int{1, 2, 3, 50} {
		if got := nicks(pageAll[projections.Contact](t, me, "/api/contacts", nil, limit)); got != want {
			t.Errorf("contacts by %d: %s, want %s", limit, got, want)
		}
	}
	if got := nicks(pageAll[projections.Contact](t, me, "/api/contacts", url.Values{"q": {"A"}}, 2)); got != "abe,ada,adam,Amy" {
		t.Errorf("contacts starting with a: %s", got)
	}
	if got := nicks(pageAll[projections.Contact](t, me, "/api/contacts", url.Values{"q": {"b"}}, 1)); got != "bob" {
		t.Errorf("contacts starting with b: %s", got)
	}
	var page projections.Page[projections.Contact]
	me.MustDo("GET", "/api/contacts", nil, http.StatusOK, &page)
	if len(page.Items) != 8 || page.Next != nil {
		t.Errorf("default page: %d items, next %v; want all 8 (50 a page)", len(page.Items), page.Next)
	}

	for _, room := range []string{"help", "zoo", "alpha"} {
		me.MustDo("POST", "/api/rooms/"+room+"/messages", map[string]any{"body": "hi"}, http.StatusCreated, nil)
	}
	names := func(rs []projections.Room) string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Name)
		}
		return strings.Join(out, ",")
	}
	rooms := pageAll[projections.Room](t, me, "/api/rooms", nil, 50)
	all := names(rooms)
	// The three with messages come first, newest first (by name within one
	// millisecond), then the rest by name.
	withMessages := rooms[:3]
	if !slices.IsSortedFunc(withMessages, func(a, b projections.Room) int {
		if c := strings.Compare(*b.LastMessageAt, *a.LastMessageAt); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	}) || len(rooms) != 5 || rooms[3].LastMessageAt != nil {
		t.Errorf("rooms: %s, want alpha, zoo, help first, newest first, then the rest by name", all)
	}
	for _, limit := range []int{1, 2} {
		if got := names(pageAll[projections.Room](t, me, "/api/rooms", nil, limit)); got != all {
			t.Errorf("rooms by %d: %s, want %s", limit, got, all)
		}
	}
	if got := names(pageAll[projections.Room](t, me, "/api/rooms", url.Values{"q": {"z"}}, 1)); got != "zoo" {
		t.Errorf("rooms starting with z: %s", got)
	}
	if rest := strings.Split(all, ",")[3:]; !slices.IsSorted(rest) {
		t.Errorf("rooms without messages not by name: %v", rest)
	}
	for _, bad := range []string{"/api/contacts?cursor=bogus", "/api/rooms?cursor=eDp5", "/api/contacts?q=" + strings.Repeat("a", 65)} {
		if status, _ := me.Do("GET", bad, nil); status != http.StatusBadRequest {
			t.Errorf("GET %s: %d, want 400", bad, status)
		}
	}
}
