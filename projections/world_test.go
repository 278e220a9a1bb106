package projections_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"forum/commands"
	"forum/events"
	"forum/internal/forumtest"
	"forum/projections"
)

// world is a live forum core for projection tests: a real embedded NATS
// server with JetStream, a real SQLite read-model file with its projector
// following the stream, and the command service, all with a seeded clock
// and id source. It remembers what the script made, to query it back.
type world struct {
	t     *testing.T
	dir   string
	Store *events.Store
	DB    *projections.DB
	Proj  *projections.Projector
	Svc   *commands.Service

	stopProj func()

	mu  sync.Mutex
	now time.Time
	rnd *rand.Rand

	users    []string
	nicks    []string
	sessions []commands.Session
	ended    map[string]bool
	posts    []string // every post, deleted ones too
	authorOf map[string]string
	deleted  map[string]bool
	hidden   map[string]bool // comments hidden by a moderator
	locked   map[string]bool // posts locked by a moderator
	comments []string
	postOf   map[string]string // comment → its post
	rooms    []string
	dms      map[string][]string // pair key → message ids
}

const idAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// openStore starts an embedded NATS server with JetStream under dir.
func openStore(t testing.TB, dir string) *events.Store {
	t.Helper()
	store, err := events.OpenStore(forumtest.Context(t), events.StoreConfig{Dir: filepath.Join(dir, "jetstream")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	return store
}

// openDB opens a read-model file and closes it when the test ends.
func openDB(t testing.TB, path string) *projections.DB {
	t.Helper()
	db, _, err := projections.OpenDB(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// newWorld starts a world seeded with the default categories and rooms.
func newWorld(t *testing.T, seed uint64) *world {
	t.Helper()
	dir := t.TempDir()
	w := &world{
		t: t, dir: dir,
		now:      time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC),
		rnd:      rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		ended:    map[string]bool{},
		authorOf: map[string]string{},
		postOf:   map[string]string{},
		deleted:  map[string]bool{},
		hidden:   map[string]bool{},
		locked:   map[string]bool{},
		dms:      map[string][]string{},
		rooms:    slices.Clone(commands.DefaultRooms),
	}
	core := forumtest.NewCore(t, forumtest.Options{Dir: dir, Configure: func(c *commands.Config) {
		c.Now, c.NewID = w.clock, w.newID
	}})
	w.Store, w.DB, w.Proj, w.Svc, w.stopProj = core.Store, core.DB, core.Proj, core.Cmds, core.StopProjector
	return w
}

// clock advances the world's time a little at every reading.
func (w *world) clock() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.now = w.now.Add(time.Duration(500+w.rnd.IntN(90_000)) * time.Millisecond)
	return w.now
}

// advance moves the world's clock forward by d and returns the new time.
func (w *world) advance(d time.Duration) time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.now = w.now.Add(d)
	return w.now
}

func (w *world) newID() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	b := make([]byte, 26)
	for i := range b {
		b[i] = idAlphabet[w.rnd.IntN(32)]
	}
	return string(b)
}

func (w *world) intn(n int) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.rnd.IntN(n)
}

func pick[T any](w *world, s []T) T { return s[w.intn(len(s))] }

// must fails the test on an error.
func (w *world) must(what string, err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatalf("%s: %v", what, err)
	}
}

var bodies = []string{
	"Hello, world!", "<script>alert(1)</script> is just text", "Ünïcödé ✓ — 日本語", "a & b < c > d \"quoted\"",
	"line one\nline two\n\ttabbed", "short", strings.Repeat("long ", 200),
}

func (w *world) body() string { return fmt.Sprintf("%s #%d", pick(w, bodies), w.intn(1000)) }

func (w *world) title() string {
	return fmt.Sprintf("%s #%d", pick(w, []string{"Hello", "<b>Not bold</b>", "Ünïcödé ✓", "Q & A"}), w.intn(1000))
}

