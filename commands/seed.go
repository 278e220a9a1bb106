package commands

import (
	"context"
	"fmt"
	"time"

	"forum/events"
)

// DefaultCategories are appended to an empty stream, in this order.
var DefaultCategories = []events.CategoryCreatedData{
	{Slug: "general", Name: "General", Position: 1},
	{Slug: "announcements", Name: "Announcements", Position: 2},
	{Slug: "help", Name: "Help & Questions", Position: 3},
	{Slug: "development", Name: "Development", Position: 4},
	{Slug: "showcase", Name: "Showcase", Position: 5},
	{Slug: "off-topic", Name: "Off-topic", Position: 6},
	{Slug: "feedback", Name: "Feedback", Position: 7},
}

// DefaultRooms are the chat rooms that exist from the start.
var DefaultRooms = []string{"general", "random", "help"}

// DemoPassword is the password of every demo user.
const DemoPassword = "demo-password"

// Seed appends the default categories and rooms to an empty stream and, with
// demo, demo users, posts, comments, votes and messages. It does nothing when
// the stream already has events. Seeded events carry fixed message ids, so two
// instances starting at once on one cluster seed once.
func (s *Service) Seed(ctx context.Context, demo bool) (seeded bool, err error) {
	last, err := s.Store.LastSeq(ctx)
	if err != nil || last > 0 {
		return false, err
	}
	if demo {
		// The demo content is spread over the past week; the categories and
		// rooms come first on the same clock, so no event is dated before
		// the one it follows (time travel stops at the first event after its
		// bound, and would otherwise see an empty forum).
		s = s.backdated(7 * 24 * time.Hour)
	}
	for _, c := range DefaultCategories {
		if _, err := s.emit(ctx, events.CategoryCreated, c.Slug, "", c, events.WithMsgID("seed:category:"+c.Slug)); err != nil {
			return false, fmt.Errorf("seed category %s: %w", c.Slug, err)
		}
	}
	for _, r := range DefaultRooms {
		if _, err := s.emit(ctx, events.RoomCreated, r, "", events.RoomCreatedData{Room: r}, events.WithMsgID("seed:room:"+r)); err != nil {
			return false, fmt.Errorf("seed room %s: %w", r, err)
		}
	}
	if demo {
		if err := s.seedDemo(ctx); err != nil {
			return true, fmt.Errorf("seed demo: %w", err)
		}
	}
	return true, nil
}

// DemoUsers are the nicknames of the demo users.
var DemoUsers = []string{"ada", "grace", "linus", "margaret", "ken", "barbara", "dennis", "radia", "guido", "frances", "edsger", "hedy"}

type demoPost struct {
	author     int
	title      string
	body       string
	categories []string
	comments   []demoComment
	likes      []int
	dislikes   []int
}

type demoComment struct {
	author int
	body   string
}

var demoPosts = []demoPost{
	{0, "Welcome to the forum!", "This is a place to talk about building things. Say hello below, and try the chat: people who are online show a green dot.", []string{"announcements", "general"},
		[]demoComment{{1, "Hello everyone! Happy to be here."}, {2, "Hi! The live feed is neat: new posts show up without a reload."}, {5, "Hello from the other side of the world."}}, []int{1, 2, 3, 4, 5, 6}, nil},
	{2, "How do you structure a Go project?", "I keep going back and forth between one package per layer and one per feature. What has worked for you on a project that lived for years?", []string{"development", "help"},
		[]demoComment{{4, "Name packages after what they provide, not what they contain."}, {8, "Start flat. Split when a package has two reasons to change."}, {2, "Both good points, thanks."}}, []int{4, 8, 9}, nil},
	{3, "Event sourcing: worth it?", "Every change as an event, read models rebuilt from the log. The audit trail is free, but is the complexity worth it for a forum?", []string{"development"},
		[]demoComment{{7, "Rebuilding a read model after a bug fix is the killer feature."}, {6, "Schema changes become a replay instead of a migration."}}, []int{0, 6, 7}, []int{10}},
	{5, "Show us your desk setup", "Post a description of where you work. Mine: a standing desk, one monitor, far too many cables.", []string{"off-topic"},
		[]demoComment{{9, "Kitchen table and a laptop. Works fine."}, {11, "A quiet corner and a good chair matter more than anything."}}, []int{9, 11}, nil},
	{7, "A tiny static site generator", "I wrote a static site generator in 300 lines. Markdown in, HTML out, no dependencies. Feedback welcome!", []string{"showcase", "development"},
		[]demoComment{{0, "Nice. How do you handle templates?"}, {7, "One base template with blocks; that covers everything I need."}}, []int{0, 1, 3}, nil},
	{9, "The dark theme follows your system", "Switch your system to dark mode and the forum follows. Tell us if anything is hard to read.", []string{"feedback", "announcements"},
		nil, []int{2, 5}, nil},
	{4, "Why is my goroutine leaking?", "I start a goroutine per request that reads from a channel, and memory keeps growing. What should I look for?", []string{"help", "development"},
		[]demoComment{{3, "Who closes the channel? If nobody does, every reader waits forever."}, {10, "Pass a context and select on ctx.Done() too."}, {4, "That was it: nobody closed it. Thanks!"}}, []int{3, 10}, nil},
	{10, "On the cruelty of really teaching computing science", "A reminder that elegance is not a dispensable luxury but a quality that decides between success and failure.", []string{"general"},
		[]demoComment{{2, "Strong words, still true."}}, []int{2, 4}, []int{6}},
	{11, "Frequency hopping, explained simply", "Sender and receiver change frequency together on a shared schedule, so a listener on one channel hears only noise.", []string{"general", "showcase"},
		[]demoComment{{8, "Beautiful idea. Still in every phone today."}}, []int{0, 8, 9}, nil},
	{1, "Forum etiquette", "Be kind, stay on topic, and search before you post. Likes are free: use them.", []string{"announcements"},
		nil, []int{0, 3, 4, 5, 6, 7}, nil},
	{6, "Favourite programming books?", "Looking for books that changed how you think, not just how you type.", []string{"off-topic", "general"},
		[]demoComment{{0, "Structure and Interpretation of Computer Programs."}, {9, "The Practice of Programming."}, {3, "A Discipline of Programming."}}, []int{1, 9}, nil},
	{8, "Tabs or spaces?", "Asking for a friend. Please be civil.", []string{"off-topic"},
		[]demoComment{{2, "gofmt decided for me years ago."}, {11, "Whatever the formatter says."}}, []int{2}, []int{4, 5}},
}

