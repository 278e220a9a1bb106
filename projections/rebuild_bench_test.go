package projections_test

// Rebuild throughput beside its raw limits, ordered replay and SQLite
// inserts of the same rows, in one run:
//
//	go test -run '^$' -bench Rebuild100k -benchtime 1x ./projections/

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"forum/commands"
	"forum/events"
	"forum/projections"
)

// benchEvents is the number of events of the synthetic forum.
const benchEvents = 100_000

// benchEvent is one event of the synthetic forum, with its subject.
type benchEvent struct {
	subject string
	env     events.Envelope
}

// syntheticForum returns n events of a plausible forum, always the same
// ones: the default categories and rooms, then users signing up (claims,
// registration, a session) and posting, commenting, voting, messaging each
// other and reading their messages, in the proportions of a busy forum.
func syntheticForum(tb testing.TB, n int) []benchEvent {
	tb.Helper()
	rnd := rand.New(rand.NewPCG(100, 1000))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	id := func() string {
		b := make([]byte, 26)
		for i := range b {
			b[i] = idAlphabet[rnd.IntN(32)]
		}
		return string(b)
	}
	text := func(lo, hi int) string {
		words := []string{"the", "forum", "event", "stream", "projection", "sqlite", "nats", "replay", "post", "comment", "Go", "café", "<tag>", "&", "quick", "brown", "fox"}
		var sb strings.Builder
		for sb.Len() < lo+rnd.IntN(hi-lo) {
			sb.WriteString(words[rnd.IntN(len(words))])
			sb.WriteByte(' ')
		}
		return strings.TrimSpace(sb.String())
	}
	out := make([]benchEvent, 0, n)
	add := func(typ events.Type, key, actor string, data any) {
		now = now.Add(time.Duration(1+rnd.IntN(3000)) * time.Millisecond)
		env, err := events.New(id(), typ, now, actor, data)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, benchEvent{typ.Subject(key), env})
	}
	for _, c := range commands.DefaultCategories {
		add(events.CategoryCreated, c.Slug, "", c)
	}
	for _, r := range commands.DefaultRooms {
		add(events.RoomCreated, r, "", events.RoomCreatedData{Room: r})
	}
	var users, posts, comments []string
	dms := map[string][]string{}
	var pairs [][2]string
	signup := func() {
		u := id()
		nick := fmt.Sprintf("user%d", len(users))
		email := nick + "@example.com"
		add(events.ClaimMade, events.ClaimKey(events.ClaimNickname, nick), u, events.ClaimData{Kind: events.ClaimNickname, Key: nick, UserID: u})
		add(events.ClaimMade, events.ClaimKey(events.ClaimEmail, email), u, events.ClaimData{Kind: events.ClaimEmail, Key: email, UserID: u})
		add(events.UserRegistered, u, u, events.UserRegisteredData{
			UserID: u, Nickname: nick, Email: email, PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + id() + id()[:17],
		})
		s := id()
		add(events.SessionStarted, s, u, events.SessionStartedData{SessionID: s, UserID: u, TokenHash: commands.TokenHash(s), ExpiresAt: now.Add(30 * 24 * time.Hour)})
		users = append(users, u)
	}
	for range 20 {
		signup()
	}
	for len(out) < n {
		u := users[rnd.IntN(len(users))]
		switch r := rnd.IntN(100); {
		case r < 2:
			signup()
		case r < 16:
			p := id()
			cats := []string{commands.DefaultCategories[rnd.IntN(7)].Slug}
			if rnd.IntN(2) == 0 {
				cats = append(cats, commands.DefaultCategories[rnd.IntN(7)].Slug)
			}
			if len(cats) == 2 && cats[0] == cats[1] {
				cats = cats[:1]
			}
			add(events.PostCreated, p, u, events.PostCreatedData{PostID: p, AuthorID: u, Title: text(10, 80), Body: text(50, 1500), Categories: cats})
			posts = append(posts, p)
		case r < 52 && len(posts) > 0:
			c := id()
			p := posts[len(posts)-1-rnd.IntN(min(len(posts), 200))] // recent posts get the comments
			add(events.CommentCreated, c, u, events.CommentCreatedData{CommentID: c, PostID: p, AuthorID: u, Body: text(20, 400)})
			comments = append(comments, c)
		case r < 68 && len(posts) > 0:
			p := posts[len(posts)-1-rnd.IntN(min(len(posts), 500))]
			add(events.PostVoted, p, u, events.VotedData{TargetID: p, UserID: u, Value: []int{1, 1, 1, -1, 0}[rnd.IntN(5)]})
		case r < 78 && len(comments) > 0:
			c := comments[len(comments)-1-rnd.IntN(min(len(comments), 500))]
			add(events.CommentVoted, c, u, events.VotedData{TargetID: c, UserID: u, Value: []int{1, 1, -1}[rnd.IntN(3)]})
		case r < 92:
			to := users[rnd.IntN(len(users))]
			if to == u {
				continue
			}
			m := id()
			key := events.PairKey(u, to)
			if dms[key] == nil {
				pairs = append(pairs, [2]string{u, to})
			}
			dms[key] = append(dms[key], m)
			add(events.DMSent, events.PairKey(u, to), u, events.DMSentData{MessageID: m, From: u, To: to, Body: text(5, 200), ClientID: id()})
		case r < 95 && len(pairs) > 0:
			pr := pairs[rnd.IntN(len(pairs))]
			key := events.PairKey(pr[0], pr[1])
			upTo := len(dms[key]) - 1
			// Stream sequences are not known here; the read-model update
			// uses up_to_seq only as a bound, so the event's own position
			// is a faithful stand-in.
			add(events.DMRead, events.PairKey(pr[1], pr[0]), pr[1], events.DMReadData{UserID: pr[1], PeerID: pr[0], UpTo: dms[key][upTo], UpToSeq: uint64(len(out))})
		default:
			room := commands.DefaultRooms[rnd.IntN(len(commands.DefaultRooms))]
			add(events.RoomMessageSent, room, u, events.RoomMessageData{MessageID: id(), Room: room, From: u, Body: text(5, 200)})
		}
	}
	return out[:n]
}