func (w *world) signup() {
	w.t.Helper()
	n := len(w.users)
	nick := fmt.Sprintf("%s_%d", pick(w, []string{"Ada", "grace", "LINUS", "ken", "Hedy", "radia"}), n)
	id, err := w.Svc.Register(forumtest.Context(w.t), commands.RegisterInput{
		Nickname: nick, Email: strings.ToLower(nick) + "@example.com", Password: "password-" + nick,
		FirstName: pick(w, []string{"", "Ada", "Zoë"}), Age: w.intn(90),
	})
	w.must("sign up "+nick, err)
	w.users = append(w.users, string(id))
	w.nicks = append(w.nicks, nick)
	w.signin(n)
}

func (w *world) signin(i int) {
	w.t.Helper()
	s, err := w.Svc.SignIn(forumtest.Context(w.t), commands.SignInInput{Login: w.nicks[i], Password: "password-" + w.nicks[i]})
	w.must("sign in", err)
	w.sessions = append(w.sessions, s)
}

func (w *world) livePosts() []string {
	var out []string
	for _, p := range w.posts {
		if !w.deleted[p] {
			out = append(out, p)
		}
	}
	return out
}

func (w *world) liveComments() []string {
	var out []string
	for _, c := range w.comments {
		if !w.deleted[c] && !w.hidden[c] {
			out = append(out, c)
		}
	}
	return out
}

func (w *world) categories() []string {
	var cats []string
	for range 1 + w.intn(3) {
		cats = append(cats, pick(w, commands.DefaultCategories).Slug)
	}
	return cats
}

