package projections

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"forum/events"
)

// Upload is an uploaded picture as its uploader sees it: where it and its
// thumbnail are served, its type, size in pixels and in bytes.
type Upload struct {
	ID          string `json:"id"`
	URL         string `json:"url"`
	ThumbURL    string `json:"thumb_url"`
	ContentType string `json:"content_type"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	Size        int64  `json:"size"`
	// What serving it needs: its owner, its thumbnail's type and size,
	// when it came and whether anything shows it.
	OwnerID   string `json:"-"`
	ThumbType string `json:"-"`
	ThumbSize int64  `json:"-"`
	CreatedAt string `json:"-"`
	Used      bool   `json:"-"`
	Seq       uint64 `json:"-"`
}

// MediaURL is where an upload is served; ThumbURL its thumbnail.
func MediaURL(id string) string { return "/media/" + id }

// ThumbURL is where an upload's thumbnail is served.
func ThumbURL(id string) string { return "/media/" + id + "/thumb" }

func (a *applier) uploadCreated(ev events.Event, d events.UploadCreatedData) error {
	hash := d.Hash
	if hash == events.ErasedText { // its owner is erased: nothing finds it again
		hash = ""
	}
	_, err := a.exec(`INSERT OR IGNORE INTO uploads(id, seq, owner_id, content_type, size, width, height, thumb_type, thumb_size, thumb_width, thumb_height, created_at, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, d.UploadID, ev.Seq, d.OwnerID, d.ContentType, d.Size, d.Width, d.Height,
		d.ThumbType, d.ThumbSize, d.ThumbWidth, d.ThumbHeight, FormatTime(ev.Time), hash)
	return err
}

// uploadDeleted deletes an upload. A sweep's deletion of one found unused
// is void if a body or an avatar came to show the upload before it in the
// log (the sweep read the read models a moment earlier): the upload stays,
// marked used, so no instance sweeps it again or drops its objects.
func (a *applier) uploadDeleted(_ events.Event, d events.UploadDeletedData) error {
	query := `UPDATE uploads SET deleted = 1, hash = '' WHERE id = ?`
	if d.Reason == events.UploadUnused {
		query += ` AND used = 0`
	}
	deleted, err := a.execChanged(query, d.UploadID)
	if err != nil || !deleted {
		return err
	}
	_, err = a.exec(`UPDATE users SET avatar = '' WHERE id = ? AND avatar = ?`, d.OwnerID, d.UploadID)
	return err
}

func (a *applier) avatarSet(_ events.Event, d events.AvatarSetData) error {
	if d.UploadID != "" {
		shown, err := a.execChanged(`UPDATE uploads SET used = 1 WHERE id = ? AND owner_id = ? AND deleted = 0`, d.UploadID, d.UserID)
		if err != nil || !shown {
			return err // not an upload of theirs that is kept: nothing to show
		}
	}
	_, err := a.exec(`UPDATE users SET avatar = ? WHERE id = ? AND erased = 0`, d.UploadID, d.UserID)
	return err
}

// maxImages bounds the pictures of one body that are looked up (and shown):
// those after it stay links.
const maxImages = 50

// renderBody renders body as its event says, showing the pictures of this
// forum it names that the read models hold at this point of the log (so a
// rebuild shows the same), and marks those pictures used.
func (a *applier) renderBody(body string, r events.Rendering) (string, error) {
	var used []string
	var failed error
	html := RenderBodyWith(body, r, func(id string) (MediaInfo, bool) {
		var m MediaInfo
		if len(used) >= maxImages || failed != nil {
			return m, false
		}
		err := a.scanRow(`SELECT width, height FROM uploads WHERE id = ? AND deleted = 0`, []any{id}, &m.Width, &m.Height)
		if err != nil {
			if !errors.Is(err, sql.ErrNoRows) {
				failed = err
			}
			return m, false
		}
		used = append(used, id)
		return m, true
	})
	if failed != nil {
		return "", failed
	}
	for _, id := range used {
		if _, err := a.exec(`UPDATE uploads SET used = 1 WHERE id = ? AND used = 0`, id); err != nil {
			return "", err
		}
	}
	return html, nil
}

