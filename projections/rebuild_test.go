package projections_test

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"forum/commands"
	"forum/events"
	"forum/fault"
	"forum/internal/forumtest"
	"forum/projections"
)

// TestIncrementalEqualsRebuild is Zulip's property: read models built live,
// one command at a time, answer every query exactly as read models rebuilt
// from the stream in one go — at the end, and at points along the way.
func TestIncrementalEqualsRebuild(t *testing.T) {
	t.Parallel()
	seeds := []uint64{1, 2, 3}
	if underRace {
		seeds = seeds[:1]
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, seed)
			ctx := forumtest.Context(t)
			for round := range 3 {
				w.play(scaled(80))
				for range 3 { // changes of accounts: profiles, preferences, passwords
					w.account(ctx)
				}
				// Time travel to now must equal the live state so far.
				head := w.head()
				res, err := projections.Rebuild(ctx, w.Store, projections.RebuildOptions{Path: filepath.Join(t.TempDir(), "then.db"), UntilSeq: head})
				if err != nil {
					t.Fatal(err)
				}
				if res.Seq != head || res.Events != head {
					t.Fatalf("round %d: rebuild until %d reached seq %d after %d events", round, head, res.Seq, res.Events)
				}
				then := openDB(t, res.Path)
				compareAnswers(t, fmt.Sprintf("round %d, rebuilt until seq %d", round, head), w.answers(then), w.answers(w.DB))
			}
			head := w.head()

			// A full rebuild, swapped in over a stale file (built half way).
			path := filepath.Join(t.TempDir(), "rebuilt.db")
			stale := openDB(t, path)
			p, err := projections.NewProjector(stale, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.CatchUp(ctx, w.Store, head/2, time.Time{}); err != nil {
				t.Fatal(err)
			}
			stale.Close()
			res, err := projections.Rebuild(ctx, w.Store, projections.RebuildOptions{Path: path})
			if err != nil {
				t.Fatal(err)
			}
			if res.Path != path || res.Seq != head || res.Events != head || res.Duration <= 0 {
				t.Errorf("Rebuild = %+v, want %d events into %s", res, head, path)
			}
			if _, err := os.Stat(path + ".rebuild"); !os.IsNotExist(err) {
				t.Errorf("the temporary file is left behind: %v", err)
			}
			rebuilt, wasRebuilt, err := projections.OpenDB(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { rebuilt.Close() })
			if wasRebuilt {
				t.Error("OpenDB of a freshly rebuilt file rebuilt it again")
			}
			if seq, err := rebuilt.Checkpoint(ctx); err != nil || seq != head {
				t.Errorf("rebuilt checkpoint = %d, %v; want %d", seq, err, head)
			}
			live, again := w.answers(w.DB), w.answers(rebuilt)
			compareAnswers(t, "live vs rebuilt", again, live)
			if len(live) < 100 {
				t.Errorf("only %d queries compared", len(live))
			}
			w.stopProj()
			forumtest.CompareDumps(t, "live vs rebuilt tables", forumtest.Dump(t, path), forumtest.Dump(t, w.DB.Path()))
		})
	}
}