// play runs n random commands (seeded) against the live forum: sign-ups and
// sign-ins and -outs, posts, edits, deletes, comments, votes, direct
// messages, reads, pins and room messages.
func (w *world) play(n int) {
	w.t.Helper()
	ctx := forumtest.Context(w.t)
	for len(w.users) < 4 {
		w.signup()
	}
	for range n {
		user := pick(w, w.users)
		switch r := w.intn(100); {
		case r < 5:
			w.signup()
		case r < 8:
			w.signin(w.intn(len(w.users)))
		case r < 10:
			s := pick(w, w.sessions)
			if !w.ended[string(s.ID)] {
				w.must("sign out", w.Svc.SignOut(ctx, commands.Session{ID: s.ID, UserID: s.UserID}))
				w.ended[string(s.ID)] = true
			}
		case r < 25:
			created, err := w.Svc.CreatePost(ctx, events.UserID(user), commands.PostInput{Title: w.title(), Body: w.body(), Categories: w.categories()})
			id := created.ID
			w.must("post", err)
			w.posts = append(w.posts, id)
			w.authorOf[id] = user
		case r < 31:
			if live := w.livePosts(); len(live) > 0 {
				p := pick(w, live)
				var patch commands.PostPatch
				title, cats := "Edited "+w.title(), w.categories()
				switch w.intn(3) {
				case 0:
					patch.Title = &title
				case 1:
					patch.Categories = &cats
				default:
					b := w.body()
					patch.Title, patch.Body, patch.Categories = &title, &b, &cats
				}
				w.must("edit post", w.Svc.EditPost(ctx, commands.PostEdit{User: events.UserID(w.authorOf[p]), ID: events.PostID(p), Patch: patch}))
			}
		case r < 35:
			if live := w.livePosts(); len(live) > 3 {
				p := pick(w, live)
				w.must("delete post", w.Svc.DeletePost(ctx, events.UserID(w.authorOf[p]), events.PostID(p)))
				w.deleted[p] = true
			}
		case r < 50:
			live := slices.DeleteFunc(w.livePosts(), func(p string) bool { return w.locked[p] })
			if len(live) > 0 {
				in := commands.CommentInput{Author: events.UserID(user), PostID: events.PostID(pick(w, live)), Body: w.body()}
				if answered := w.liveComments(); len(answered) > 0 && w.intn(2) == 0 {
					c := pick(w, answered)
					if !w.deleted[w.postOf[c]] && !w.locked[w.postOf[c]] { // a reply, in the answered comment's post
						in.PostID, in.ReplyTo = events.PostID(w.postOf[c]), events.CommentID(c)
					}
				}
				id, err := w.Svc.CreateComment(ctx, in)
				w.must("comment", err)
				w.comments = append(w.comments, string(id))
				w.authorOf[string(id)] = user
				w.postOf[string(id)] = string(in.PostID)
			}
		case r < 54:
			if live := w.liveComments(); len(live) > 0 {
				c := pick(w, live)
				w.must("edit comment", w.Svc.EditComment(ctx, commands.CommentEdit{User: events.UserID(w.authorOf[c]), ID: events.CommentID(c), Body: "edited: " + w.body()}))
			}
		case r < 57:
			if live := w.liveComments(); len(live) > 2 {
				c := pick(w, live)
				w.must("delete comment", w.Svc.DeleteComment(ctx, events.UserID(w.authorOf[c]), events.CommentID(c)))
				w.deleted[c] = true
			}
		case r < 69:
			if live := w.livePosts(); len(live) > 0 {
				w.must("vote post", w.Svc.Vote(ctx, commands.VoteInput{Voter: events.UserID(user), Target: events.Target{Kind: events.KindPost, ID: pick(w, live)}, Value: w.intn(3) - 1}))
			}
		case r < 77:
			if live := w.liveComments(); len(live) > 0 {
				w.must("vote comment", w.Svc.Vote(ctx, commands.VoteInput{Voter: events.UserID(user), Target: events.Target{Kind: events.KindComment, ID: pick(w, live)}, Value: w.intn(3) - 1}))
			}
		case r < 89:
			to := pick(w, w.users)
			if to == user {
				continue
			}
			clientID := ""
			if w.intn(4) == 0 {
				clientID = fmt.Sprintf("c%d", w.intn(3)) // sometimes a retry of an earlier send
			}
			seq, err := w.Svc.SendDM(ctx, commands.DMInput{From: events.UserID(user), To: events.UserID(to), Body: w.body(), ClientID: clientID})
			w.must("dm", err)
			m, err := w.DB.MessageBySeq(ctx, seq)
			w.must("dm stored", err)
			key := events.PairKey(user, to)
			if !slices.Contains(w.dms[key], m.ID) {
				w.dms[key] = append(w.dms[key], m.ID)
			}
		case r < 93:
			if len(w.dms) > 0 {
				keys := make([]string, 0, len(w.dms))
				for k := range w.dms {
					keys = append(keys, k)
				}
				slices.Sort(keys)
				k := pick(w, keys)
				a, b, _ := strings.Cut(k, "-")
				if w.intn(2) == 0 {
					a, b = b, a
				}
				w.must("mark read", w.Svc.MarkRead(ctx, commands.ReadInput{User: events.UserID(a), Peer: events.UserID(b), UpTo: events.MessageID(pick(w, w.dms[k]))}))
			}
		case r < 94 && w.intn(3) == 0:
			// A moderator (here the command line) locks or unlocks a post,
			// or hides or restores a comment (its post's last activity
			// and participants move).
			if live := w.livePosts(); len(live) > 0 && w.intn(2) == 0 {
				p, lock := pick(w, live), w.intn(2) == 0
				w.must("lock", w.Svc.LockPost(ctx, "", events.PostID(p), lock))
				w.locked[p] = lock
			} else if live := w.liveComments(); len(live) > 0 {
				c, hide := pick(w, live), true
				var hidden []string
				for _, h := range w.comments {
					if w.hidden[h] {
						hidden = append(hidden, h)
					}
				}
				if len(hidden) > 0 && w.intn(2) == 0 {
					c, hide = pick(w, hidden), false
				}
				w.must("hide comment", w.Svc.SetHidden(ctx, "", events.Target{Kind: events.KindComment, ID: c}, hide, "spam"))
				w.hidden[c] = hide
			}
		case r < 95:
			// A moderator (here the command line) pins or unpins a post.
			if live := w.livePosts(); len(live) > 0 {
				p := events.PostID(pick(w, live))
				if w.intn(3) == 0 {
					w.must("unpin", w.Svc.UnpinPost(ctx, "", p))
				} else {
					w.must("pin", w.Svc.PinPost(ctx, "", p, []events.PinScope{events.PinGlobal, events.PinCategory}[w.intn(2)]))
				}
			}
		case r < 96:
			w.read(user)
		case r < 98:
			w.react(user)
		case r < 99:
			if w.intn(3) == 0 {
				w.account(ctx)
			} else {
				w.mark(ctx, user)
			}
		default:
			room := pick(w, w.rooms)
			if w.intn(8) == 0 {
				room = fmt.Sprintf("room-%d", w.intn(4))
				if !slices.Contains(w.rooms, room) {
					w.rooms = append(w.rooms, room)
				}
			}
			_, err := w.Svc.SendRoomMessage(ctx, commands.RoomMessageInput{From: events.UserID(user), Room: room, Body: w.body()})
			w.must("room message", err)
		}
	}
}