var demoDMs = []struct {
	from, to int
	body     string
}{
	{1, 0, "Hi Ada, do you have a minute to look at my post?"},
	{0, 1, "Of course. The one about project structure?"},
	{1, 0, "Yes, that one. Thanks!"},
	{2, 3, "Are you coming to the meetup on Thursday?"},
	{3, 2, "Wouldn't miss it."},
}

var demoRoom = []struct {
	from int
	body string
}{
	{0, "Good morning, everyone!"},
	{4, "Morning @ada! Anyone else fighting the build today?"},
	{6, "Always. Clean the cache and try again."},
	{0, "That fixed it for me last week."},
}

// backdated returns a copy of s whose clock starts ago in the past and moves
// on a little at every reading, so seeded content reads like a living forum.
func (s *Service) backdated(ago time.Duration) *Service {
	b := *s
	t := s.Now().Add(-ago)
	b.Now = func() time.Time { t = t.Add(55*time.Minute + 7*time.Second); return t }
	return &b
}

// seedReads has those who voted on a demo post open it and read up to its
// first comment (if any): the post counts their views, and the comments
// after it are unread to them.
func (s *Service) seedReads(ctx context.Context, post events.PostID, first events.CommentID, users []events.UserID, p demoPost) error {
	for _, u := range append(append([]int(nil), p.likes...), p.dislikes...) {
		if err := s.ReadPost(ctx, ReadPostInput{User: users[u], PostID: post, UpTo: first}); err != nil {
			return fmt.Errorf("read: %w", err)
		}
	}
	return nil
}

// seedDemo makes the demo content, on s's (backdated) clock.
func (s *Service) seedDemo(ctx context.Context) error {
	demo := s
	users := make([]events.UserID, len(DemoUsers))
	for i, nick := range DemoUsers {
		// The demo accounts share a common password on purpose: they
		// sign in only where DemoSignIn allows it.
		id, err := demo.register(ctx, RegisterInput{Nickname: nick, Email: nick + "@example.com", Password: DemoPassword})
		if err != nil {
			return fmt.Errorf("user %s: %w", nick, err)
		}
		users[i] = events.UserID(id)
	}
	// The demo's addresses are nobody's: they count as verified, all at
	// one reading of the clock.
	verified := *demo
	at := demo.Now()
	verified.Now = func() time.Time { return at }
	for i, nick := range DemoUsers {
		id := string(users[i])
		if _, err := verified.emit(ctx, events.EmailVerified, id, id, events.EmailVerifiedData{UserID: id, Email: nick + "@example.com"}); err != nil {
			return fmt.Errorf("user %s: %w", nick, err)
		}
	}
	for i, p := range demoPosts {
		post, err := demo.CreatePost(ctx, users[p.author], PostInput{Title: p.title, Body: p.body, Categories: p.categories})
		if err != nil {
			return fmt.Errorf("post %q: %w", p.title, err)
		}
		id := post.ID
		if i == 0 { // the welcome, pinned first on every list by the forum
			if err := demo.setPinned(ctx, "", id, events.PinGlobal); err != nil {
				return fmt.Errorf("pin %q: %w", p.title, err)
			}
		}
		var first events.CommentID
		for _, c := range p.comments {
			cid, err := demo.CreateComment(ctx, CommentInput{Author: users[c.author], PostID: events.PostID(id), Body: c.body})
			if err != nil {
				return fmt.Errorf("comment: %w", err)
			}
			if first == "" {
				first = cid
			}
		}
		if err := demo.seedReads(ctx, events.PostID(id), first, users, p); err != nil {
			return err
		}
		for _, u := range p.likes {
			if err := demo.Vote(ctx, VoteInput{Voter: users[u], Target: events.Target{Kind: events.KindPost, ID: id}, Value: 1}); err != nil {
				return err
			}
		}
		for _, u := range p.dislikes {
			if err := demo.Vote(ctx, VoteInput{Voter: users[u], Target: events.Target{Kind: events.KindPost, ID: id}, Value: -1}); err != nil {
				return err
			}
		}
	}
	for _, m := range demoDMs {
		if _, err := demo.SendDM(ctx, DMInput{From: users[m.from], To: users[m.to], Body: m.body}); err != nil {
			return fmt.Errorf("dm: %w", err)
		}
	}
	// Those who speak in the room are its members.
	joined := map[int]bool{}
	for _, m := range demoRoom {
		if !joined[m.from] {
			joined[m.from] = true
			if err := demo.JoinRoom(ctx, users[m.from], "general"); err != nil {
				return fmt.Errorf("join: %w", err)
			}
		}
	}
	for _, m := range demoRoom {
		if _, err := demo.SendRoomMessage(ctx, RoomMessageInput{From: users[m.from], Room: "general", Body: m.body}); err != nil {
			return fmt.Errorf("room message: %w", err)
		}
	}
	return nil
}
