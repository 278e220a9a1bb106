package commands

import (
	"context"
	"errors"
	"fmt"

	"forum/events"
	"forum/fault"
)

// SetBookmark bookmarks post for user (on), or takes the bookmark away. A
// post bookmarked already, or not bookmarked, stays as it is: no event.
// ENOTFOUND for a post that does not exist; bookmarking a deleted or hidden
// post is ECONFLICT, and so is a bookmark past Config.MaxBookmarks.
func (s *Service) SetBookmark(ctx context.Context, user events.UserID, post events.PostID, on bool) error {
	if err := checkID("post", string(post)); err != nil {
		return err
	}
	data := events.BookmarkData{UserID: string(user), PostID: post}
	return s.decideOwn(ctx, events.BookmarkAdded, user, func() (events.Type, any, error) {
		p, err := s.DB.Post(ctx, post, "")
		if err != nil {
			return "", nil, err
		}
		marked, n, err := s.DB.BookmarkState(ctx, user, post)
		switch {
		case err != nil || marked == on:
			return "", nil, err
		case !on:
			return events.BookmarkRemoved, data, nil
		}
		if err := postTakes(p, "bookmarks"); err != nil {
			return "", nil, err
		}
		if n >= s.MaxBookmarks {
			return "", nil, fault.Errorf(fault.ECONFLICT, "at most %d bookmarks: remove one first", s.MaxBookmarks)
		}
		return events.BookmarkAdded, data, nil
	})
}

// ownAttempts bounds how often decideOwn decides again when another write
// of the same user landed first.
const ownAttempts = 5

// decideOwn appends the event decide returns (none for typ "") to the
// subject user's events of typ's aggregate share, decided against the read
// models once they include the latest of them: a second write of the same
// user racing it lands first or sees it, so a bound per user holds
// exactly and a repeated write adds nothing. When one lands meanwhile,
// decide runs again.
func (s *Service) decideOwn(ctx context.Context, subjectOf events.Type, user events.UserID, decide func() (events.Type, any, error)) error {
	subject := subjectOf.Subject(string(user))
	for range ownAttempts {
		var seq uint64
		last, err := s.Store.Last(ctx, subject)
		switch {
		case errors.Is(err, events.ErrNoEvent):
		case err != nil:
			return err
		default:
			seq = last.Seq
		}
		if err := s.wait(ctx, seq); err != nil {
			return err
		}
		typ, data, err := decide()
		if err != nil || typ == "" {
			return err
		}
		if typ.Subject(string(user)) != subject {
			return fmt.Errorf("decideOwn: %s does not go to %s", typ, subject)
		}
		_, err = s.emit(ctx, typ, string(user), string(user), data, events.ExpectLastSubjectSeq(seq))
		if !errors.Is(err, events.ErrConflict) {
			return err
		}
	}
	return fault.Errorf(fault.ECONFLICT, "your other changes kept landing first; try again")
}
