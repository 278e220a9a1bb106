package commands

import (
	"context"

	"forum/events"
	"forum/fault"
	"forum/projections"
)

// Revision is one version of a post as it was written.
type Revision = projections.Revision

// Revisions returns a page of the versions of a post, oldest first: its
// creation and each edit, as the read models keep them rendered (a read
// renders nothing). They answer as the post does: a post that is deleted or
// not there is ENOTFOUND, and so is a hidden one unless reveal (a moderator
// reads); the versions of an erased author's post read as [deleted], as the
// read models keep them since the erasure.
func (s *Service) Revisions(ctx context.Context, postID events.PostID, reveal bool, req projections.PageRequest) (projections.Page[Revision], error) {
	var none projections.Page[Revision]
	if !events.ValidID(string(postID)) {
		return none, fault.Errorf(fault.ENOTFOUND, "post not found")
	}
	p, err := s.DB.Post(ctx, postID, "")
	if err != nil {
		return none, err
	}
	if p.Deleted || (p.Hidden && !reveal) {
		return none, fault.Errorf(fault.ENOTFOUND, "post not found")
	}
	return s.DB.Revisions(ctx, postID, req)
}
