package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// noisyPNG is a w × h PNG of noise: no run of its bytes is in any other file.
func noisyPNG(t testing.TB, w, h int, seed uint64) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed+1))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(rng.Uint32()), uint8(rng.Uint32()), uint8(rng.Uint32()), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// upload posts a picture to the forum as token and returns its URLs.
func (f *forum) upload(token, typ string, data []byte) (url, thumb string) {
	f.t.Helper()
	req, _ := http.NewRequest("POST", "http://"+f.HTTP+"/api/uploads", bytes.NewReader(data))
	req.Header.Set("Content-Type", typ)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out struct {
		Upload struct {
			URL      string `json:"url"`
			ThumbURL string `json:"thumb_url"`
		}
	}
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(b, &out) != nil {
		f.t.Fatalf("upload: %d %s", resp.StatusCode, b)
	}
	return out.Upload.URL, out.Upload.ThumbURL
}

// media gets a picture and returns its status and bytes.
func (f *forum) media(path string) (int, []byte) {
	f.t.Helper()
	resp, err := http.Get("http://" + f.HTTP + path)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// samples are runs of 64 bytes from the start, middle and end of the
// pixels of a picture as served (past its first 100 bytes of headers).
func samples(b []byte) [][]byte {
	return [][]byte{b[100:164], b[len(b)/2 : len(b)/2+64], b[len(b)-100 : len(b)-36]}
}

// holding returns the files under root that hold any of the markers (text
// compared case-blind) or any of the byte runs, and how many files it read.
func holding(t *testing.T, root string, markers []string, runs map[string][][]byte) (found []string, files int) {
	t.Helper()
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("read %s: %v", path, err)
			return nil
		}
		files++
		rel := strings.TrimPrefix(path, root)
		lower := bytes.ToLower(b)
		for _, marker := range markers {
			if bytes.Contains(lower, []byte(marker)) {
				found = append(found, rel+" holds "+marker)
			}
		}
		for what, rs := range runs {
			for _, r := range rs {
				if bytes.Contains(b, r) {
					found = append(found, rel+" holds bytes of "+what)
					break
				}
			}
		}
		return nil
	})
	return found, files
}

// Erasure by crypto-shredding, through the real program: after DELETE
// /api/me and a clean stop, no file under --data holds the erased user's
// nickname, email, profile or text; the forum shows their posts as
// [deleted] by "deleted user" (after a rebuild from the log too), and the
// nickname and email can be taken again. Their picture and its thumbnail,
// shown in their post, answer 404, and no file holds any run of their bytes
// as they were served (the scan finds those runs in a file that holds them).
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
	picURL, thumbURL := f.upload(zed.Token, "image/png", noisyPNG(t, 600, 400, 7))
	f.mustDo("POST", "/api/posts/"+postID+"/comments", zed.Token, map[string]any{"body": "![zed's picture](" + picURL + ")"}, http.StatusCreated, nil)
	pictures := map[string][][]byte{}
	for what, path := range map[string]string{"the picture": picURL, "its thumbnail": thumbURL} {
		status, b := f.media(path)
		if status != http.StatusOK || len(b) < 10_000 {
			t.Fatalf("%s: %d, %d bytes", path, status, len(b))
		}
		pictures[what] = samples(b)
	}
	// The scan finds the pictures' bytes where they are in clear.
	clear := t.TempDir()
	for what, runs := range pictures {
		os.WriteFile(filepath.Join(clear, what), bytes.Join(runs, []byte("|")), 0o600)
	}
	if found, _ := holding(t, clear, nil, pictures); len(found) != 2 {
		t.Fatalf("the scan of the pictures in clear finds %q", found)
	}
	bobPost := createPost(f, bob.Token, "Bob's", "Bob's own words", "general")
	f.mustDo("POST", "/api/posts/"+bobPost+"/comments", zed.Token, map[string]any{"body": text + " on bob's post"}, http.StatusCreated, nil)
	// Profile changes and a new password are personal data like the rest;
	// bob's stay, through a rebuild.
	f.mustDo("PATCH", "/api/me", zed.Token, map[string]any{"bio": text + " bio", "last_name": "Zedlastmarker", "age": 42}, http.StatusOK, nil)
	f.mustDo("PUT", "/api/me/password", zed.Token, map[string]any{"current_password": password(nick), "password": password(nick) + "-new"}, http.StatusNoContent, nil)
	f.mustDo("PATCH", "/api/me", bob.Token, map[string]any{"bio": "Bob's bio", "gender": "male"}, http.StatusOK, nil)
	f.mustDo("PUT", "/api/me/preferences", bob.Token, map[string]any{"email_notifications": "weekly"}, http.StatusNoContent, nil)

	// The export holds everything zed made, readable, but no password hash.
	_, export := f.do("GET", "/api/me/export", zed.Token, nil)
	for _, want := range []string{text + " title", text + " dm", text + " room", email, first, text + " bio", "Zedlastmarker", `"password.changed"`} {
		if !bytes.Contains(export, []byte(want)) {
			t.Errorf("the export lacks %q", want)
		}
	}
	if bytes.Contains(export, []byte("$argon2id")) || bytes.Contains(export, []byte("fake$")) {
		t.Errorf("the export holds a password hash")
	}

	if status, _ := f.do("DELETE", "/api/me", zed.Token, map[string]any{"password": "wrong one"}); status != http.StatusUnauthorized {
		t.Errorf("erasure with a wrong password: %d", status)
	}
	f.mustDo("DELETE", "/api/me", zed.Token, map[string]any{"password": password(nick) + "-new"}, http.StatusNoContent, nil)
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
	for _, path := range []string{picURL, thumbURL} {
		if status, _ := f.media(path); status != http.StatusNotFound {
			t.Errorf("%s after erasure: %d", path, status)
		}
	}
	f.stop()

	check := func(when string) {
		t.Helper()
		found, n := holding(t, dir, []string{nick, email, strings.ToLower(first), "zedlastmarker", text}, pictures)
		for _, f := range found {
			t.Errorf("%s: %s", when, f)
		}
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
	var bobNow struct {
		User        struct{ Bio, Gender string }
		Preferences struct {
			EmailNotifications string `json:"email_notifications"`
		}
	}
	f.mustDo("GET", "/api/me", bob.Token, nil, http.StatusOK, &bobNow)
	if bobNow.User.Bio != "Bob's bio" || bobNow.User.Gender != "male" || bobNow.Preferences.EmailNotifications != "weekly" {
		t.Errorf("bob's account after the rebuild: %+v", bobNow)
	}
	var zedNow struct{ User map[string]any }
	f.mustDo("GET", "/api/users/"+zed.User.ID, bob.Token, nil, http.StatusOK, &zedNow)
	if _, ok := zedNow.User["bio"]; ok || zedNow.User["nickname"] != "deleted user" {
		t.Errorf("the erased user's profile: %v", zedNow.User)
	}
	// The nickname and email are free again.
	f.mustDo("POST", "/api/signup", "", map[string]any{"nickname": nick, "email": email, "password": password(nick) + "2"}, http.StatusCreated, nil)
}
