package projections

import (
	"database/sql"
	"errors"
)

// A post hidden by a moderator hides its thread with it: the comments under
// it leave search and their notifications go, and only moderators read
// them (Comments and the gateway's single comment). Restoring the post
// brings its shown comments back into search; notifications stay gone, as
// the post's own do.

// setThreadShown takes the comments of post id out of search and forgets
// their notifications (shown false), or puts those that show back into
// search (shown true: not deleted, not hidden themselves, their author not
// erased).
func (a *applier) setThreadShown(id string, shown bool) error {
	steps := []string{
		`DELETE FROM search_docs WHERE rowid IN (SELECT seq FROM comments WHERE post_id = ?)`,
		`DELETE FROM notifications WHERE seq IN (SELECT seq FROM comments WHERE post_id = ?)`,
	}
	if shown {
		steps = []string{`INSERT INTO search_docs(rowid, title, body, kind)
			SELECT c.seq, '', c.body, '` + KindCommentDoc + `' FROM comments c JOIN users u ON u.id = c.author_id
			WHERE c.post_id = ? AND c.deleted = 0 AND c.hidden = 0 AND u.erased = 0
			AND NOT EXISTS (SELECT 1 FROM search_docs s WHERE s.rowid = c.seq)`}
	}
	for _, q := range steps {
		if _, err := a.exec(q, id); err != nil {
			return err
		}
	}
	return nil
}

// threadShown reports whether the comments of post id show to everyone:
// the post is there and not hidden.
func (a *applier) threadShown(id string) (bool, error) {
	var hidden bool
	err := a.scanRow(`SELECT hidden FROM posts WHERE id = ?`, []any{id}, &hidden)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return !hidden, err
}
