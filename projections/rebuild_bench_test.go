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
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"forum/commands"
	"forum/events"
	"forum/projections"
	"forum/schemas"
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
//   - insert: plain SQLite writing the same rows (rawRows) into a fresh
//     file with the read models' schema, in the rebuild's bulk mode
//     (secondary indexes built after, no journal on disk), 10,000 rows a
//     transaction, no projector;
//   - rebuild: the real thing, reporting its events/s and its ratio to
//     each limit (x-replay, x-insert);
//   - start: a projector starting on an empty file, until caught up;
//   - rebuild-sealed: the same events with their personal data sealed
//     (as the forum writes them), each user's key read from the bucket the
//     first time it is needed, and its speed beside the rebuild in clear
//     (x-clear).
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
		rows := rawRows(b, evs)
		var inserted, run int
		for b.Loop() {
			run++
			rawInsert(b, filepath.Join(dir, fmt.Sprintf("raw-%d.db", run)), rows)
			inserted += len(rows)
		}
		secs := b.Elapsed().Seconds()
		rates["insert"] = float64(run*len(evs)) / secs
		b.ReportMetric(float64(inserted)/secs, "rows/s")
		b.ReportMetric(rates["insert"], "events/s")
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
		for b.Loop() {
			res, err := projections.Rebuild(ctx, store, projections.RebuildOptions{Path: path})
			if err != nil {
				b.Fatal(err)
			}
			if res.Events != benchEvents {
				b.Fatalf("rebuilt %d events, want %d", res.Events, benchEvents)
			}
			applied += res.Events
		}
		rate := float64(applied) / b.Elapsed().Seconds()
		rates["rebuild"] = rate
		b.ReportMetric(rate, "events/s")
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
			db, _, err := projections.OpenDB(filepath.Join(b.TempDir(), "read.db"))
			if err != nil {
				b.Fatal(err)
			}
			p, err := projections.NewProjector(db, nil)
			if err != nil {
				b.Fatal(err)
			}
			runCtx, cancel := context.WithCancel(ctx)
			var wg sync.WaitGroup
			wg.Go(func() { p.Run(runCtx, store) })
			err = p.WaitFor(ctx, benchEvents)
			cancel()
			wg.Wait()
			if err != nil {
				b.Fatal(err)
			}
			applied += p.Seq()
			db.Close()
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

// rawRow is one INSERT: its statement and arguments.
type rawRow struct {
	query string
	args  []any
}

