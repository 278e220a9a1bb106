package gateway_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"forum/internal/forumtest"
	"forum/projections"
)

// reactionsAnswer is the answer of PUT and DELETE .../reactions/{name}.
type reactionsAnswer struct {
	Reactions   map[string]int `json:"reactions"`
	MyReactions []string       `json:"my_reactions"`
}

// whoReacted returns the nicknames on the first page of who reacted name
// on the item at path (e.g. /api/posts/ID), as c sees them.
func whoReacted(c *forumtest.Client, path, name string) []string {
	c.F.T.Helper()
	var page projections.Page[projections.User]
	c.MustDo("GET", path+"/reactions/"+name, nil, http.StatusOK, &page)
	out := []string{}
	for _, u := range page.Items {
		out = append(out, u.Nickname)
	}
	return out
}

// Reactions on posts, comments and messages alike: PUT puts one on (twice
// changes nothing), DELETE takes it off, each answering the counts and the
// caller's own; an unknown name answers 400 with its field; the item
// carries its counts, and the reader's own when signed in; who reacted is a
// paged list.
func TestReactionsContract(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ann, bob := f.SignUp("ann"), f.SignUp("bob")
	post := mkPost(ann, "Reactions")
	var c struct{ Comment projections.Comment }
	bob.MustDo("POST", "/api/posts/"+post.ID+"/comments", map[string]any{"body": "first"}, http.StatusCreated, &c)
	var dm, rm struct{ Message projections.Message }
	ann.MustDo("POST", "/api/chats/"+bob.User.ID+"/messages", map[string]any{"body": "hi bob"}, http.StatusCreated, &dm)
	for _, u := range []*forumtest.Client{ann, bob} {
		u.MustDo("POST", "/api/rooms/general/join", nil, http.StatusNoContent, nil)
	}
	ann.MustDo("POST", "/api/rooms/general/messages", map[string]any{"body": "hi all"}, http.StatusCreated, &rm)

	for _, item := range []struct{ name, path string }{
		{"post", "/api/posts/" + post.ID},
		{"comment", "/api/comments/" + c.Comment.ID},
		{"direct message", "/api/messages/" + dm.Message.ID},
		{"room message", "/api/messages/" + rm.Message.ID},
	} {
		var got reactionsAnswer
		for range 2 {
			bob.MustDo("PUT", item.path+"/reactions/tada", nil, http.StatusOK, &got)
			if want := (reactionsAnswer{map[string]int{"tada": 1}, []string{"tada"}}); !reflect.DeepEqual(got, want) {
				t.Errorf("%s: PUT tada: %+v, want %+v", item.name, got, want)
			}
		}
		ann.MustDo("PUT", item.path+"/reactions/+1", nil, http.StatusOK, &got)
		ann.MustDo("PUT", item.path+"/reactions/tada", nil, http.StatusOK, &got)
		if want := (reactionsAnswer{map[string]int{"tada": 2, "+1": 1}, []string{"+1", "tada"}}); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: ann's PUTs: %+v, want %+v", item.name, got, want)
		}
		status, body := bob.Do("PUT", item.path+"/reactions/thumbsup", nil)
		if status != http.StatusBadRequest || !bytes.Contains(body, []byte(`"field":"name"`)) {
			t.Errorf("%s: PUT an unknown reaction: %d %s, want 400 naming the field", item.name, status, body)
		}
		if got := whoReacted(bob, item.path, "tada"); !reflect.DeepEqual(got, []string{"bob", "ann"}) {
			t.Errorf("%s: who reacted tada: %v, want bob then ann", item.name, got)
		}
		for range 2 {
			bob.MustDo("DELETE", item.path+"/reactions/tada", nil, http.StatusOK, &got)
			if want := (reactionsAnswer{map[string]int{"tada": 1, "+1": 1}, []string{}}); !reflect.DeepEqual(got, want) {
				t.Errorf("%s: DELETE tada: %+v, want %+v", item.name, got, want)
			}
		}
		if status, _ := f.Anon().Do("PUT", item.path+"/reactions/heart", nil); status != http.StatusUnauthorized {
			t.Errorf("%s: an anonymous PUT: %d, want 401", item.name, status)
		}
	}

	// The items carry their counts, and the reader's own when signed in.
	var comments projections.Page[projections.Comment]
	ann.MustDo("GET", "/api/posts/"+post.ID+"/comments", nil, http.StatusOK, &comments)
	if got := comments.Items[0]; !reflect.DeepEqual(map[string]int(got.Reactions), map[string]int{"tada": 1, "+1": 1}) || !reflect.DeepEqual(got.MyReactions, []string{"+1", "tada"}) {
		t.Errorf("the comment as ann reads it: %v mine %v", got.Reactions, got.MyReactions)
	}
	_, raw := f.Anon().Do("GET", "/api/comments/"+c.Comment.ID, nil)
	if !bytes.Contains(raw, []byte(`"reactions":{"+1":1,"tada":1}`)) || bytes.Contains(raw, []byte(`my_reactions`)) {
		t.Errorf("the comment as an anonymous reader reads it: %s", raw)
	}
	_, raw = f.Anon().Do("GET", "/api/posts/"+post.ID, nil)
	if !bytes.Contains(raw, []byte(`"reactions":{"+1":1,"tada":1}`)) || bytes.Contains(raw, []byte(`my_reactions`)) {
		t.Errorf("the post as an anonymous reader reads it: %s", raw)
	}
	for _, path := range []string{"/api/posts/" + post.ID, "/api/posts?limit=5"} {
		_, raw = ann.Do("GET", path, nil)
		if !bytes.Contains(raw, []byte(`"reactions":{"+1":1,"tada":1}`)) || !bytes.Contains(raw, []byte(`"my_reactions":["+1","tada"]`)) {
			t.Errorf("GET %s as ann: %s", path, raw)
		}
		_, raw = bob.Do("GET", path, nil)
		if !bytes.Contains(raw, []byte(`"my_reactions":[]`)) {
			t.Errorf("GET %s as bob, who took his off: %s", path, raw)
		}
	}
	var msgs projections.Page[projections.Message]
	bob.MustDo("GET", "/api/chats/"+ann.User.ID+"/messages", nil, http.StatusOK, &msgs)
	if got := msgs.Items[0]; got.ID != dm.Message.ID || !reflect.DeepEqual(map[string]int(got.Reactions), map[string]int{"tada": 1, "+1": 1}) || got.MyReactions == nil || len(got.MyReactions) != 0 {
		t.Errorf("the direct message as bob reads it: %+v", got)
	}
	bob.MustDo("GET", "/api/rooms/general/messages", nil, http.StatusOK, &msgs)
	if got := msgs.Items[0]; got.ID != rm.Message.ID || !reflect.DeepEqual(got.MyReactions, []string{}) || got.Reactions["tada"] != 1 {
		t.Errorf("the room message as bob reads it: %+v", got)
	}

	// Who reacted is keyset-paged.
	var page projections.Page[projections.User]
	bob.MustDo("GET", "/api/posts/"+post.ID+"/reactions/+1?limit=1", nil, http.StatusOK, &page)
	if len(page.Items) != 1 || page.Items[0].ID != ann.User.ID || page.Next != nil {
		t.Errorf("who reacted +1, limit 1: %+v", page)
	}
	if status, body := bob.Do("GET", "/api/posts/"+post.ID+"/reactions/+1?cursor=nope", nil); status != http.StatusBadRequest {
		t.Errorf("a bad cursor: %d %s", status, body)
	}
	if status, _ := bob.Do("GET", "/api/posts/"+post.ID+"/reactions/nope", nil); status != http.StatusBadRequest {
		t.Errorf("who reacted an unknown name: %d, want 400", status)
	}
	if status, _ := bob.Do("PUT", "/api/posts/01jq8r4m2v6e3k0tdw5x7y9zab/reactions/heart", nil); status != http.StatusNotFound {
		t.Errorf("a reaction on no post: %d, want 404", status)
	}
}

