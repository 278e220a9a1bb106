package hub_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"forum/internal/forumtest"
	"forum/projections"
)

// reactionsUntil returns "kind:name on|off by nickname" of every reaction frame w
// receives before the post.created frame of sentinel, and the counts the
// last frame of each item gave (by kind:name), which are the item's final
// counts: a frame carries them as it is built, after its change and any
// that followed.
func reactionsUntil(t *testing.T, w *forumtest.WSClient, sentinel string) ([]string, map[string]int) {
	t.Helper()
	var got []string
	last := map[string]int{}
	for {
		fr := w.Next()
		if fr.Type == "post.created" && fr.Post(t).ID == sentinel {
			return got, last
		}
		if fr.Type != "reaction" {
			continue
		}
		var rf struct {
			Target    struct{ Kind, ID string }
			PostID    string `json:"post_id"`
			Name      string
			Added     bool
			User      projections.User
			Reactions map[string]int
		}
		fr.Decode(t, &rf)
		if rf.Target.Kind == "comment" && rf.PostID == "" {
			t.Errorf("%s: a comment's reaction frame without its post: %s", w.Name, fr)
		}
		last[rf.Target.Kind+":"+rf.Name] = rf.Reactions[rf.Name]
		verb := " on by "
		if !rf.Added {
			verb = " off by "
		}
		got = append(got, rf.Target.Kind+":"+rf.Name+verb+rf.User.Nickname)
	}
}

// A reaction frame goes where its item is seen: a post's and a comment's
// to everyone but who blocks the reactor, a direct message's to its two
// sides only, a room message's to the room's members and watchers only;
// live and when a connection resumes alike.
func TestWSReactionFrames(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ada, bob, cyd, dan := f.SignUp("ada"), f.SignUp("bob"), f.SignUp("cyd"), f.SignUp("dan")
	ws := map[string]*forumtest.WSClient{"ada": ada.DialWS(""), "bob": bob.DialWS(""), "cyd": cyd.DialWS(""), "dan": dan.DialWS("")}
	ws["cyd"].Send(map[string]any{"type": "room.join", "room": "general"}) // watching, not a member
	ws["cyd"].WaitType("room.joined")
	for _, u := range []*forumtest.Client{ada, bob} {
		u.MustDo("POST", "/api/rooms/general/join", nil, http.StatusNoContent, nil)
	}
	dan.MustDo("PUT", "/api/users/"+bob.User.ID+"/block", nil, http.StatusNoContent, nil)

	post := ada.CreatePost("React to me")
	var c struct{ Comment projections.Comment }
	ada.MustDo("POST", "/api/posts/"+post+"/comments", map[string]any{"body": "and to me"}, http.StatusCreated, &c)
	var dm, rm struct{ Message projections.Message }
	ada.MustDo("POST", "/api/chats/"+bob.User.ID+"/messages", map[string]any{"body": "just us"}, http.StatusCreated, &dm)
	ada.MustDo("POST", "/api/rooms/general/messages", map[string]any{"body": "the room"}, http.StatusCreated, &rm)

	before := f.Proj.Seq()
	bob.MustDo("PUT", "/api/posts/"+post+"/reactions/heart", nil, http.StatusOK, nil)
	cyd.MustDo("PUT", "/api/comments/"+c.Comment.ID+"/reactions/laugh", nil, http.StatusOK, nil)
	bob.MustDo("PUT", "/api/messages/"+dm.Message.ID+"/reactions/eyes", nil, http.StatusOK, nil)
	bob.MustDo("PUT", "/api/messages/"+rm.Message.ID+"/reactions/tada", nil, http.StatusOK, nil)
	bob.MustDo("DELETE", "/api/posts/"+post+"/reactions/heart", nil, http.StatusOK, nil)
	sentinel := ada.CreatePost("sentinel")

	all := []string{"post:heart on by bob", "comment:laugh on by cyd", "message:eyes on by bob", "message:tada on by bob", "post:heart off by bob"}
	want := map[string][]string{
		"ada": all,
		"bob": all,
		"cyd": {all[0], all[1], all[3], all[4]},
		"dan": {all[1]}, // dan blocks bob
	}
	final := map[string]int{"post:heart": 0, "comment:laugh": 1, "message:eyes": 1, "message:tada": 1}
	for name, w := range ws {
		got, last := reactionsUntil(t, w, sentinel)
		if !slices.Equal(got, want[name]) {
			t.Errorf("%s's reaction frames: %v, want %v", name, got, want[name])
		}
		for item, n := range last {
			if n != final[item] {
				t.Errorf("%s: the last frame of %s counts %d, want %d", name, item, n, final[item])
			}
		}
	}

	// A resume replays the same, but to cyd, whose new connection watches
	// no room: the room's reactions are not hers then.
	want["cyd"] = []string{all[0], all[1], all[4]}
	for name, c := range map[string]*forumtest.Client{"ada": ada, "bob": bob, "cyd": cyd, "dan": dan} {
		w := c.DialWS(fmt.Sprintf("after=%d", before))
		if got, _ := reactionsUntil(t, w, sentinel); !slices.Equal(got, want[name]) {
			t.Errorf("%s's resumed reaction frames: %v, want %v", name, got, want[name])
		}
	}
}
