package projections_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"forum/commands"
	"forum/events"
	"forum/internal/forumtest"
	"forum/projections"
)

// An online rebuild makes a fresh file while the forum keeps writing and
// reading, swaps it in between two batches, and leaves read models equal
// to a rebuild from scratch; read.db names the new file.
func TestRebuildOnline(t *testing.T) {
	t.Parallel()
	c := forumtest.NewCore(t, forumtest.Options{})
	author := c.Register("author")
	ctx := forumtest.Context(t)
	for i := range 200 {
		if _, err := c.Cmds.CreatePost(ctx, events.UserID(author), commands.PostInput{Title: fmt.Sprint("before ", i), Body: "b", Categories: []string{"general"}}); err != nil {
			t.Fatal(err)
		}
	}
	oldPath := c.DB.Path()
	var stop atomic.Bool
	var wg sync.WaitGroup
	var written atomic.Int64
	wg.Go(func() { // writes and reads go on during the rebuild
		for i := 0; !stop.Load(); i++ {
			created, err := c.Cmds.CreatePost(context.Background(), events.UserID(author), commands.PostInput{Title: fmt.Sprint("during ", i), Body: "b", Categories: []string{"general"}})
			if err != nil {
				t.Errorf("a write during the rebuild: %v", err)
				return
			}
			if _, err := c.DB.Post(context.Background(), events.PostID(created.ID), ""); err != nil {
				t.Errorf("reading my write during the rebuild: %v", err)
				return
			}
			written.Add(1)
		}
	})
	res, err := c.Proj.RebuildOnline(ctx, c.Store, nil)
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if target, err := filepath.EvalSymlinks(oldPath); err != nil || target != res.Path {
		t.Errorf("read.db names %q (%v), want the new file %s", target, err, res.Path)
	}
	// After the swap the forum writes and reads on the new file.
	created, err := c.Cmds.CreatePost(ctx, events.UserID(author), commands.PostInput{Title: "after", Body: "b", Categories: []string{"general"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DB.Post(ctx, events.PostID(created.ID), ""); err != nil {
		t.Errorf("a write after the swap: %v", err)
	}
	ref, err := projections.Rebuild(ctx, c.Store, projections.RebuildOptions{Path: filepath.Join(t.TempDir(), "ref.db"), UntilSeq: c.Proj.Seq()})
	if err != nil {
		t.Fatal(err)
	}
	forumtest.CompareDumps(t, "the read models after an online rebuild vs one from scratch", forumtest.Dump(t, oldPath), forumtest.Dump(t, ref.Path))
	forumtest.Eventually(t, "the old file's journal to go", func() bool {
		_, err := os.Stat(oldPath + "-wal")
		return os.IsNotExist(err)
	})
	t.Logf("rebuilt %d events online in %v while %d posts were written", res.Events, res.Duration, written.Load())
}

// A projector whose read models are empty on start, on a long enough
// stream, loads them on the rebuild road (a fresh file in bulk, swapped in
// and named by read.db), forgets what it answered from the empty file, and
// follows the stream on from there.
func TestLoadAtStart(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 21)
	w.play(300)
	head := w.head()
	path := filepath.Join(t.TempDir(), "read.db")
	db := openDB(t, path)
	ctx := forumtest.Context(t)
	if slugs, err := projections.CategorySlugs(ctx, db); err != nil || len(slugs) != 0 {
		t.Fatalf("categories of an empty file: %v, %v", slugs, err)
	}
	p, err := projections.NewProjector(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	projections.SetLoadFrom(p, 1)
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	wg.Go(func() { p.Run(runCtx, w.Store) })
	if err := p.WaitFor(ctx, head); err != nil {
		t.Fatal(err)
	}
	if target, err := filepath.EvalSymlinks(path); err != nil || filepath.Base(target) == "read.db" {
		t.Errorf("read.db names %q (%v), want a file loaded on the rebuild road", target, err)
	}
	if slugs, err := projections.CategorySlugs(ctx, db); err != nil || len(slugs) != len(commands.DefaultCategories) {
		t.Errorf("categories after the load: %v, %v; want the %d default ones", slugs, err, len(commands.DefaultCategories))
	}
	w.play(50)
	head = w.head()
	if err := p.WaitFor(ctx, head); err != nil {
		t.Fatal(err)
	}
	ref, err := projections.Rebuild(ctx, w.Store, projections.RebuildOptions{Path: filepath.Join(t.TempDir(), "ref.db"), UntilSeq: head})
	if err != nil {
		t.Fatal(err)
	}
	forumtest.CompareDumps(t, "read models loaded at start and followed on vs a rebuild", forumtest.Dump(t, path), forumtest.Dump(t, ref.Path))
}