// read has user read a post, up to one of its comments or none; a second
// read of a post within seconds is coalesced away by the command.
func (w *world) read(user string) {
	live := w.livePosts()
	if len(live) == 0 {
		return
	}
	post := pick(w, live)
	var ofPost []string
	for _, c := range w.comments {
		if w.postOf[c] == post {
			ofPost = append(ofPost, c)
		}
	}
	in := commands.ReadPostInput{User: events.UserID(user), PostID: events.PostID(post)}
	if len(ofPost) > 0 && w.intn(4) > 0 {
		in.UpTo = events.CommentID(pick(w, ofPost))
	}
	err := w.Svc.ReadPost(forumtest.Context(w.t), in)
	w.must("read post", err)
}

// react puts a random reaction of user's on a live post, comment or one of
// their direct messages, or takes it off.
func (w *world) react(user string) {
	w.t.Helper()
	var targets []events.Target
	for _, p := range w.livePosts() {
		targets = append(targets, events.Target{Kind: events.KindPost, ID: p})
	}
	for _, c := range w.liveComments() {
		targets = append(targets, events.Target{Kind: events.KindComment, ID: c})
	}
	for _, m := range w.dmsOf(user) {
		targets = append(targets, events.Target{Kind: events.KindMessage, ID: m})
	}
	if len(targets) == 0 {
		return
	}
	in := commands.ReactInput{User: events.UserID(user), Target: pick(w, targets), Name: pick(w, events.ReactionNames[:3]), On: w.intn(3) > 0}
	_, err := w.Svc.React(forumtest.Context(w.t), in)
	w.must("react", err)
}

