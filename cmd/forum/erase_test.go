package main

import (
	"bytes"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Erasure by crypto-shredding, through the real program: after DELETE
// /api/me and a clean stop, no file under --data holds the erased user's
// nickname, email, profile or text; the forum shows their posts as
// [deleted] by "deleted user" (after a rebuild from the log too), and the
// nickname and email can be taken again.
func TestErasureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	f := startForum(t, dir, "--rate-limits", "off")
	const nick, email, first, text = "zedmarker", "zedmail-marker@example.com", "Zedfirstmarker", "zedtextmarker"
	var zed account
	f.mustDo("POST", "/api/signup", "", map[string]any{"nickname": nick, "email": email, "password": password(nick), "first_name": first, "age": 41},
		http.StatusCreated, &zed)
	bob := signUp(f, "bob")
	postID := createPost(f, zed.Token, text+" title", text+" body with **markdown**", "general")
	f.mustDo("POST", "/api/posts/"+postID+"/comments", zed.Token, map[string]any{"body": text + " comment"}, http.StatusCreated, nil)
	f.mustDo("PATCH", "/api/posts/"+postID, zed.Token, map[string]any{"body": text + " edited"}, http.StatusOK, nil)
	f.mustDo("POST", "/api/chats/"+bob.User.ID+"/messages", zed.Token, map[string]any{"body": text + " dm"}, http.StatusCreated, nil)
	f.mustDo("POST", "/api/rooms/lobby/messages", zed.Token, map[string]any{"body": text + " room"}, http.StatusCreated, nil)
	bobPost := createPost(f, bob.Token, "Bob's", "Bob's own words", "general")
	f.mustDo("POST", "/api/posts/"+bobPost+"/comments", zed.Token, map[string]any{"body": text + " on bob's post"}, http.StatusCreated, nil)

	// The export holds everything zed made, readable.
	_, export := f.do("GET", "/api/me/export", zed.Token, nil)
	for _, want := range []string{text + " title", text + " dm", text + " room", email, first} {
		if !bytes.Contains(export, []byte(want)) {
			t.Errorf("the export lacks %q", want)
		}
	}

	if status, _ := f.do("DELETE", "/api/me", zed.Token, map[string]any{"password": "wrong one"}); status != http.StatusUnauthorized {
		t.Errorf("erasure with a wrong password: %d", status)
	}
	f.mustDo("DELETE", "/api/me", zed.Token, map[string]any{"password": password(nick)}, http.StatusNoContent, nil)
	if status, _ := f.do("GET", "/api/me", zed.Token, nil); status != http.StatusUnauthorized {
		t.Errorf("the erased account's session: %d", status)
	}
	var got struct {
		Post struct {
			Title, Body string
			Author      struct{ Nickname string }
		}
	}
	f.mustDo("GET", "/api/posts/"+postID, bob.Token, nil, http.StatusOK, &got)
	if got.Post.Title != "[deleted]" || got.Post.Body != "[deleted]" || got.Post.Author.Nickname != "deleted user" {
		t.Errorf("the erased user's post: %+v", got.Post)
	}
	f.stop()

	check := func(when string) {
		t.Helper()
		n := 0
		filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Errorf("read %s: %v", path, err)
				return nil
			}
			n++
			lower := bytes.ToLower(b)
			for _, marker := range []string{nick, email, strings.ToLower(first), text} {
				if bytes.Contains(lower, []byte(marker)) {
					t.Errorf("%s: %s holds %q", when, strings.TrimPrefix(path, dir), marker)
				}
			}
			return nil
		})
		if n < 5 {
			t.Errorf("%s: only %d files under --data", when, n)
		}
	}
	check("after a clean stop")

	// A rebuild from the log shows the same: the text cannot be read.
	var out bytes.Buffer
	if err := run(t.Context(), []string{"rebuild", "--data", dir}, noEnv, &out, &out); err != nil {
		t.Fatalf("forum rebuild: %v\n%s", err, out.String())
	}
	check("after a rebuild")
	f = startForum(t, dir, "--rate-limits", "off")
	f.mustDo("GET", "/api/posts/"+postID, bob.Token, nil, http.StatusOK, &got)
	if got.Post.Title != "[deleted]" || got.Post.Author.Nickname != "deleted user" {
		t.Errorf("after the rebuild, the erased user's post: %+v", got.Post)
	}
	var mine struct{ Post struct{ Body string } }
	f.mustDo("GET", "/api/posts/"+bobPost, bob.Token, nil, http.StatusOK, &mine)
	if mine.Post.Body != "Bob's own words" {
		t.Errorf("bob's post after zed's erasure: %+v", mine.Post)
	}
	// The nickname and email are free again.
	f.mustDo("POST", "/api/signup", "", map[string]any{"nickname": nick, "email": email, "password": password(nick) + "2"}, http.StatusCreated, nil)
}
