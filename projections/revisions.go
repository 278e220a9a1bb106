package projections

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"forum/events"
)

// Revision is one version of a post as it was written: its creation or an
// edit, with the HTML the projector rendered for it. Seq, the stream
// sequence of that event, orders and pages the versions.
type Revision struct {
	Seq        uint64   `json:"-"`
	Title      string   `json:"title"`
	Body       string   `json:"body"`
	BodyHTML   string   `json:"body_html"`
	Categories []string `json:"categories"`
	EditedAt   string   `json:"edited_at"`
}

// keepVersion stores the version of post id written by the event at seq,
// rendered as html. A redelivered event finds its row there already.
func (a *applier) keepVersion(seq uint64, id, title, body, html string, cats []string, at time.Time) error {
	raw, _ := json.Marshal(cats)
	_, err := a.exec(`INSERT OR IGNORE INTO post_versions(seq, post_id, title, body, body_html, categories, edited_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		seq, id, title, body, html, string(raw), FormatTime(at))
	return err
}

// dropVersions forgets every version of post id: it was deleted.
func (a *applier) dropVersions(id string) error {
	_, err := a.exec(`DELETE FROM post_versions WHERE post_id = ?`, id)
	return err
}

const (
	revisionCols   = `seq, title, body, body_html, categories, edited_at`
	revisionsQuery = `SELECT ` + revisionCols + ` FROM post_versions WHERE post_id = ? AND seq > ? ORDER BY seq LIMIT ?`
	revisionQuery  = `SELECT ` + revisionCols + ` FROM post_versions WHERE seq = ?`
)

func scanRevision(row scanner) (Revision, error) {
	var r Revision
	var cats string
	if err := row.Scan(&r.Seq, &r.Title, &r.Body, &r.BodyHTML, &cats, &r.EditedAt); err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(cats), &r.Categories); err != nil {
		return r, fmt.Errorf("revision %d categories: %w", r.Seq, err)
	}
	return r, nil
}

// Revisions returns a page of the stored versions of post id, oldest first,
// with their HTML as rendered when they were written: reading them renders
// nothing. A page holds at most maxRevisionsText bytes of text. Who may read them is the caller's to decide; a post that is not
// there, or deleted, has none.
func (db *DB) Revisions(ctx context.Context, id events.PostID, req PageRequest) (Page[Revision], error) {
	after, err := decodeCursor(req.Cursor)
	if err != nil {
		return Page[Revision]{}, err
	}
	page, err := readList(ctx, db, list[Revision]{
		query: revisionsQuery,
		args:  []any{string(id), after},
		limit: ClampLimit(req.Limit, DefaultLimit),
		scan:  scanRevision,
		key:   func(r Revision) uint64 { return r.Seq },
	})
	if err != nil {
		return page, err
	}
	return capRevisions(page), nil
}

// maxRevisionsText bounds the text of one page of versions, in bytes (a
// version is at most about 100 KiB with its HTML).
const maxRevisionsText = 512 << 10

// capRevisions ends page early, its next cursor going on from there, once
// it holds maxRevisionsText bytes of text; it keeps one version at least.
func capRevisions(page Page[Revision]) Page[Revision] {
	size := 0
	for i, r := range page.Items {
		size += len(r.Title) + len(r.Body) + len(r.BodyHTML)
		if size > maxRevisionsText && i > 0 {
			page.Items = page.Items[:i]
			page.Next = encodeCursor(page.Items[i-1].Seq)
			break
		}
	}
	return page
}

// RevisionAt returns the version of a post written by the event at seq;
// ok is false when that event wrote none that is kept (not a post's
// version, or the post was deleted).
func (db *DB) RevisionAt(ctx context.Context, seq uint64) (r Revision, ok bool, err error) {
	r, err = scanRevision(db.queryRow(ctx, revisionQuery, seq))
	if errors.Is(err, sql.ErrNoRows) {
		return Revision{}, false, nil
	}
	return r, err == nil, err
}