// MediaLookup returns a lookup of the kept uploads, as a body written now
// would show them, for a preview: at most maxImages a rendering, and it
// marks none used.
func (db *DB) MediaLookup(ctx context.Context) MediaLookup {
	shown := 0
	return func(id string) (MediaInfo, bool) {
		if shown >= maxImages {
			return MediaInfo{}, false
		}
		u, err := db.Upload(ctx, events.UploadID(id))
		if err != nil {
			return MediaInfo{}, false
		}
		shown++
		return MediaInfo{Width: u.Width, Height: u.Height}, true
	}
}

const uploadCols = `id, seq, owner_id, content_type, size, width, height, thumb_type, thumb_size, created_at, used`

func scanUpload(row scanner) (u Upload, err error) {
	err = row.Scan(&u.ID, &u.Seq, &u.OwnerID, &u.ContentType, &u.Size, &u.Width, &u.Height, &u.ThumbType, &u.ThumbSize, &u.CreatedAt, &u.Used)
	u.URL, u.ThumbURL = MediaURL(u.ID), ThumbURL(u.ID)
	return u, err
}

// Upload returns an upload that is kept (not deleted, its owner not
// erased), ENOTFOUND otherwise.
func (db *DB) Upload(ctx context.Context, id events.UploadID) (Upload, error) {
	return one(ctx, db, "upload", `SELECT `+uploadCols+` FROM uploads WHERE id = ? AND deleted = 0`, scanUpload, string(id))
}

// UploadOfHash returns owner's kept upload of the picture whose hex SHA-256
// is hash, if it is shown somewhere or was made at or after since (one
// older and shown nowhere is soon swept, so it is not answered again):
// ENOTFOUND otherwise.
func (db *DB) UploadOfHash(ctx context.Context, owner events.UserID, hash string, since time.Time) (Upload, error) {
	if hash == "" {
		return Upload{}, errors.New("upload of hash: no hash")
	}
	return one(ctx, db, "upload", `SELECT `+uploadCols+` FROM uploads WHERE owner_id = ? AND hash = ? AND deleted = 0 AND (used = 1 OR created_at >= ?) ORDER BY seq DESC LIMIT 1`,
		scanUpload, string(owner), hash, FormatTime(since))
}

// UploadQuota is what an uploader has used of their quotas.
type UploadQuota struct {
	// Today is how many uploads they made since the time asked about.
	Today int
	// Bytes are the sizes of their kept uploads and thumbnails.
	Bytes int64
	// LastSeq is the sequence of their latest upload (0: none).
	LastSeq uint64
}

// UploadQuota returns what owner has used of their quotas: uploads since
// since, bytes kept, and their latest upload's sequence.
func (db *DB) UploadQuota(ctx context.Context, owner events.UserID, since time.Time) (UploadQuota, error) {
	var q UploadQuota
	err := db.queryRow(ctx, `SELECT COALESCE(SUM(created_at >= ?2), 0), COALESCE(SUM(CASE WHEN deleted = 0 THEN size + thumb_size ELSE 0 END), 0), COALESCE(MAX(seq), 0)
		FROM uploads WHERE owner_id = ?1`, string(owner), FormatTime(since)).Scan(&q.Today, &q.Bytes, &q.LastSeq)
	return q, err
}

// UnusedUploads returns up to limit kept uploads that nothing shows, made
// before before, oldest first.
func (db *DB) UnusedUploads(ctx context.Context, before time.Time, limit int) ([]Upload, error) {
	page, err := readList(ctx, db, list[Upload]{query: `SELECT ` + uploadCols + ` FROM uploads WHERE used = 0 AND deleted = 0 AND created_at < ? ORDER BY created_at LIMIT ?`,
		args: []any{FormatTime(before), limit}, scan: scanUpload})
	return page.Items, err
}

// UploadsOf returns the ids of owner's kept uploads (at most 10,000).
func (db *DB) UploadsOf(ctx context.Context, owner events.UserID) ([]string, error) {
	page, err := readList(ctx, db, list[string]{query: `SELECT id FROM uploads WHERE owner_id = ? AND deleted = 0 ORDER BY seq LIMIT 10000`,
		args: []any{string(owner)}, scan: func(row scanner) (id string, err error) { err = row.Scan(&id); return id, err }})
	return page.Items, err
}
