package commands

import (
	"context"

	"forum/events"
	"forum/fault"
	"forum/projections"
)

// maxCommentLen is the longest comment body, in characters.
const maxCommentLen = 10000

// openPost returns ENOTFOUND if the post does not exist, and ECONFLICT if
// it takes no comments: deleted or hidden by a moderator.
func (s *Service) openPost(ctx context.Context, id string) error {
	if err := checkID("post", id); err != nil {
		return err
	}
	p, err := s.DB.Post(ctx, id, "")
	if err != nil {
		return err
	}
	return takesComments(p)
}

// takesComments says why a post takes no new comment (ECONFLICT), or nil.
// A lock, when posts have one, belongs here too.
func takesComments(p projections.Post) error {
	switch {
	case p.Deleted:
		return fault.Errorf(fault.ECONFLICT, "the post was deleted")
	case p.Hidden:
		return fault.Errorf(fault.ECONFLICT, "the post was hidden by a moderator and takes no comments")
	}
	return nil
}

// CommentInput is a new comment by Author on post PostID.
type CommentInput struct {
	Author string
	PostID string
	Body   string
}

// CreateComment comments on a post and returns the comment's id.
func (s *Service) CreateComment(ctx context.Context, in CommentInput) (string, error) {
	if err := s.openPost(ctx, in.PostID); err != nil {
		return "", err
	}
	if err := checkText("body", in.Body, 1, maxCommentLen); err != nil {
		return "", err
	}
	id := s.NewID()
	ack, err := s.emit(ctx, events.CommentCreated, id, in.Author, events.CommentCreatedData{CommentID: id, PostID: in.PostID, AuthorID: in.Author, Body: in.Body, Render: rendering(in.Body)})
	if ack.Duplicate { // a retried write: the comment is the first attempt's
		var d events.CommentCreatedData
		if err := s.original(ctx, ack, &d); err != nil {
			return "", err
		}
		id = d.CommentID
	}
	return id, withID(err, id)
}

// ownComment returns the comment if it exists, is not deleted and user wrote it.
func (s *Service) ownComment(ctx context.Context, user, id string) (projections.Comment, error) {
	if err := checkID("comment", id); err != nil {
		return projections.Comment{}, err
	}
	c, err := s.DB.Comment(ctx, id, user)
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
	User string
	ID   string
	Body string
}

// EditComment changes the author's own comment; never after its delete,
// nor under a post hidden by a moderator (ECONFLICT).
func (s *Service) EditComment(ctx context.Context, edit CommentEdit) error {
	c, err := s.ownComment(ctx, edit.User, edit.ID)
	if err != nil {
		return err
	}
	if err := s.threadOpen(ctx, c.PostID); err != nil {
		return err
	}
	if err := checkText("body", edit.Body, 1, maxCommentLen); err != nil {
		return err
	}
	return s.emitUnlessDeleted(ctx, "comment", events.CommentDeleted.Subject(edit.ID), events.CommentEdited, edit.ID, edit.User,
		events.CommentEditedData{CommentID: edit.ID, PostID: c.PostID, Body: edit.Body, Render: rendering(edit.Body)})
}

// DeleteComment deletes the author's own comment, once; it shows as removed in place.
func (s *Service) DeleteComment(ctx context.Context, user, id string) error {
	c, err := s.ownComment(ctx, user, id)
	if err != nil {
		return err
	}
	return s.emitUnlessDeleted(ctx, "comment", events.CommentDeleted.Subject(id), events.CommentDeleted, id, user,
		events.CommentDeletedData{CommentID: id, PostID: c.PostID})
}