// rawRows returns the INSERTs that projecting evs writes (the rows of every
// table; not the counter UPDATEs nor the lookups that decide them).
func rawRows(tb testing.TB, evs []benchEvent) []rawRow {
	tb.Helper()
	const timeFormat = "2006-01-02T15:04:05.000Z"
	var rows []rawRow
	add := func(q string, args ...any) { rows = append(rows, rawRow{q, args}) }
	for i, e := range evs {
		seq := uint64(i + 1)
		at := e.env.Time.UTC().Format(timeFormat)
		decode := func(v any) {
			if err := json.Unmarshal(e.env.Data, v); err != nil {
				tb.Fatal(err)
			}
		}
		switch e.env.Type {
		case events.CategoryCreated:
			var d events.CategoryCreatedData
			decode(&d)
			add(`INSERT INTO categories(slug, name, position) VALUES (?, ?, ?)`, d.Slug, d.Name, d.Position)
		case events.RoomCreated:
			var d events.RoomCreatedData
			decode(&d)
			add(`INSERT INTO rooms(name, created_at) VALUES (?, ?)`, d.Room, at)
		case events.UserRegistered:
			var d events.UserRegisteredData
			decode(&d)
			add(`INSERT INTO users(id, seq, nickname, nickname_key, email, email_key, password_hash, first_name, last_name, age, gender, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				d.UserID, seq, d.Nickname, strings.ToLower(d.Nickname), d.Email, strings.ToLower(d.Email), d.PasswordHash, d.FirstName, d.LastName, d.Age, d.Gender, at)
		case events.SessionStarted:
			var d events.SessionStartedData
			decode(&d)
			add(`INSERT INTO sessions(id, user_id, token_hash, created_at, expires_at, last_used_at, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?)`, d.SessionID, d.UserID, d.TokenHash, at, d.ExpiresAt.UTC().Format(timeFormat), at, d.UserAgent)
		case events.PostCreated:
			var d events.PostCreatedData
			decode(&d)
			cats, _ := json.Marshal(d.Categories)
			add(`INSERT INTO posts(id, seq, author_id, title, body, body_html, categories, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, d.PostID, seq, d.AuthorID, d.Title, d.Body, projections.RenderMarkdown(d.Body), string(cats), at)
			add(`INSERT INTO search_docs(rowid, title, body, kind) VALUES (?, ?, ?, 'post')`, seq, d.Title, d.Body)
			for _, c := range d.Categories {
				add(`INSERT INTO post_categories(slug, post_seq, post_id) VALUES (?, ?, ?)`, c, seq, d.PostID)
			}
		case events.CommentCreated:
			var d events.CommentCreatedData
			decode(&d)
			add(`INSERT INTO comments(id, seq, post_id, author_id, body, body_html, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`, d.CommentID, seq, d.PostID, d.AuthorID, d.Body, projections.RenderMarkdown(d.Body), at)
			add(`INSERT INTO search_docs(rowid, title, body, kind) VALUES (?, '', ?, 'comment')`, seq, d.Body)
		case events.PostVoted, events.CommentVoted:
			var d events.VotedData
			decode(&d)
			kind := "post"
			if e.env.Type == events.CommentVoted {
				kind = "comment"
			}
			add(`INSERT INTO votes(kind, target_id, user_id, value, target_seq) VALUES (?, ?, ?, ?, ?) ON CONFLICT(kind, target_id, user_id) DO UPDATE SET value = excluded.value`,
				kind, d.TargetID, d.UserID, d.Value, seq)
		case events.DMSent:
			var d events.DMSentData
			decode(&d)
			add(`INSERT INTO messages(seq, id, conv, from_id, to_id, body, body_html, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, seq, d.MessageID, "dm:"+events.PairKey(d.From, d.To), d.From, d.To, d.Body, projections.RenderMarkdown(d.Body), at)
			add(`INSERT INTO search_messages(rowid, body) VALUES (?, ?)`, seq, d.Body)
			const conv = `INSERT INTO conversations(user_id, peer_id, last_seq, last_message_at, read_seq, unread) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT(user_id, peer_id) DO UPDATE SET last_seq = excluded.last_seq, last_message_at = excluded.last_message_at`
			add(conv, d.From, d.To, seq, at, seq, 0)
			add(conv, d.To, d.From, seq, at, 0, 1)
		case events.RoomMessageSent:
			var d events.RoomMessageData
			decode(&d)
			add(`INSERT INTO messages(seq, id, conv, from_id, room, body, body_html, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, seq, d.MessageID, "room:"+d.Room, d.From, d.Room, d.Body, projections.RenderMarkdown(d.Body), at)
			add(`INSERT INTO search_messages(rowid, body) VALUES (?, ?)`, seq, d.Body)
		}
	}
	return rows
}

// rawInsert writes rows into a fresh file at path with the read models'
// schema, the way a rebuild loads one: synchronous off, the rollback
// journal in memory, the secondary indexes created after the rows; each
// statement prepared once per transaction of 10,000 rows.
func rawInsert(tb testing.TB, path string, rows []rawRow) {
	tb.Helper()
	ctx := context.Background()
	files, err := schemas.SQL()
	if err != nil {
		tb.Fatal(err)
	}
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "synchronous(OFF)", "journal_mode(MEMORY)", "foreign_keys(ON)", "cache_size(-32000)"} {
		q.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, f := range files {
		if _, err := db.ExecContext(ctx, f); err != nil {
			tb.Fatal(err)
		}
	}
	var names, indexes []string
	rs, err := db.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL`)
	if err != nil {
		tb.Fatal(err)
	}
	for rs.Next() {
		var name, create string
		if err := rs.Scan(&name, &create); err != nil {
			tb.Fatal(err)
		}
		names, indexes = append(names, name), append(indexes, create)
	}
	rs.Close()
	for _, name := range names {
		if _, err := db.ExecContext(ctx, `DROP INDEX `+name); err != nil {
			tb.Fatal(err)
		}
	}
	for start := 0; start < len(rows); start += 10_000 {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			tb.Fatal(err)
		}
		stmts := map[string]*sql.Stmt{}
		for _, r := range rows[start:min(start+10_000, len(rows))] {
			st, ok := stmts[r.query]
			if !ok {
				if st, err = tx.PrepareContext(ctx, r.query); err != nil {
					tb.Fatal(err)
				}
				stmts[r.query] = st
			}
			if _, err := st.ExecContext(ctx, r.args...); err != nil {
				tb.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			tb.Fatal(err)
		}
	}
	for _, stmt := range indexes {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := db.ExecContext(ctx, `PRAGMA journal_mode = WAL`); err != nil {
		tb.Fatal(err)
	}
}
