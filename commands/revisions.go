package commands

import (
	"context"

	"forum/events"
	"forum/fault"
	"forum/projections"
)

// Revision is one version of a post as it was written.
type Revision struct {
	Title      string   `json:"title"`
	Body       string   `json:"body"`
	BodyHTML   string   `json:"body_html"`
	Categories []string `json:"categories"`
	EditedAt   string   `json:"edited_at"`
}

// MaxRevisions bounds the versions of one post that are read back.
const MaxRevisions = 1000

// Revisions returns every version of a post, oldest first, read from the
// log: its creation and each edit. They answer as the post does: a post
// that is deleted or not there is ENOTFOUND, and so is a hidden one unless
// reveal (a moderator reads); the versions of an erased author's post read
// as [deleted].
func (s *Service) Revisions(ctx context.Context, postID string, reveal bool) ([]Revision, error) {
	if !events.ValidID(postID) {
		return nil, fault.Errorf(fault.ENOTFOUND, "post not found")
	}
	p, err := s.DB.Post(ctx, postID, "")
	if err != nil {
		return nil, err
	}
	if p.Deleted || (p.Hidden && !reveal) {
		return nil, fault.Errorf(fault.ENOTFOUND, "post not found")
	}
	author, err := s.DB.StandingOf(ctx, p.Author.ID)
	if err != nil {
		return nil, err
	}
	evs, err := s.Store.History(ctx, []string{events.PostCreated.Subject(postID), events.PostEdited.Subject(postID)}, MaxRevisions)
	if err != nil {
		return nil, err
	}
	out := make([]Revision, 0, len(evs))
	for _, ev := range evs {
		var d events.PostEditedData // post.created has the same content fields
		if author.Erased {
			if err := ev.Payload(&d); err != nil {
				continue
			}
			d.Title, d.Body = projections.ErasedText, projections.ErasedText
		} else if err := s.openedPayload(ctx, ev, &d); err != nil {
			continue
		}
		out = append(out, Revision{Title: d.Title, Body: d.Body, BodyHTML: projections.RenderMarkdown(d.Body), Categories: d.Categories,
			EditedAt: projections.FormatTime(ev.Time)})
	}
	return out, nil
}