// dmsOf returns the ids of the direct messages user sent or received, in
// a fixed order.
func (w *world) dmsOf(user string) []string {
	keys := make([]string, 0, len(w.dms))
	for k := range w.dms {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []string
	for _, k := range keys {
		if a, b, _ := strings.Cut(k, "-"); a == user || b == user {
			out = append(out, w.dms[k]...)
		}
	}
	return out
}

// mark has user bookmark a post or take a bookmark away, or set a watch
// level on a post or a category.
func (w *world) mark(ctx context.Context, user string) {
	live := w.livePosts()
	if len(live) == 0 {
		return
	}
	p := events.PostID(pick(w, live))
	level := []events.WatchLevel{events.WatchWatching, events.WatchNormal, events.WatchMuted}[w.intn(3)]
	switch w.intn(4) {
	case 0, 1:
		w.must("bookmark", w.Svc.SetBookmark(ctx, events.UserID(user), p, w.intn(3) > 0))
	case 2:
		w.must("watch post", w.Svc.WatchPost(ctx, events.UserID(user), p, level))
	default:
		w.must("watch category", w.Svc.WatchCategory(ctx, events.UserID(user), pick(w, commands.DefaultCategories).Slug, level))
	}
}

// account has a user change their profile, their mail preference, or
// their password (ending their other sessions; then back, so they sign in
// again as before).
func (w *world) account(ctx context.Context) {
	i := w.intn(len(w.users))
	user := events.UserID(w.users[i])
	switch w.intn(3) {
	case 0:
		bio, gender, age := pick(w, []string{"", "Poetical *scientist*.\nLoops.", "Ünïcödé ✓"}), pick(w, []string{"", "female"}), w.intn(90)
		in := commands.ProfileInput{Bio: &bio}
		if w.intn(2) == 0 {
			in.Gender, in.Age = &gender, &age
		}
		w.must("profile", w.Svc.UpdateProfile(ctx, user, in))
	case 1:
		w.must("preferences", w.Svc.SetPreferences(ctx, user, pick(w, []events.EmailNotifications{events.EmailImmediately, events.EmailDaily, events.EmailWeekly, events.EmailOff})))
	default:
		var keep events.SessionID
		for _, s := range w.sessions {
			if s.UserID == user && !w.ended[string(s.ID)] {
				keep = s.ID
			}
		}
		pw := "password-" + w.nicks[i]
		_, err := w.Svc.ChangePassword(ctx, user, keep, commands.ChangePasswordInput{CurrentPassword: pw, Password: "changed-" + pw})
		w.must("change password", err)
		_, err = w.Svc.ChangePassword(ctx, user, keep, commands.ChangePasswordInput{CurrentPassword: "changed-" + pw, Password: pw})
		w.must("change password back", err)
		for _, s := range w.sessions {
			if s.UserID == user && s.ID != keep {
				w.ended[string(s.ID)] = true
			}
		}
	}
}

// scaled returns n, or a third of it under the race detector.
func scaled(n int) int {
	if underRace {
		return max(1, n/3)
	}
	return n
}

// head returns the stream's last sequence, waiting until the live
// projector has applied it.
func (w *world) head() uint64 {
	w.t.Helper()
	ctx := forumtest.Context(w.t)
	last, err := w.Store.LastSeq(ctx)
	w.must("last seq", err)
	w.must("projector catching up", w.Proj.WaitFor(ctx, last))
	return last
}

// result encodes a query's result, or its error, as JSON.
func result(v any, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	b, jerr := json.Marshal(v)
	if jerr != nil {
		return "marshal: " + jerr.Error()
	}
	return string(b)
}

// pages reads every page of a list, starting from the first.
func pages[T any](get func(cursor string) (projections.Page[T], error)) string {
	var out []string
	cursor := ""
	for range 1000 {
		p, err := get(cursor)
		out = append(out, result(p, err))
		if err != nil || p.Next == nil {
			break
		}
		cursor = *p.Next
	}
	return strings.Join(out, "\n")
}

// answers asks db every query about everything the world made and returns
// the JSON of each answer by query.
func (w *world) answers(db *projections.DB) map[string]string {
	w.t.Helper()
	ctx := forumtest.Context(w.t)
	out := map[string]string{}
	add := func(key string, v string) {
		if _, dup := out[key]; dup {
			w.t.Fatalf("query %s asked twice", key)
		}
		out[key] = v
	}
	add("categories", result(db.Categories(ctx)))
	add("rooms", pages(func(c string) (projections.Page[projections.Room], error) {
		return db.Rooms(ctx, projections.ListFilter{PageRequest: projections.PageRequest{Limit: 2, Cursor: c}})
	}))
	// Every choice here is a function of the index, never random: both
	// databases must be asked the very same questions.
	viewers := append([]string{""}, w.users...)
	cats := commands.DefaultCategories
	nth := func(s []string, i int) string { return s[i%len(s)] }
	filters := []projections.PostFilter{{}}
	for i, c := range cats {
		filters = append(filters, projections.PostFilter{Category: c.Slug}, projections.PostFilter{Category: c.Slug, Viewer: nth(w.users, i)})
	}
	for i, u := range w.users {
		filters = append(filters,
			projections.PostFilter{Author: u},
			projections.PostFilter{LikedBy: u, Viewer: u},
			projections.PostFilter{DislikedBy: u},
			projections.PostFilter{Author: u, Category: cats[i%len(cats)].Slug},
			projections.PostFilter{LikedBy: u, Category: cats[(i+1)%len(cats)].Slug},
			projections.PostFilter{DislikedBy: u, Author: nth(w.users, i+1)},
			projections.PostFilter{LikedBy: u, DislikedBy: u},
		)
	}
	for i, u := range w.users {
		filters = append(filters,
			projections.PostFilter{Viewer: u, Blocker: u, Muter: u},
			projections.PostFilter{Category: cats[i%len(cats)].Slug, Viewer: u, Muter: u})
	}
	// Every list in every sort; top within a week of a moment fixed for both.
	now := w.now
	sorted := filters[:len(filters):len(filters)]
	for _, f := range filters {
		for _, s := range []struct {
			sort   projections.PostSort
			period projections.Period
		}{{projections.SortLatest, ""}, {projections.SortTop, projections.PeriodAll}, {projections.SortTop, projections.PeriodWeek}} {
			f.Sort, f.Period, f.Now = s.sort, s.period, now
			sorted = append(sorted, f)
		}
	}
	for i, f := range sorted {
		for _, limit := range []int{0, 3} {
			f.Limit = limit
			add(fmt.Sprintf("posts %d %+v", i, f), pages(func(c string) (projections.Page[projections.Post], error) {
				f.Cursor = c
				return db.Posts(ctx, f)
			}))
		}
	}
	for i, p := range w.posts {
		vs := []string{"", w.authorOf[p]}
		if other := nth(w.users, i); other != w.authorOf[p] {
			vs = append(vs, other)
		}
		for _, v := range vs {
			add("post "+p+" as "+v, result(db.Post(ctx, events.PostID(p), events.UserID(v))))
			add("votes post "+p+" as "+v, result(db.Votes(ctx, events.Target{Kind: events.KindPost, ID: p}, events.UserID(v))))
		}
		add("comments "+p, pages(func(c string) (projections.Page[projections.Comment], error) {
			return db.Comments(ctx, projections.CommentFilter{PostID: p, Viewer: nth(viewers, i), PageRequest: projections.PageRequest{Limit: 2, Cursor: c}})
		}))
	}
	w.readingAnswers(db, add)
	for i, c := range w.comments {
		v := nth(viewers, i)
		add("comment "+c+" "+v, result(db.Comment(ctx, events.CommentID(c), events.UserID(v))))
		add("votes comment "+c+" "+v, result(db.Votes(ctx, events.Target{Kind: events.KindComment, ID: c}, events.UserID(v))))
	}
	for i, u := range w.users {
		add("contacts "+u, pages(func(c string) (projections.Page[projections.Contact], error) {
			return db.Contacts(ctx, events.UserID(u), projections.ListFilter{PageRequest: projections.PageRequest{Limit: 3, Cursor: c}})
		}))
		add("user "+u, result(db.User(ctx, events.UserID(u))))
		add("bookmarks "+u, pages(func(c string) (projections.Page[projections.Post], error) {
			return db.Bookmarks(ctx, projections.BookmarkFilter{User: events.UserID(u), PageRequest: projections.PageRequest{Limit: 2, Cursor: c}})
		}))
		add("notifications "+u, pages(func(c string) (projections.Page[projections.Notification], error) {
			return db.Notifications(ctx, events.UserID(u), projections.PageRequest{Limit: 5, Cursor: c})
		}))
		add("standing "+u, result(db.StandingOf(ctx, events.UserID(u))))
		add("account "+u, result(db.Account(ctx, events.UserID(u))))
		add("profile "+u, result(db.Profile(ctx, events.UserID(u))))
		add("preferences "+u, result(db.Preferences(ctx, events.UserID(u))))
		add("password "+u, result(db.PasswordHash(ctx, events.UserID(u))))
		add("credentials "+u, result(db.Credentials(ctx, strings.ToUpper(w.nicks[i]))))
		for _, peer := range w.users[i+1:] {
			add("dms "+u+" "+peer, pages(func(c string) (projections.Page[projections.Message], error) {
				return db.DirectMessages(ctx, events.UserID(u), events.UserID(peer), projections.PageRequest{Limit: 3, Cursor: c})
			}))
		}
	}
	for _, ids := range w.dms {
		for _, id := range ids {
			add("message "+id, result(db.MessageByID(ctx, events.MessageID(id))))
		}
	}
	for _, r := range w.rooms {
		add("room "+r, pages(func(c string) (projections.Page[projections.Message], error) {
			return db.RoomMessages(ctx, r, events.UserID(nth(viewers, len(r))), projections.PageRequest{Limit: 4, Cursor: c})
		}))
	}
	w.reactionAnswers(db, add)
	for _, s := range w.sessions {
		add("session "+string(s.ID), result(db.SessionByTokenHash(ctx, commands.TokenHash(s.Token))))
	}
	return out
}

// readingAnswers asks db each user's read states of every post, and their
// unread and new lists (in a category too).
func (w *world) readingAnswers(db *projections.DB, add func(key, v string)) {
	ctx := forumtest.Context(w.t)
	for i, u := range w.users {
		for at := 0; at < len(w.posts); at += projections.MaxLimit {
			ids := w.posts[at:min(at+projections.MaxLimit, len(w.posts))]
			add(fmt.Sprintf("read states %s %d", u, at), result(db.ReadStates(ctx, events.UserID(u), ids)))
		}
		for _, list := range []string{projections.ListUnread, projections.ListNew} {
			for _, cat := range []string{"", commands.DefaultCategories[i%len(commands.DefaultCategories)].Slug} {
				add("reading "+list+" "+u+" "+cat, pages(func(c string) (projections.Page[projections.Post], error) {
					return db.ReadingPosts(ctx, projections.ReadingFilter{List: list, Viewer: events.UserID(u), Category: cat, PageRequest: projections.PageRequest{Limit: 2, Cursor: c}})
				}))
			}
		}
	}
}

// reactionAnswers asks db the reactions on everything the world made, and
// who reacted, as every user sees them.
func (w *world) reactionAnswers(db *projections.DB, add func(key, v string)) {
	ctx := forumtest.Context(w.t)
	var targets []events.Target
	for _, p := range w.posts {
		targets = append(targets, events.Target{Kind: events.KindPost, ID: p})
	}
	for _, c := range w.comments {
		targets = append(targets, events.Target{Kind: events.KindComment, ID: c})
	}
	for _, u := range w.users {
		for _, m := range w.dmsOf(u) {
			targets = append(targets, events.Target{Kind: events.KindMessage, ID: m})
		}
	}
	seen := map[string]bool{}
	for i, t := range targets {
		key := string(t.Kind) + " " + t.ID
		if seen[key] {
			continue
		}
		seen[key] = true
		v := ""
		if i%2 == 1 {
			v = w.users[i%len(w.users)]
		}
		add("reactions "+key+" as "+v, result(db.Reactions(ctx, t, events.UserID(v))))
		for _, name := range events.ReactionNames[:3] {
			add("reactors "+key+" "+string(name), pages(func(c string) (projections.Page[projections.User], error) {
				return db.Reactors(ctx, projections.ReactorFilter{Target: t, Name: name, PageRequest: projections.PageRequest{Limit: 2, Cursor: c}})
			}))
		}
	}
}

// compareAnswers fails the test on every query whose answers differ.
func compareAnswers(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d answers, want %d", what, len(got), len(want))
	}
	diffs := 0
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if got[k] != want[k] {
			if diffs++; diffs <= 5 {
				t.Errorf("%s: query %s:\n got %s\nwant %s", what, k, got[k], want[k])
			}
		}
	}
	if diffs > 5 {
		t.Errorf("%s: %d queries differ in all", what, diffs)
	}
}

// readAll returns every event of the stream in order.
func readAll(t testing.TB, store *events.Store) []events.Event {
	t.Helper()
	ctx := forumtest.Context(t)
	last, err := store.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f, err := store.Follow(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Stop()
	out := make([]events.Event, 0, last)
	for uint64(len(out)) < last {
		ev, err := f.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

// checkpoint returns the checkpoint stored in a dump of a read-model file.
func checkpoint(t testing.TB, d map[string][]string) uint64 {
	t.Helper()
	for _, r := range d["meta"] {
		var kv []string
		if err := json.Unmarshal([]byte(r), &kv); err == nil && kv[0] == "seq" {
			seq, err := strconv.ParseUint(kv[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return seq
		}
	}
	t.Fatal("no checkpoint in meta")
	return 0
}
