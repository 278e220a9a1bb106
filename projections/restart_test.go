package projections_test

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"forum/commands"
	"forum/events"
	"forum/internal/forumtest"
	"forum/projections"
)

// The projector follows the stream through a restart of the NATS server it
// reads from, by itself: events written after the restart reach the read
// models without anyone touching the forum.
func TestProjectorSurvivesNATSRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := forumtest.NATSServer(t, -1, filepath.Join(dir, "nats"))
	addr := srv.Addr().(*net.TCPAddr)
	url := "nats://" + addr.String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store, err := events.OpenStore(ctx, events.StoreConfig{URL: url, Replicas: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	db, _, err := projections.OpenDB(filepath.Join(dir, "read.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	proj, err := projections.NewProjector(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { proj.Run(ctx, store) })
	cmds := commands.New(commands.Config{Store: store, DB: db, Projector: proj, Hasher: forumtest.FastHasher{}})
	if _, err := cmds.Seed(forumtest.Context(t), false); err != nil {
		t.Fatal(err)
	}
	before := proj.Seq()

	srv.Shutdown()
	srv.WaitForShutdown()
	forumtest.NATSServer(t, addr.Port, filepath.Join(dir, "nats"))
	start := time.Now()

	// Write once the connection is back, then wait for the read models.
	// Each attempt signs up someone new: an attempt that got no answer may
	// still land its nickname's claim once the connection is back.
	var id events.UserID
	attempt := 0
	forumtest.Eventually(t, "a sign-up after the restart", func() bool {
		cctx, ccancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer ccancel()
		attempt++
		nick := fmt.Sprintf("after%d", attempt)
		var err error
		id, err = cmds.Register(cctx, commands.RegisterInput{Nickname: nick, Email: nick + "@example.com", Password: "a-good-passphrase"})
		return err == nil
	})
	if _, err := db.User(forumtest.Context(t), id); err != nil {
		t.Fatalf("the sign-up after the restart is not in the read models: %v", err)
	}
	t.Logf("read models caught up %v after the restart (from %d to %d, %d recoveries)", time.Since(start), before, proj.Seq(), proj.Recoveries())
}
