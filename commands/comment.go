package commands

import (
	"context"

	"forum/events"
	"forum/projections"
)

// maxCommentLen is the longest comment body, in characters.
const maxCommentLen = 10000

// livePost returns ENOTFOUND if the post does not exist, ECONFLICT if deleted.
func (s *Service) livePost(ctx context.Context, id string) error {
	if err := checkID("post", id); err != nil {
		return err
	}
	p, err := s.DB.Post(ctx, id, "")
	if err != nil {
		return err
	}
	if p.Deleted {
		return events.Errorf(events.ECONFLICT, "the post was deleted")
	}
	return nil
}

// CreateComment comments on a post and returns the comment's id.
func (s *Service) CreateComment(ctx context.Context, author, postID, body string) (string, error) {
	if err := s.livePost(ctx, postID); err != nil {
		return "", err
	}
	if err := checkText("body", body, 1, maxCommentLen); err != nil {
		return "", err
	}
	id := s.NewID()
	env, err := s.event(events.CommentCreated, author, events.CommentCreatedData{CommentID: id, PostID: postID, AuthorID: author, Body: body})
	if err != nil {
		return "", err
	}
	_, err = s.append(ctx, events.CommentSubject(id, "created"), env)
	return id, err
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
		return c, events.Errorf(events.ECONFLICT, "the comment was deleted")
	}
	if c.Author.ID != user {
		return c, events.Errorf(events.EFORBIDDEN, "only the author may change this comment")
	}
	return c, nil
}

// EditComment changes the author's own comment.
func (s *Service) EditComment(ctx context.Context, user, id, body string) error {
	c, err := s.ownComment(ctx, user, id)
	if err != nil {
		return err
	}
	if err := checkText("body", body, 1, maxCommentLen); err != nil {
		return err
	}
	env, err := s.event(events.CommentEdited, user, events.CommentEditedData{CommentID: id, PostID: c.PostID, Body: body})
	if err != nil {
		return err
	}
	_, err = s.append(ctx, events.CommentSubject(id, "edited"), env)
	return err
}

// DeleteComment deletes the author's own comment; it shows as removed in place.
func (s *Service) DeleteComment(ctx context.Context, user, id string) error {
	c, err := s.ownComment(ctx, user, id)
	if err != nil {
		return err
	}
	env, err := s.event(events.CommentDeleted, user, events.CommentDeletedData{CommentID: id, PostID: c.PostID})
	if err != nil {
		return err
	}
	_, err = s.append(ctx, events.CommentSubject(id, "deleted"), env)
	return err
}
