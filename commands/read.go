package commands

import (
	"context"
	"errors"
	"sync"
	"time"

	"forum/events"
	"forum/fault"
	"forum/projections"
)

// Bounds of read tracking: by default a reader's position in a post is
// written at most once every readEvery (the first opening always); a
// position that comes sooner is kept and written when the interval ends.
// The instance remembers at most readMarksMax recent writes to know it,
// and keeps at most readHeldMax positions waiting (past that, one is
// written at once).
const (
	readEvery    = 5 * time.Second
	readMarksMax = 100_000
	readHeldMax  = 10_000
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
// comment they had read). A reader's position in a post is written at most
// once every ReadEvery on this instance: one that comes sooner is kept (the
// furthest of those that came) and written when the interval ends, or at
// FlushReads; nothing sent is lost. It returns ENOTFOUND for a post that
// does not exist, is deleted (a read racing the deletion too) or is hidden,
// EINVALID field "up_to_comment" for a comment that is not one of the
// post's.
func (s *Service) ReadPost(ctx context.Context, in ReadPostInput) error {
	target, err := s.readTarget(ctx, in)
	if err != nil {
		return err
	}
	upToSeq, opened := target.CommentSeq, target.Opened
	if opened && upToSeq <= target.At {
		return nil
	}
	read, again, timer := s.reads.take(heldRead{in: in, upToSeq: upToSeq}, s.Now(), !opened)
	if timer != 0 {
		time.AfterFunc(again, func() { s.writeHeld(readMark{in.User, in.PostID}, timer) })
	}
	if again > 0 {
		return nil
	}
	return s.writeRead(ctx, read)
}

// writeRead appends the post.read event of read, unless the post was
// deleted (ENOTFOUND).
func (s *Service) writeRead(ctx context.Context, read heldRead) error {
	in := read.in
	_, err := s.emit(ctx, events.PostRead, string(in.PostID), string(in.User),
		events.PostReadData{PostID: in.PostID, UserID: in.User, CommentID: in.UpTo, UpToSeq: read.upToSeq},
		unlessDeleted(events.PostDeleted.Subject(string(in.PostID))))
	if errors.Is(err, events.ErrConflict) {
		return errPostNotFound
	}
	return err
}

// writeHeld writes the position held for m under timer, if one still is.
func (s *Service) writeHeld(m readMark, timer uint64) {
	read, ok := s.reads.release(m, timer, s.Now())
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.WaitTimeout)
	defer cancel()
	if err := s.writeRead(ctx, read); err != nil {
		s.Logger.Warn("a read position held back was not written", "user", read.in.User, "post", read.in.PostID, "err", err)
	}
}

// FlushReads writes every position held back now, as a shutting-down
// instance does before it stops.
func (s *Service) FlushReads(ctx context.Context) {
	for _, read := range s.reads.drain() {
		if err := s.writeRead(ctx, read); err != nil {
			s.Logger.Warn("a read position held back was not written", "user", read.in.User, "post", read.in.PostID, "err", err)
		}
	}
}

// errPostNotFound answers a read of a post that is not there to read.
var errPostNotFound = fault.Errorf(fault.ENOTFOUND, "post not found")

// readTarget checks that in names a shown post and, if any, a comment of
// it, and returns that comment's sequence (0 for none) with how far the
// reader has read the post.
func (s *Service) readTarget(ctx context.Context, in ReadPostInput) (projections.ReadTarget, error) {
	if err := checkID("post", string(in.PostID)); err != nil {
		return projections.ReadTarget{}, err
	}
	t, err := s.DB.ReadTargetOf(ctx, in.User, in.PostID, in.UpTo)
	switch {
	case err != nil:
		return t, err
	case !t.Shown:
		return t, errPostNotFound
	case in.UpTo != "" && (!events.ValidID(string(in.UpTo)) || !t.OfPost):
		return t, fault.FieldError(fault.EINVALID, "up_to_comment", "up_to_comment must be the id of a comment of this post")
	}
	return t, nil
}

// readMark names one reader's position in one post.
type readMark struct {
	user events.UserID
	post events.PostID
}

// heldRead is a position to write: the reader's input and its comment's
// sequence, and, held back, the timer that writes it.
type heldRead struct {
	in      ReadPostInput
	upToSeq uint64
	timer   uint64
}

func (h heldRead) mark() readMark { return readMark{h.in.User, h.in.PostID} }

// readMarks remembers when this instance last wrote each reader's position
// in a post, for at most max positions, and the positions held back until
// their interval ends, at most maxHeld.
type readMarks struct {
	mu      sync.Mutex
	max     int
	maxHeld int
	every   time.Duration
	last    map[readMark]time.Time
	held    map[readMark]heldRead
	timers  uint64
}

func newReadMarks(max, maxHeld int, every time.Duration) *readMarks {
	return &readMarks{max: max, maxHeld: maxHeld, every: every, last: map[readMark]time.Time{}, held: map[readMark]heldRead{}}
}

// take returns again 0 if read may be written at now (its last write
// r.every ago or more, none known, first set, or no room to hold it), and
// then counts it as written at now and returns what to write: read, or
// the position held for it if that is further (it is forgotten); else it holds read (or keeps the further of it and the one
// held), returns how long until it may be written, and, if it was the
// first held for its mark, the number of the timer the caller sets. Full,
// it forgets the writes older than r.every, then everything: a write more
// then, never one lost.
func (r *readMarks) take(read heldRead, now time.Time, first bool) (write heldRead, again time.Duration, timer uint64) {
	m := read.mark()
	r.mu.Lock()
	defer r.mu.Unlock()
	if last, ok := r.last[m]; ok && !first && now.Sub(last) < r.every && now.Sub(last) >= 0 {
		if h, ok := r.held[m]; ok {
			if read.upToSeq > h.upToSeq {
				read.timer = h.timer
				r.held[m] = read
			}
			return heldRead{}, r.every - now.Sub(last), 0
		}
		if len(r.held) < r.maxHeld {
			r.timers++
			read.timer = r.timers
			r.held[m] = read
			return heldRead{}, r.every - now.Sub(last), read.timer
		}
	}
	if h, ok := r.held[m]; ok && h.upToSeq > read.upToSeq {
		read = h
	}
	delete(r.held, m)
	if _, ok := r.last[m]; !ok && len(r.last) >= r.max {
		for k, t := range r.last {
			if _, waits := r.held[k]; !waits && (now.Sub(t) >= r.every || now.Sub(t) < 0) {
				delete(r.last, k)
			}
		}
		if len(r.last) >= r.max {
			clear(r.last)
		}
	}
	r.last[m] = now
	return read, 0, 0
}

// release returns the position held for m under timer, if any, and
// counts it as written at now.
func (r *readMarks) release(m readMark, timer uint64, now time.Time) (heldRead, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	read, ok := r.held[m]
	ok = ok && read.timer == timer
	if ok {
		delete(r.held, m)
		r.last[m] = now
	}
	return read, ok
}

// drain returns every position held and forgets them.
func (r *readMarks) drain() []heldRead {
	r.mu.Lock()
	defer r.mu.Unlock()
	reads := make([]heldRead, 0, len(r.held))
	for _, h := range r.held {
		reads = append(reads, h)
	}
	clear(r.held)
	return reads
}
