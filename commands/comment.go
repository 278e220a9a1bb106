package commands

import (
	"context"
	"errors"

	"forum/events"
	"forum/fault"
	"forum/projections"
)

// maxCommentLen is the longest comment body, in characters.
const maxCommentLen = 10000

// openPost returns ENOTFOUND if the post does not exist, and ECONFLICT if
// it takes no comments: deleted or hidden by a moderator, or locked by one
// (from anyone, moderators too: they unlock it first).
func (s *Service) openPost(ctx context.Context, id, author string) error {
	if err := checkID("post", id); err != nil {
		return err
	}
	p, err := s.DB.Post(ctx, events.PostID(id), "")
	if err != nil {
		return err
	}
	if err := postTakes(p, "comments"); err != nil {
		return err
	}
	if p.Locked {
		return fault.Errorf(fault.ECONFLICT, "the post is locked by a moderator and takes no new comments")
	}
	return nil
}

// postTakes says why a post takes no new comments or votes (what), as
// ECONFLICT: deleted or hidden by a moderator; nil when it takes them. A
// lock closes a post to comments only (openPost): votes go on.
func postTakes(p projections.Post, what string) error {
	switch {
	case p.Deleted:
		return fault.Errorf(fault.ECONFLICT, "the post was deleted")
	case p.Hidden:
		return fault.Errorf(fault.ECONFLICT, "the post was hidden by a moderator and takes no %s", what)
	}
	return nil
}

// CommentInput is a new comment by Author on post PostID, answering the
// comment ReplyTo of the same post when set.
type CommentInput struct {
	Author  events.UserID
	PostID  events.PostID
	Body    string
	ReplyTo events.CommentID
}

// checkReplyTo refuses (EINVALID, field reply_to) a comment to answer that
// is not a shown comment of post: unknown, of another post, deleted or
// hidden by a moderator.
func (s *Service) checkReplyTo(ctx context.Context, post string, id events.CommentID) error {
	if id == "" {
		return nil
	}
	bad := func(why string) error { return fault.FieldError(fault.EINVALID, "reply_to", why) }
	if !events.ValidID(string(id)) {
		return bad("reply_to names no comment")
	}
	c, err := s.DB.Comment(ctx, id, "")
	switch {
	case fault.Code(err) == fault.ENOTFOUND:
		return bad("reply_to names no comment")
	case err != nil:
		return err
	case c.PostID != post:
		return bad("reply_to must be a comment of the same post")
	case c.Deleted || c.Hidden:
		return bad("the comment replied to is no longer shown")
	}
	return nil
}

// CreateComment comments on a post and returns the comment's id. It is
// decided against the post's latest lock or unlock (underLock): a comment
// by a member never lands after a lock of its post.
func (s *Service) CreateComment(ctx context.Context, in CommentInput) (events.CommentID, error) {
	author, postID, body := string(in.Author), string(in.PostID), in.Body
	id := s.NewID()
	decide := func() error {
		if err := s.openPost(ctx, postID, author); err != nil {
			return err
		}
		if err := checkText("body", body, 1, maxCommentLen); err != nil {
			return err
		}
		return s.checkReplyTo(ctx, postID, in.ReplyTo)
	}
	data := events.CommentCreatedData{CommentID: id, PostID: postID, AuthorID: author, Body: body, Render: s.rendering(body), ReplyTo: in.ReplyTo}
	var ack events.Ack
	err := s.underLock(ctx, postID, decide, func(opts ...events.AppendOption) (err error) {
		ack, err = s.emit(ctx, events.CommentCreated, id, author, data, opts...)
		return err
	})
	if ack.Duplicate { // a retried write: the comment is the first attempt's
		var d events.CommentCreatedData
		if err := s.original(ctx, ack, &d); err != nil {
			return "", err
		}
		id = d.CommentID
	}
	return events.CommentID(id), withID(err, id)
}

// lockAttempts bounds how often underLock decides again when a lock or
// unlock of the post lands meanwhile.
const lockAttempts = 5

// underLock runs decide against the read models once they include the
// latest lock or unlock of post (they share one subject), then appends
// with appendIt, expecting that subject unchanged: a write decided while
// the post was open that a lock overtakes is decided again, and refused.
// Every attempt appends with the same message id, so a retried write is
// still stored once.
func (s *Service) underLock(ctx context.Context, post string, decide func() error, appendIt func(...events.AppendOption) error) error {
	subject := events.PostLocked.Subject(post)
	msgID := s.msgID(ctx)
	for range lockAttempts {
		var seq uint64
		switch last, err := s.Store.Last(ctx, subject); {
		case errors.Is(err, events.ErrNoEvent):
		case err != nil:
			return err
		default:
			seq = last.Seq
		}
		if err := s.wait(ctx, seq); err != nil {
			return err
		}
		if err := decide(); err != nil {
			return err
		}
		opts := append(msgID, events.ExpectLastSeqOn(subject, seq))
		if err := appendIt(opts...); !errors.Is(err, events.ErrConflict) {
			return err
		}
	}
	return fault.Errorf(fault.ECONFLICT, "the post was locked and unlocked meanwhile; try again")
}

// ownComment returns the comment if it exists, is not deleted and user wrote it.
func (s *Service) ownComment(ctx context.Context, user, id string) (projections.Comment, error) {
	if err := checkID("comment", id); err != nil {
		return projections.Comment{}, err
	}
	c, err := s.DB.Comment(ctx, events.CommentID(id), events.UserID(user))
	if err != nil {
		return c, err
	}
	if c.Deleted {
		return c, fault.Errorf(fault.ECONFLICT, "the comment was deleted")
	}
	if c.Author.ID != user {
		return c, fault.Errorf(fault.EFORBIDDEN, "only the author may change this comment")
	}
	return c, nil
}

// CommentEdit is User's new text Body for their comment ID.
type CommentEdit struct {
	User events.UserID
	ID   events.CommentID
	Body string
}

// EditComment changes the author's own comment; never after its delete,
// nor under a post hidden by a moderator (ECONFLICT).
func (s *Service) EditComment(ctx context.Context, edit CommentEdit) error {
	user, id := string(edit.User), string(edit.ID)
	c, err := s.ownComment(ctx, user, id)
	if err != nil {
		return err
	}
	if err := s.threadOpen(ctx, c.PostID); err != nil {
		return err
	}
	if err := checkText("body", edit.Body, 1, maxCommentLen); err != nil {
		return err
	}
	return s.emitUnlessDeleted(ctx, "comment", events.CommentDeleted.Subject(id), events.CommentEdited, id, user,
		events.CommentEditedData{CommentID: id, PostID: c.PostID, Body: edit.Body, Render: s.rendering(edit.Body)})
}

// DeleteComment deletes the author's own comment, once; it shows as removed in place.
func (s *Service) DeleteComment(ctx context.Context, userID events.UserID, commentID events.CommentID) error {
	user, id := string(userID), string(commentID)
	c, err := s.ownComment(ctx, user, id)
	if err != nil {
		return err
	}
	return s.emitUnlessDeleted(ctx, "comment", events.CommentDeleted.Subject(id), events.CommentDeleted, id, user,
		events.CommentDeletedData{CommentID: id, PostID: c.PostID})
}