// BenchmarkRebuild100k appends 100,000 events of a synthetic forum to an
// embedded JetStream store once, then measures, in one run, the two raw
// limits of a rebuild and projections.Rebuild itself:
//
//   - replay: the stream read through an ordered consumer, nothing done
//     with the messages;
//   - insert: plain SQLite writing the rows a rebuild ends with (every
//     table's, search included: rawTables) into a fresh file on the road
//     of a rebuild's load (projections.RawLoad: its schema, pragmas,
//     indexes and triggers put off until the end, as many transactions),
//     an INSERT a row in the order of each table's key, no projector;
//   - rebuild: the real thing, reporting its events/s and its ratio to
//     each limit (x-replay, x-insert);
//   - start: a projector starting on an empty file, until caught up;
//   - rebuild-sealed: the same events with their personal data sealed
//     (as the forum writes them), each user's key read from the bucket the
//     first time it is needed, and its speed beside the rebuild in clear
//     (x-clear).
//
// insert and rebuild also report the processor time they take an event
// (cpu-µs/event: every thread of the process, the embedded server's
// included), which other work on a shared machine moves far less than
// their rates.
func BenchmarkRebuild100k(b *testing.B) {
	evs := syntheticForum(b, benchEvents)
	dir := b.TempDir()
	store := openStore(b, dir)
	ctx := context.Background()
	start := time.Now()
	for i, e := range evs {
		if _, err := store.Append(ctx, e.subject, e.env); err != nil {
			b.Fatalf("append %d: %v", i, err)
		}
	}
	b.Logf("appended %d events in %s", len(evs), time.Since(start).Round(time.Millisecond))
	rates := map[string]float64{}

	b.Run("raw-replay", func(b *testing.B) {
		js, err := jetstream.New(store.Conn())
		if err != nil {
			b.Fatal(err)
		}
		var read int
		for b.Loop() {
			cons, err := js.OrderedConsumer(ctx, events.StreamName, jetstream.OrderedConsumerConfig{})
			if err != nil {
				b.Fatal(err)
			}
			iter, err := cons.Messages(jetstream.PullMaxMessages(4096))
			if err != nil {
				b.Fatal(err)
			}
			for range benchEvents {
				if _, err := iter.Next(); err != nil {
					b.Fatal(err)
				}
				read++
			}
			iter.Stop()
		}
		rates["replay"] = float64(read) / b.Elapsed().Seconds()
		b.ReportMetric(rates["replay"], "events/s")
		b.ReportMetric(0, "ns/op")
	})

	b.Run("raw-insert", func(b *testing.B) {
		// The rows a rebuild ends with, from a rebuild before the clock runs.
		src := filepath.Join(dir, "raw-source.db")
		if _, err := projections.Rebuild(ctx, store, projections.RebuildOptions{Path: src}); err != nil {
			b.Fatal(err)
		}
		tables := rawTables(b, src)
		txs := (len(evs) + projections.BulkBatch - 1) / projections.BulkBatch
		var inserted, run int
		var cpu time.Duration
		for b.Loop() {
			run++
			cpu0 := cpuTime(b)
			db, _, err := projections.OpenDB(filepath.Join(dir, fmt.Sprintf("raw-%d.db", run)))
			if err != nil {
				b.Fatal(err)
			}
			n, err := projections.RawLoad(ctx, db, tables, txs)
			if err != nil {
				b.Fatal(err)
			}
			db.Close()
			inserted += n
			cpu += cpuTime(b) - cpu0
		}
		secs := b.Elapsed().Seconds()
		rates["insert"] = float64(run*len(evs)) / secs
		b.ReportMetric(float64(inserted)/secs, "rows/s")
		b.ReportMetric(rates["insert"], "events/s")
		b.ReportMetric(float64(cpu.Microseconds())/float64(run*len(evs)), "cpu-µs/event")
		b.ReportMetric(0, "ns/op")
	})

	// The same events with their personal data sealed, in a store of their own.
	sealedStore := openStore(b, b.TempDir())
	sealKeys, err := sealedStore.Keys(ctx)
	if err != nil {
		b.Fatal(err)
	}
	for i, e := range evs {
		env := e.env
		if spec, ok := events.Lookup(env.Type); ok {
			p := spec.NewPayload()
			if err := env.Payload(p); err != nil {
				b.Fatal(err)
			}
			if err := sealKeys.SealPayload(ctx, env.Actor, p); err != nil {
				b.Fatal(err)
			}
			if env.Data, err = json.Marshal(p); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := sealedStore.Append(ctx, e.subject, env); err != nil {
			b.Fatalf("append sealed %d: %v", i, err)
		}
	}

	b.Run("rebuild", func(b *testing.B) {
		path := filepath.Join(dir, "read.db")
		var applied uint64
		var cpu time.Duration
		for b.Loop() {
			cpu0 := cpuTime(b)
			res, err := projections.Rebuild(ctx, store, projections.RebuildOptions{Path: path})
			if err != nil {
				b.Fatal(err)
			}
			if res.Events != benchEvents {
				b.Fatalf("rebuilt %d events, want %d", res.Events, benchEvents)
			}
			applied += res.Events
			cpu += cpuTime(b) - cpu0
		}
		rate := float64(applied) / b.Elapsed().Seconds()
		rates["rebuild"] = rate
		b.ReportMetric(rate, "events/s")
		b.ReportMetric(float64(cpu.Microseconds())/float64(applied), "cpu-µs/event")
		if rates["replay"] > 0 && rates["insert"] > 0 {
			b.ReportMetric(rate/rates["replay"], "x-replay")
			b.ReportMetric(rate/rates["insert"], "x-insert")
		}
		b.ReportMetric(0, "ns/op")
	})

	// start: a projector's start on an empty read.db, until it has caught
	// up with the stream, beside the rebuild (x-rebuild).
	b.Run("start", func(b *testing.B) {
		var applied uint64
		for b.Loop() {
			applied += startFresh(b, ctx, store, benchEvents)
		}
		rate := float64(applied) / b.Elapsed().Seconds()
		b.ReportMetric(rate, "events/s")
		if rates["rebuild"] > 0 {
			b.ReportMetric(rate/rates["rebuild"], "x-rebuild")
		}
		b.ReportMetric(0, "ns/op")
	})

	b.Run("rebuild-sealed", func(b *testing.B) {
		path := filepath.Join(dir, "sealed.db")
		var applied uint64
		for b.Loop() {
			keys, err := events.OpenKeyring(ctx, sealedStore) // no key kept from sealing
			if err != nil {
				b.Fatal(err)
			}
			res, err := projections.Rebuild(ctx, sealedStore, projections.RebuildOptions{Path: path, Keys: keys})
			if err != nil {
				b.Fatal(err)
			}
			applied += res.Events
		}
		rate := float64(applied) / b.Elapsed().Seconds()
		b.ReportMetric(rate, "events/s")
		if rates["rebuild"] > 0 {
			b.ReportMetric(rate/rates["rebuild"], "x-clear")
		}
		b.ReportMetric(0, "ns/op")
	})
}

// cpuTime returns the processor time this process has used so far (user
// and system, every thread's): beside the wall clock, a figure that other
// work on a shared machine barely moves.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rawTables returns the rows of the read models at path, table by table,
// each table's in the order of its key: every table the projector writes
// (full-text ones through their own table, not their shadow tables), with
// its columns but the generated ones. meta is left out: a fresh file has
// its own.
func rawTables(tb testing.TB, path string) []projections.RawTable {
	tb.Helper()
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var names []string
	rs, err := db.QueryContext(ctx, `SELECT t.name FROM pragma_table_list t JOIN sqlite_master m ON m.name = t.name
		WHERE t.schema = 'main' AND t.name NOT LIKE 'sqlite_%' AND t.name != 'meta'
			AND (t.type = 'table' OR t.type = 'virtual' AND m.sql LIKE '%USING fts5(%')
		ORDER BY m.rootpage, t.name`)
	if err != nil {
		tb.Fatal(err)
	}
	for rs.Next() {
		var name string
		if err := rs.Scan(&name); err != nil {
			tb.Fatal(err)
		}
		names = append(names, name)
	}
	if err := rs.Close(); err != nil {
		tb.Fatal(err)
	}
	var tables []projections.RawTable
	for _, name := range names {
		t := projections.RawTable{Name: name}
		var virtual bool
		if err := db.QueryRowContext(ctx, `SELECT type = 'virtual' FROM pragma_table_list WHERE schema = 'main' AND name = ?`, name).Scan(&virtual); err != nil {
			tb.Fatal(err)
		}
		if virtual {
			t.Cols = append(t.Cols, "rowid") // a document's rowid is its post's, comment's or message's seq
		}
		cols, err := db.QueryContext(ctx, `SELECT name FROM pragma_table_xinfo(?) WHERE hidden = 0 ORDER BY cid`, name)
		if err != nil {
			tb.Fatal(err)
		}
		for cols.Next() {
			var col string
			if err := cols.Scan(&col); err != nil {
				tb.Fatal(err)
			}
			t.Cols = append(t.Cols, col)
		}
		if err := cols.Close(); err != nil {
			tb.Fatal(err)
		}
		rows, err := db.QueryContext(ctx, `SELECT `+strings.Join(t.Cols, ", ")+` FROM `+name)
		if err != nil {
			tb.Fatal(err)
		}
		for rows.Next() {
			row := make([]any, len(t.Cols))
			ptrs := make([]any, len(row))
			for i := range row {
				ptrs[i] = &row[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				tb.Fatal(err)
			}
			t.Rows = append(t.Rows, row)
		}
		if err := rows.Close(); err != nil {
			tb.Fatal(err)
		}
		tables = append(tables, t)
	}
	return tables
}

// startFresh starts a projector on an empty read.db and runs it until it
// has applied the stream up to head; it returns the events it applied.
func startFresh(b *testing.B, ctx context.Context, store *events.Store, head uint64) uint64 {
	b.Helper()
	db, _, err := projections.OpenDB(filepath.Join(b.TempDir(), "read.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	p, err := projections.NewProjector(db, nil)
	if err != nil {
		b.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { p.Run(runCtx, store) })
	err = p.WaitFor(ctx, head)
	cancel()
	wg.Wait()
	if err != nil {
		b.Fatal(err)
	}
	return p.Seq()
}
