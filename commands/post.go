package commands

import (
	"context"

	"forum/events"
	"forum/fault"
	"forum/projections"
)

// PostInput is the content of a post.
type PostInput struct {
	Title      string   `json:"title"`
	Body       string   `json:"body"`
	Categories []string `json:"categories"`
}

// MaxPostBody is the longest post body, in characters.
const MaxPostBody = 20000

// Preview returns body rendered as it would show once posted.
func Preview(body string) (string, error) { return PreviewWith(body, nil) }

// PreviewWith is Preview showing the pictures media knows (the forum's
// uploads, as a body written now would show them).
func PreviewWith(body string, media projections.MediaLookup) (string, error) {
	if err := checkText("body", body, 1, MaxPostBody); err != nil {
		return "", err
	}
	html, _ := decideRenderingWithin(body, media, projections.RenderBudget)
	return html, nil
}

// validatePost checks lengths and that the categories are 1 to 5 existing ones
// (repeats are dropped, order kept).
func (s *Service) validatePost(ctx context.Context, in *PostInput) error {
	if err := checkText("title", in.Title, 1, 200); err != nil {
		return err
	}
	if err := checkText("body", in.Body, 1, MaxPostBody); err != nil {
		return err
	}
	seen := map[string]bool{}
	cats := in.Categories[:0:0]
	for _, c := range in.Categories {
		if !seen[c] {
			seen[c] = true
			cats = append(cats, c)
		}
	}
	in.Categories = cats
	if len(cats) < 1 || len(cats) > 5 {
		return fault.FieldError(fault.EINVALID, "categories", "choose 1 to 5 categories")
	}
	missing, err := s.DB.MissingCategory(ctx, cats)
	if err != nil {
		return err
	}
	if missing != "" {
		return fault.FieldError(fault.EINVALID, "categories", "there is no category "+quote(missing))
	}
	return nil
}

// quote quotes user input for a message, cut to 40 characters (never
// inside one, which would leave invalid UTF-8).
func quote(s string) string {
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "…"
	}
	return "\"" + s + "\""
}

// CreatePost publishes a new post by author and returns it as the read
// models show it to its author. A retried write returns the first
// attempt's post as it is now; a *Stored error carries the id.
func (s *Service) CreatePost(ctx context.Context, authorID events.UserID, in PostInput) (projections.Post, error) {
	author := string(authorID)
	if err := s.validatePost(ctx, &in); err != nil {
		return projections.Post{}, err
	}
	id := s.NewID()
	ack, err := s.emit(ctx, events.PostCreated, id, author, events.PostCreatedData{PostID: id, AuthorID: author, Title: in.Title, Body: in.Body, Categories: in.Categories, Render: s.rendering(in.Body)})
	if ack.Duplicate { // a retried write: the post is the first attempt's
		var d events.PostCreatedData
		if err := s.original(ctx, ack, &d); err != nil {
			return projections.Post{}, err
		}
		id = d.PostID
	}
	if err != nil {
		return projections.Post{ID: id}, withID(err, id)
	}
	if ack.Duplicate {
		return s.DB.Post(ctx, events.PostID(id), authorID)
	}
	user, err := s.DB.User(ctx, authorID)
	if err != nil {
		return projections.Post{ID: id}, err
	}
	return s.DB.FreshPost(ctx, events.PostID(id), ack.Seq, user, in.Title, in.Body, in.Categories, ack.Time)
}

// PostPatch holds the fields of a post to change; nil ones stay as they are.
type PostPatch struct {
	Title      *string   `json:"title"`
	Body       *string   `json:"body"`
	Categories *[]string `json:"categories"`
}

// ownPost returns the post if it exists, is not deleted and user wrote it:
// ENOTFOUND, ECONFLICT (deleted) or EFORBIDDEN otherwise.
func (s *Service) ownPost(ctx context.Context, user, id string) (projections.Post, error) {
	if err := checkID("post", id); err != nil {
		return projections.Post{}, err
	}
	p, err := s.DB.Post(ctx, events.PostID(id), events.UserID(user))
	if err != nil {
		return p, err
	}
	if p.Deleted {
		return p, fault.Errorf(fault.ECONFLICT, "the post was deleted")
	}
	if p.Author.ID != user {
		return p, fault.Errorf(fault.EFORBIDDEN, "only the author may change this post")
	}
	return p, nil
}

// PostEdit is User's change to their post ID.
type PostEdit struct {
	User  events.UserID
	ID    events.PostID
	Patch PostPatch
}

// EditPost changes the author's own post; the earlier versions stay in the
// log. An edit never lands after the post's delete (ECONFLICT), however
// far behind this instance's read models are; a post hidden by a moderator
// takes none either (ECONFLICT).
func (s *Service) EditPost(ctx context.Context, edit PostEdit) error {
	user, id := string(edit.User), string(edit.ID)
	p, err := s.ownPost(ctx, user, id)
	if err != nil {
		return err
	}
	if p.Hidden {
		return fault.Errorf(fault.ECONFLICT, "the post was hidden by a moderator and takes no edits")
	}
	in := PostInput{Title: p.Title, Body: p.Body, Categories: p.Categories}
	if edit.Patch.Title != nil {
		in.Title = *edit.Patch.Title
	}
	if edit.Patch.Body != nil {
		in.Body = *edit.Patch.Body
	}
	if edit.Patch.Categories != nil {
		in.Categories = *edit.Patch.Categories
	}
	if err := s.validatePost(ctx, &in); err != nil {
		return err
	}
	return s.emitUnlessDeleted(ctx, "post", events.PostDeleted.Subject(id), events.PostEdited, id, user,
		events.PostEditedData{PostID: id, Title: in.Title, Body: in.Body, Categories: in.Categories, Render: s.rendering(in.Body)})
}

// DeletePost deletes the author's own post, once; it shows as removed in place.
func (s *Service) DeletePost(ctx context.Context, userID events.UserID, postID events.PostID) error {
	user, id := string(userID), string(postID)
	if _, err := s.ownPost(ctx, user, id); err != nil {
		return err
	}
	return s.emitUnlessDeleted(ctx, "post", events.PostDeleted.Subject(id), events.PostDeleted, id, user, events.PostDeletedData{PostID: id})
}