// Messages are reacted to, and who reacted listed, only by who is shown
// them: a third user gets 404 and no frame; a non-member of the room 404
// on reacting (TestRoomMessageReactionReaders has the rest).
// A hidden post takes no reaction (409) and its list is not found; a
// reaction of a blocked user leaves the blocker's list; an erased user's
// reaction still counts and shows as the deleted user.
func TestReactionsPrivacy(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	boss, ann, bob, cid := moderatorOf(t, f, "boss"), f.SignUp("ann"), f.SignUp("bob"), f.SignUp("cid")
	cidWS, bobWS := cid.DialWS(""), bob.DialWS("")
	var dm, rm struct{ Message projections.Message }
	ann.MustDo("POST", "/api/chats/"+bob.User.ID+"/messages", map[string]any{"body": "between us"}, http.StatusCreated, &dm)
	ann.MustDo("POST", "/api/rooms/general/join", nil, http.StatusNoContent, nil)
	ann.MustDo("POST", "/api/rooms/general/messages", map[string]any{"body": "members"}, http.StatusCreated, &rm)
	for _, path := range []string{"/api/messages/" + dm.Message.ID, "/api/messages/" + rm.Message.ID} {
		for _, method := range []string{"PUT", "DELETE", "GET"} {
			if method == "GET" && path == "/api/messages/"+rm.Message.ID {
				continue // a room's history is open to all
			}
			if status, body := cid.Do(method, path+"/reactions/eyes", nil); status != http.StatusNotFound {
				t.Errorf("cid %s %s: %d %s, want 404", method, path, status, body)
			}
		}
	}
	bob.MustDo("PUT", "/api/messages/"+dm.Message.ID+"/reactions/eyes", nil, http.StatusOK, nil)
	fr := bobWS.WaitType("reaction")
	var rf struct {
		Target    struct{ Kind, ID string }
		Name      string
		Added     bool
		User      projections.User
		Reactions map[string]int
	}
	fr.Decode(t, &rf)
	if rf.Target.Kind != "message" || rf.Target.ID != dm.Message.ID || rf.Name != "eyes" || !rf.Added || rf.User.ID != bob.User.ID || rf.Reactions["eyes"] != 1 {
		t.Errorf("bob's reaction frame: %s", fr)
	}
	sentinel := cid.CreatePost("sentinel")
	for {
		fr := cidWS.Next()
		if fr.Type == "post.created" && fr.Post(t).ID == sentinel {
			break
		}
		if fr.Type == "reaction" {
			t.Errorf("cid received %s", fr)
		}
	}

	// Blocks: bob blocks ann, so ann reacts to none of their messages;
	// and ann leaves bob's list of who reacted.
	post := mkPost(boss, "Blocks and erasure")
	ann.MustDo("PUT", "/api/posts/"+post.ID+"/reactions/heart", nil, http.StatusOK, nil)
	bob.MustDo("PUT", "/api/users/"+ann.User.ID+"/block", nil, http.StatusNoContent, nil)
	if status, body := ann.Do("PUT", "/api/messages/"+dm.Message.ID+"/reactions/heart", nil); status != http.StatusForbidden {
		t.Errorf("a reaction to a blocker's conversation: %d %s, want 403", status, body)
	}
	if got := whoReacted(bob, "/api/posts/"+post.ID, "heart"); len(got) != 0 {
		t.Errorf("bob's list of who reacted heart shows %v, whom he blocks", got)
	}
	if got := whoReacted(cid, "/api/posts/"+post.ID, "heart"); !reflect.DeepEqual(got, []string{"ann"}) {
		t.Errorf("cid's list of who reacted heart: %v", got)
	}

	// Erasure: the reaction counts on, by the deleted user.
	ann.MustDo("DELETE", "/api/me", map[string]any{"password": forumtest.Password("ann")}, http.StatusNoContent, nil)
	var got reactionsAnswer
	cid.MustDo("PUT", "/api/posts/"+post.ID+"/reactions/heart", nil, http.StatusOK, &got)
	if got.Reactions["heart"] != 2 {
		t.Errorf("after ann's erasure: %v, want 2 hearts", got.Reactions)
	}
	if got := whoReacted(cid, "/api/posts/"+post.ID, "heart"); !reflect.DeepEqual(got, []string{projections.ErasedNickname, "cid"}) {
		t.Errorf("who reacted after ann's erasure: %v", got)
	}

	// Hidden: no reaction (409), and the list is the moderators' alone.
	boss.MustDo("POST", "/api/mod/posts/"+post.ID+"/hide", nil, http.StatusNoContent, nil)
	if status, _ := cid.Do("PUT", "/api/posts/"+post.ID+"/reactions/sad", nil); status != http.StatusConflict {
		t.Errorf("a reaction on a hidden post: %d, want 409", status)
	}
	if status, _ := cid.Do("GET", "/api/posts/"+post.ID+"/reactions/heart", nil); status != http.StatusNotFound {
		t.Errorf("who reacted on a hidden post: %d, want 404", status)
	}
	if got := whoReacted(boss, "/api/posts/"+post.ID, "heart"); len(got) != 2 {
		t.Errorf("the moderator's list of who reacted on a hidden post: %v", got)
	}
}

