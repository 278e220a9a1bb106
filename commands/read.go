package commands

import (
	"context"
	"errors"
	"sync"
	"time"

	"forum/events"
	"forum/fault"
)

// Bounds of read tracking: by default a reader's position in a post is
// written at most once every readEvery (the first opening always), and the
// instance remembers at most readMarksMax recent writes to know it.
const (
	readEvery    = 5 * time.Second
	readMarksMax = 100_000
)

// ReadPostInput says that User opened post PostID and read its comments up
// to and including UpTo ("" for none yet).
type ReadPostInput struct {
	User   events.UserID
	PostID events.PostID
	UpTo   events.CommentID
}

// ReadPost records how far a reader has read a post: a post.read event,
// unless nothing moved (the post opened before and UpTo not after the
// comment they had read) or the reader's last position in that post was
// written less than ReadEvery ago on this instance: then it is dropped, and
// again is how long until it would be taken (the reader sends it again
// then). It returns ENOTFOUND for a post that does not exist, is deleted
// (a read racing the deletion too) or is hidden, EINVALID field
// "up_to_comment" for a comment that is not one of the post's.
func (s *Service) ReadPost(ctx context.Context, in ReadPostInput) (again time.Duration, err error) {
	upToSeq, err := s.readTarget(ctx, in)
	if err != nil {
		return 0, err
	}
	at, opened, err := s.DB.ReadPosition(ctx, in.User, in.PostID)
	if err != nil {
		return 0, err
	}
	if opened && upToSeq <= at {
		return 0, nil
	}
	mark := readMark{in.User, in.PostID}
	if again := s.reads.take(mark, s.Now(), !opened); again > 0 {
		return again, nil
	}
	_, err = s.emit(ctx, events.PostRead, string(in.PostID), string(in.User),
		events.PostReadData{PostID: in.PostID, UserID: in.User, CommentID: in.UpTo, UpToSeq: upToSeq},
		unlessDeleted(events.PostDeleted.Subject(string(in.PostID))))
	if errors.Is(err, events.ErrConflict) {
		return 0, errPostNotFound
	}
	return 0, err
}

// errPostNotFound answers a read of a post that is not there to read.
var errPostNotFound = fault.Errorf(fault.ENOTFOUND, "post not found")

// readTarget checks that in names a shown post and, if any, a comment of
// it, and returns that comment's sequence (0 for none).
func (s *Service) readTarget(ctx context.Context, in ReadPostInput) (uint64, error) {
	if err := checkID("post", string(in.PostID)); err != nil {
		return 0, err
	}
	p, err := s.DB.Post(ctx, in.PostID, "")
	if err != nil {
		return 0, err
	}
	if p.Hidden || p.Deleted {
		return 0, errPostNotFound
	}
	if in.UpTo == "" {
		return 0, nil
	}
	notOfPost := fault.FieldError(fault.EINVALID, "up_to_comment", "up_to_comment must be the id of a comment of this post")
	if !events.ValidID(string(in.UpTo)) {
		return 0, notOfPost
	}
	seq, err := s.DB.CommentSeq(ctx, in.PostID, in.UpTo)
	if err != nil {
		return 0, notOfPost
	}
	return seq, nil
}

// readMark names one reader's position in one post.
type readMark struct {
	user events.UserID
	post events.PostID
}

// readMarks remembers when this instance last wrote each reader's position
// in a post, for at most max positions.
type readMarks struct {
	mu    sync.Mutex
	max   int
	every time.Duration
	last  map[readMark]time.Time
}

func newReadMarks(max int, every time.Duration) *readMarks {
	return &readMarks{max: max, every: every, last: map[readMark]time.Time{}}
}

// take returns 0 if m may be written at now (its last write r.every ago
// or more, none known, or first set), and then counts it as written at now;
// else how long until it may. Full, it forgets the writes older than
// r.every, then everything: a write more then, never one lost.
func (r *readMarks) take(m readMark, now time.Time, first bool) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if last, ok := r.last[m]; ok && !first && now.Sub(last) < r.every && now.Sub(last) >= 0 {
		return r.every - now.Sub(last)
	}
	if _, ok := r.last[m]; !ok && len(r.last) >= r.max {
		for k, t := range r.last {
			if now.Sub(t) >= r.every || now.Sub(t) < 0 {
				delete(r.last, k)
			}
		}
		if len(r.last) >= r.max {
			clear(r.last)
		}
	}
	r.last[m] = now
	return 0
}
