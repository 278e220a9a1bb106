package commands_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"
	"time"

	"forum/commands"
	"forum/events"
	"forum/internal/forumtest"
)

// A sweep reads which uploads nothing shows, then deletes them one by one:
// a post that comes to show one in between (written on another instance,
// say) keeps it. The deletion lands in the log but is void, everywhere and
// in a rebuild, the picture is still served, and no later sweep takes it.
// Not parallel: it hooks every sweep of the test binary.
func TestSweepRacingAPostKeepsThePicture(t *testing.T) {
	core, advance := forumtest.ClockedCore(t)
	ctx := forumtest.Context(t)
	ada := events.UserID(core.Register("ada"))
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	img.Set(0, 0, color.RGBA{1, 2, 3, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	up, _, err := core.Cmds.Upload(ctx, ada, commands.UploadInput{Data: buf.Bytes(), Declared: "image/png"})
	if err != nil {
		t.Fatal(err)
	}
	advance(25 * time.Hour)
	var post string
	commands.SetBeforeSweep(t, func(id string) {
		if id != up.ID || post != "" {
			return
		}
		p, err := core.Cmds.CreatePost(ctx, ada, commands.PostInput{Title: "late", Body: "![it](" + up.URL + ")", Categories: []string{"general"}})
		if err != nil {
			t.Error(err)
		}
		post = p.ID
	})
	n, err := core.Cmds.SweepUploads(ctx, 100)
	if err != nil || n != 0 || post == "" {
		t.Fatalf("the sweep deleted %d (%v); post %q", n, err, post)
	}
	evs, err := core.Store.History(ctx, []string{events.UploadDeleted.Subject(up.ID)}, 10)
	if err != nil || len(evs) != 1 {
		t.Fatalf("the sweep's deletion is in the log once: %d %v", len(evs), err)
	}
	for _, thumb := range []bool{false, true} {
		if _, err := core.Cmds.ReadMedia(ctx, events.UploadID(up.ID), thumb); err != nil {
			t.Errorf("the picture the post shows (thumb %v): %v", thumb, err)
		}
	}
	if n, err := core.Cmds.SweepUploads(ctx, 100); err != nil || n != 0 {
		t.Errorf("a later sweep deleted %d (%v)", n, err)
	}
	if _, err := core.Cmds.ReadMedia(ctx, events.UploadID(up.ID), false); err != nil {
		t.Errorf("after a later sweep: %v", err)
	}
	// The upload is kept as any other: its owner may show it as an avatar.
	if err := core.Cmds.SetAvatar(ctx, ada, events.UploadID(up.ID)); err != nil {
		t.Errorf("an avatar of the kept picture: %v", err)
	}
	if u, err := core.DB.User(ctx, ada); err != nil || u.AvatarURL == nil {
		t.Errorf("the avatar: %+v %v", u, err)
	}
}
