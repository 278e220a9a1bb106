//go:build linux

package events_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"forum/events"
	"forum/fault"
)

// When the disk fills up, writes answer EUNAVAILABLE (503, so a client
// retries later), not a crash and not a 500; once space is freed they go on
// by themselves, and what was stored before is all there.
func TestFullDisk(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "small")
	os.MkdirAll(dir, 0o700)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=96m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small file system to fill (%v: %s): this test needs to run as root", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	s, err := events.OpenStore(context.Background(), events.StoreConfig{Dir: filepath.Join(dir, "js"), Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Leave a few megabytes free, then write until the disk is full.
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	block := make([]byte, 1<<20)
	for i := 0; i < 96-8; i++ {
		if _, err := f.Write(block); err != nil {
			break
		}
	}
	f.Close()
	body := strings.Repeat("x", 200<<10)
	var stored int
	var full error
	for i := 0; i < 200 && full == nil; i++ {
		env, _ := events.New(fmt.Sprint("e", i), events.RoomMessageSent, time.Now(), "", events.RoomMessageData{MessageID: fmt.Sprint("m", i), Room: "r", From: "u", Body: body})
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		_, err := s.Append(ctx, events.RoomMessageSent.Subject("r"), env)
		cancel()
		if err != nil {
			full = err
		} else {
			stored++
		}
	}
	if full == nil {
		t.Fatalf("%d events of 200 KB fit in 8 MB", stored)
	}
	if fault.Code(full) != fault.EUNAVAILABLE {
		t.Fatalf("a write to a full disk: %v (code %s), want unavailable", full, fault.Code(full))
	}
	// Space comes back: writes go on by themselves.
	os.Remove(filler)
	freed := time.Now()
	for {
		env, _ := events.New("after", events.RoomCreated, time.Now(), "", events.RoomCreatedData{Room: "after"})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := s.Append(ctx, events.RoomCreated.Subject("after"), env)
		cancel()
		if err == nil {
			break
		}
		if time.Since(freed) > time.Minute {
			t.Fatalf("writes did not resume within a minute of space being freed: %v", err)
		}
	}
	resumed := time.Since(freed)
	last, err := s.LastSeq(context.Background())
	if err != nil || last < uint64(stored)+1 {
		t.Errorf("after the disk was full: last seq %d (%v), want at least %d", last, err, stored+1)
	}
	t.Logf("%d events stored before the disk was full (then: %v); writes resumed %v after space was freed", stored, full, resumed.Round(time.Millisecond))
}