// Who reacted to a room's message is listed to whoever may read the room's
// history, members or not, while reacting is for members (404 to others,
// as before they join); a hidden message's list, in a room or a
// conversation, is the moderators' alone (404 to its readers, members and
// sides included), and it takes no reaction (409). A count includes the
// reaction of a user the reader blocks, whom the list leaves out.
func TestRoomMessageReactionReaders(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	boss, ann, bob, cid := moderatorOf(t, f, "boss"), f.SignUp("ann"), f.SignUp("bob"), f.SignUp("cid")
	var rm, dm struct{ Message projections.Message }
	for _, c := range []*forumtest.Client{ann, bob} {
		c.MustDo("POST", "/api/rooms/general/join", nil, http.StatusNoContent, nil)
	}
	ann.MustDo("POST", "/api/rooms/general/messages", map[string]any{"body": "open to read"}, http.StatusCreated, &rm)
	ann.MustDo("POST", "/api/chats/"+bob.User.ID+"/messages", map[string]any{"body": "between us"}, http.StatusCreated, &dm)
	room, conv := "/api/messages/"+rm.Message.ID, "/api/messages/"+dm.Message.ID
	bob.MustDo("PUT", room+"/reactions/eyes", nil, http.StatusOK, nil)
	ann.MustDo("PUT", room+"/reactions/eyes", nil, http.StatusOK, nil)
	bob.MustDo("PUT", conv+"/reactions/eyes", nil, http.StatusOK, nil)

	cid.MustDo("GET", "/api/rooms/general/messages", nil, http.StatusOK, nil)
	if got := whoReacted(cid, room, "eyes"); !reflect.DeepEqual(got, []string{"bob", "ann"}) {
		t.Errorf("a non-member's list of who reacted to a room's message: %v", got)
	}
	for _, method := range []string{"PUT", "DELETE"} {
		if status, body := cid.Do(method, room+"/reactions/heart", nil); status != http.StatusNotFound {
			t.Errorf("a non-member's %s of a reaction: %d %s, want 404", method, status, body)
		}
	}

	// Blocks: cid blocks bob; bob leaves cid's list, his reaction counts on.
	cid.MustDo("PUT", "/api/users/"+bob.User.ID+"/block", nil, http.StatusNoContent, nil)
	if got := whoReacted(cid, room, "eyes"); !reflect.DeepEqual(got, []string{"ann"}) {
		t.Errorf("the list of who reacted, for bob's blocker: %v", got)
	}
	var page struct{ Items []projections.Message }
	cid.MustDo("GET", "/api/rooms/general/messages", nil, http.StatusOK, &page)
	if len(page.Items) == 0 || page.Items[0].ID != rm.Message.ID || page.Items[0].Reactions["eyes"] != 2 {
		t.Errorf("the count for bob's blocker: %+v, want 2 eyes on %s", page.Items, rm.Message.ID)
	}

	// Hidden: the list is the moderators', no reaction goes on.
	for _, path := range []string{room, conv} {
		boss.MustDo("POST", "/api/mod"+path[len("/api"):]+"/hide", nil, http.StatusNoContent, nil)
		for _, c := range []*forumtest.Client{ann, bob, cid} {
			if status, body := c.Do("GET", path+"/reactions/eyes", nil); status != http.StatusNotFound {
				t.Errorf("%s lists who reacted to hidden %s: %d %s, want 404", c.User.Nickname, path, status, body)
			}
		}
		if status, body := ann.Do("PUT", path+"/reactions/heart", nil); status != http.StatusConflict {
			t.Errorf("a reaction to hidden %s: %d %s, want 409", path, status, body)
		}
	}
	if got := whoReacted(boss, room, "eyes"); !reflect.DeepEqual(got, []string{"bob", "ann"}) {
		t.Errorf("the moderator's list of who reacted to a hidden room message: %v", got)
	}
}

// A retried PUT with its Idempotency-Key answers as the first did.
func TestReactionIdempotencyKey(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	ann := f.SignUp("ann")
	post := mkPost(ann, "Keys")
	var answers []string
	for range 2 {
		req, err := http.NewRequest("PUT", f.URL+"/api/posts/"+post.ID+"/reactions/pray", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+ann.Token)
		req.Header.Set("Idempotency-Key", "react-1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var v reactionsAnswer
		if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("PUT with a key: %d %v", resp.StatusCode, err)
		}
		resp.Body.Close()
		b, _ := json.Marshal(v)
		answers = append(answers, string(b))
	}
	if answers[0] != answers[1] || answers[0] != `{"reactions":{"pray":1},"my_reactions":["pray"]}` {
		t.Errorf("answers %v", answers)
	}
}
