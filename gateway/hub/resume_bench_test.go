package hub_test

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"forum/events"
	"forum/internal/forumtest"
)

// BenchmarkWSResume measures a resume that replays 200 posts from the
// frame cache: as cached ("cached"), and right after a purge of their
// author, so that every frame is built again from the read models
// ("rebuilt"; the purge itself is not timed).
func BenchmarkWSResume(b *testing.B) {
	const posts = 200
	ctx := forumtest.Context(b)
	f := forumtest.Start(b, forumtest.Options{})
	ada, bob, mod := f.SignUp("ada"), f.SignUp("bob"), f.SignUp("mod")
	if err := f.Cmds.SetRole(ctx, "", events.UserID(mod.User.ID), events.RoleModerator); err != nil {
		b.Fatal(err)
	}
	watcher := ada.DialWS("")
	after := watcher.Hello.Seq
	var last string
	for i := range posts {
		last = bob.CreatePost(fmt.Sprint("post ", i))
	}
	watcher.WaitFor("the last post", func(fr forumtest.Frame) bool { return fr.Type == "post.created" && fr.Post(b).ID == last })
	url := forumtest.WSURL(f.URL, fmt.Sprint("after=", after))
	header := http.Header{"Authorization": {"Bearer " + ada.Token}}
	resume := func(b *testing.B) {
		conn, _, err := websocket.DefaultDialer.Dial(url, header)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		conn.SetReadDeadline(time.Now().Add(forumtest.WSWait))
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				b.Fatal(err)
			}
			if bytes.Contains(data, []byte(`"post.created"`)) && bytes.Contains(data, []byte(last)) {
				return
			}
		}
	}
	b.Run("cached", func(b *testing.B) {
		for b.Loop() {
			resume(b)
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/posts, "µs/frame")
	})
	b.Run("rebuilt", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			if err := f.Cmds.Purge(ctx, events.UserID(mod.User.ID), events.UserID(bob.User.ID), time.Unix(0, 0), fmt.Sprint("purge ", i)); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			resume(b)
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/posts, "µs/frame")
	})
}
