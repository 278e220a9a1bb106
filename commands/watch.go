package commands

import (
	"context"

	"forum/events"
	"forum/fault"
)

// checkLevel validates a watch level.
func checkLevel(level events.WatchLevel) error {
	if !level.Valid() {
		return fault.FieldError(fault.EINVALID, "level", `level must be "watching", "normal" or "muted"`)
	}
	return nil
}

// WatchPost sets user's watch level on post. The level set already adds no
// event. ENOTFOUND for a post that does not exist, ECONFLICT for a deleted
// or hidden one, and for a level on a post past Config.MaxPostWatches
// posts with one.
func (s *Service) WatchPost(ctx context.Context, user events.UserID, post events.PostID, level events.WatchLevel) error {
	if err := checkLevel(level); err != nil {
		return err
	}
	if err := checkID("post", string(post)); err != nil {
		return err
	}
	return s.decideOwn(ctx, events.WatchSet, user, func() (events.Type, any, error) {
		p, err := s.DB.Post(ctx, post, "")
		if err == nil {
			err = postTakes(p, "watch levels")
		}
		if err != nil {
			return "", nil, err
		}
		own, n, err := s.DB.PostWatchState(ctx, user, post)
		switch {
		case err != nil || own == level:
			return "", nil, err
		case own == "" && n >= s.MaxPostWatches:
			return "", nil, fault.Errorf(fault.ECONFLICT, "at most %d posts with a watch level: set one back first", s.MaxPostWatches)
		}
		return events.WatchSet, events.WatchSetData{UserID: string(user), PostID: post, Level: level}, nil
	})
}

// WatchCategory sets user's watch level on the category slug (normal takes
// the level away). The level set already adds no event; ENOTFOUND for a
// category that does not exist.
func (s *Service) WatchCategory(ctx context.Context, user events.UserID, slug string, level events.WatchLevel) error {
	if err := checkLevel(level); err != nil {
		return err
	}
	if missing, err := s.DB.MissingCategory(ctx, []string{slug}); err != nil || missing != "" {
		if err == nil {
			err = fault.Errorf(fault.ENOTFOUND, "category not found")
		}
		return err
	}
	return s.decideOwn(ctx, events.WatchSet, user, func() (events.Type, any, error) {
		now, err := s.DB.CategoryWatch(ctx, user, slug)
		if err != nil || now == level {
			return "", nil, err
		}
		return events.WatchSet, events.WatchSetData{UserID: string(user), Category: slug, Level: level}, nil
	})
}