// TestRebuildUntil builds the forum as it was at a sequence and at a time,
// into separate files, and leaves the main file alone.
func TestRebuildUntil(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 7)
	ctx := forumtest.Context(t)
	w.play(scaled(30))
	author := w.users[0]
	post := func(title string) (string, uint64, time.Time) {
		t.Helper()
		created, err := w.Svc.CreatePost(ctx, events.UserID(author), commands.PostInput{Title: title, Body: "body", Categories: []string{"general"}})
		id := created.ID
		if err != nil {
			t.Fatal(err)
		}
		ev, err := w.Store.Last(ctx, events.PostCreated.Subject(id))
		if err != nil {
			t.Fatal(err)
		}
		return id, ev.Seq, ev.Time
	}
	before, beforeSeq, beforeTime := post("before")
	w.advance(time.Hour)
	after, _, afterTime := post("after")
	if _, err := w.Svc.CreateComment(ctx, commands.CommentInput{Author: events.UserID(w.users[1]), PostID: events.PostID(before), Body: "a later comment"}); err != nil {
		t.Fatal(err)
	}
	head := w.head()
	mainPath := w.DB.Path()
	mainBefore := forumtest.Dump(t, mainPath)

	bound := beforeTime.Add(30 * time.Minute)
	if !bound.Before(afterTime) {
		t.Fatalf("bound %v is not before the later post's time %v", bound, afterTime)
	}
	tests := []struct {
		name      string
		untilSeq  uint64
		untilTime time.Time
		wantFile  string
	}{
		{"until seq", beforeSeq, time.Time{}, fmt.Sprintf("read-at-seq-%d.db", beforeSeq)},
		{"until time", 0, bound, "read-at-" + bound.UTC().Format("20060102T150405Z") + ".db"},
	}
	for _, tt := range tests {
		res, err := projections.Rebuild(ctx, w.Store, projections.RebuildOptions{Path: mainPath, UntilSeq: tt.untilSeq, UntilTime: tt.untilTime})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if want := filepath.Join(filepath.Dir(mainPath), tt.wantFile); res.Path != want {
			t.Errorf("%s: written to %s, want %s", tt.name, res.Path, want)
		}
		if res.Seq != beforeSeq {
			t.Errorf("%s: stands at seq %d, want %d (the last event before the bound)", tt.name, res.Seq, beforeSeq)
		}
		then := openDB(t, res.Path)
		if p, err := then.Post(ctx, events.PostID(before), ""); err != nil || p.Title != "before" || p.CommentCount != 0 {
			t.Errorf("%s: the earlier post = %+v, %v; want it, without the later comment", tt.name, p, err)
		}
		if _, err := then.Post(ctx, events.PostID(after), ""); fault.Code(err) != fault.ENOTFOUND {
			t.Errorf("%s: the later post: err = %v, want ENOTFOUND", tt.name, err)
		}
		if seq, err := then.Checkpoint(ctx); err != nil || seq != beforeSeq {
			t.Errorf("%s: checkpoint = %d, %v; want %d", tt.name, seq, err, beforeSeq)
		}
		// It is the forum as it was: equal to a fresh projection up to there.
		ref := filepath.Join(t.TempDir(), "ref.db")
		refDB := openDB(t, ref)
		p, err := projections.NewProjector(refDB, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.CatchUp(ctx, w.Store, beforeSeq, time.Time{}); err != nil {
			t.Fatal(err)
		}
		forumtest.CompareDumps(t, tt.name, forumtest.Dump(t, res.Path), forumtest.Dump(t, ref))
	}
	forumtest.CompareDumps(t, "main file after time travel", forumtest.Dump(t, mainPath), mainBefore)
	if seq := w.Proj.Seq(); seq != head {
		t.Errorf("live projector at %d, want %d", seq, head)
	}
	if _, err := w.DB.Post(ctx, events.PostID(after), ""); err != nil {
		t.Errorf("main file lost the later post: %v", err)
	}
}

// TestSchemaVersionChangeRebuilds: a file written by another schema version
// is thrown away on open and projected again from the stream.
func TestSchemaVersionChangeRebuilds(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 11)
	ctx := forumtest.Context(t)
	w.play(scaled(60))
	head := w.head()
	w.stopProj()
	path := w.DB.Path()
	want := forumtest.Dump(t, path)
	wantAnswers := w.answers(w.DB)
	if err := w.DB.Close(); err != nil {
		t.Fatal(err)
	}

	// Same version: kept as it is.
	db, rebuilt, err := projections.OpenDB(path)
	if err != nil {
		t.Fatal(err)
	}
	if seq, _ := db.Checkpoint(ctx); rebuilt || seq != head {
		t.Errorf("reopening an up-to-date file: rebuilt = %v, checkpoint %d; want false, %d", rebuilt, seq, head)
	}
	db.Close()

	conn, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(`UPDATE meta SET value = 'written-by-an-older-forum' WHERE key = 'schema_version'`); err != nil {
		t.Fatal(err)
	}
	conn.Close()

	db, rebuilt, err = projections.OpenDB(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if !rebuilt {
		t.Fatal("OpenDB of a file with another schema version: rebuilt = false")
	}
	if seq, err := db.Checkpoint(ctx); err != nil || seq != 0 {
		t.Fatalf("checkpoint after the schema change = %d, %v; want 0", seq, err)
	}
	if got := forumtest.Dump(t, path)["posts"]; len(got) != 0 {
		t.Fatalf("old rows survived the schema change: %d posts", len(got))
	}
	p, err := projections.NewProjector(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CatchUp(ctx, w.Store, head, time.Time{}); err != nil {
		t.Fatal(err)
	}
	forumtest.CompareDumps(t, "re-projected after a schema change", forumtest.Dump(t, path), want)
	compareAnswers(t, "re-projected after a schema change", w.answers(db), wantAnswers)
}
