package projections

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"forum/events"
)

// Moderation: roles, suspensions, flags, hidden items, purges, blocks, and
// the log of every moderator's action, as read models of their events.

// modLogUser is the kind of a user acted on, in the moderation log.
const modLogUser events.Kind = "user"

func (a *applier) logMod(ev events.Event, action string, t events.Target, reason string) error {
	_, err := a.exec(`INSERT OR IGNORE INTO mod_log(seq, action, target_kind, target_id, by_id, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		ev.Seq, action, t.Kind, t.ID, ev.Actor, reason, FormatTime(ev.Time))
	return err
}

func (a *applier) roleSet(ev events.Event, d events.UserRoleSetData) error {
	role := d.Role
	if role == events.RoleMember {
		role = ""
	}
	if _, err := a.exec(`UPDATE users SET role = ? WHERE id = ?`, role, d.UserID); err != nil {
		return err
	}
	return a.logMod(ev, "role", events.Target{Kind: modLogUser, ID: d.UserID}, string(d.Role))
}

func (a *applier) userSuspended(ev events.Event, d events.UserSuspendedData) error {
	if _, err := a.exec(`UPDATE users SET suspended_until = ?, suspend_reason = ? WHERE id = ?`, FormatTime(d.Until), d.Reason, d.UserID); err != nil {
		return err
	}
	return a.logMod(ev, "suspend", events.Target{Kind: modLogUser, ID: d.UserID}, d.Reason)
}

func (a *applier) userUnsuspended(ev events.Event, d events.UserModData) error {
	if _, err := a.exec(`UPDATE users SET suspended_until = NULL, suspend_reason = '' WHERE id = ?`, d.UserID); err != nil {
		return err
	}
	return a.logMod(ev, "unsuspend", events.Target{Kind: modLogUser, ID: d.UserID}, d.Reason)
}

// userBlocked records a block; what the blocked user made the blocker be
// told of goes (an unblock does not bring it back).
func (a *applier) userBlocked(ev events.Event, d events.BlockData) error {
	if _, err := a.exec(`INSERT OR IGNORE INTO blocks(user_id, blocked_id, created_at) VALUES (?, ?, ?)`, d.UserID, d.BlockedID, FormatTime(ev.Time)); err != nil {
		return err
	}
	return a.forgetNotificationsFrom(d.UserID, d.BlockedID)
}

func (a *applier) userUnblocked(_ events.Event, d events.BlockData) error {
	_, err := a.exec(`DELETE FROM blocks WHERE user_id = ? AND blocked_id = ?`, d.UserID, d.BlockedID)
	return err
}

func (a *applier) flagRaised(ev events.Event, d events.FlagRaisedData) error {
	_, err := a.exec(`INSERT OR IGNORE INTO flags(id, seq, kind, target_id, target_seq, reason, by_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		d.FlagID, ev.Seq, d.Target.Kind, d.Target.ID, d.TargetSeq, d.Reason, d.UserID, FormatTime(ev.Time))
	return err
}

// flagResolved closes every open flag on the item: a dismissal is logged
// here, a hide by its own content.hidden event.
func (a *applier) flagResolved(ev events.Event, d events.FlagResolvedData) error {
	status := "dismissed"
	if d.Action == events.FlagHide {
		status = "hidden"
	}
	if _, err := a.exec(`UPDATE flags SET status = ? WHERE kind = ? AND target_id = ? AND status = 'open'`, status, d.Target.Kind, d.Target.ID); err != nil {
		return err
	}
	if d.Action == events.FlagHide {
		return nil
	}
	return a.logMod(ev, "dismiss", d.Target, "")
}

func (a *applier) contentHidden(ev events.Event, d events.ContentModData) error {
	if err := a.setHidden(d.Target, true); err != nil {
		return err
	}
	if _, err := a.exec(`UPDATE flags SET status = 'hidden' WHERE kind = ? AND target_id = ? AND status = 'open'`, d.Target.Kind, d.Target.ID); err != nil {
		return err
	}
	return a.logMod(ev, "hide", d.Target, d.Reason)
}

func (a *applier) contentRestored(ev events.Event, d events.ContentModData) error {
	if err := a.setHidden(d.Target, false); err != nil {
		return err
	}
	return a.logMod(ev, "restore", d.Target, d.Reason)
}

// setHidden hides or restores one item that is not deleted: it leaves (or
// comes back to) every list, count and search result.
func (a *applier) setHidden(t events.Target, hide bool) error {
	h := hiding(hide)
	switch t.Kind {
	case events.KindPost:
		return a.setPostHidden(t.ID, h)
	case events.KindComment:
		return a.setCommentHidden(t.ID, h)
	case events.KindMessage:
		return a.setMessageHidden(t.ID, h)
	}
	return nil
}

// hiding is one hide (true) or restore (false).
type hiding bool

// flags returns the hidden flag it changes from and to.
func (h hiding) flags() (from, to int) {
	if h {
		return 0, 1
	}
	return 1, 0
}

// delta is what it adds to the counts.
func (h hiding) delta() int {
	if h {
		return -1
	}
	return 1
}

// setPostHidden hides or restores post id: its author's count, its
// categories, its notifications (on hiding), its search entry, and its
// thread's (setThreadShown).
func (a *applier) setPostHidden(id string, h hiding) error {
	var seq uint64
	var author, title, body, cats string
	from, to := h.flags()
	err := a.scanRow(`UPDATE posts SET hidden = ? WHERE id = ? AND hidden = ? AND deleted = 0 RETURNING seq, author_id, title, body, categories`,
		[]any{to, id, from}, &seq, &author, &title, &body, &cats)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	a.bump(userPosts, author, h.delta())
	var slugs []string
	json.Unmarshal([]byte(cats), &slugs)
	if err := a.linkCategories(id, seq, slugs, h.delta()); err != nil {
		return err
	}
	if err := a.setThreadShown(id, !bool(h)); err != nil {
		return err
	}
	if h {
		if err := a.forgetNotifications(seq); err != nil {
			return err
		}
		return a.unindex(seq)
	}
	return a.index(seq, KindPostDoc, title, body)
}

// setCommentHidden hides or restores comment id: its author's and its
// post's counts, its notifications (on hiding) and its search entry.
func (a *applier) setCommentHidden(id string, h hiding) error {
	var seq uint64
	var author, post, body string
	from, to := h.flags()
	err := a.scanRow(`UPDATE comments SET hidden = ? WHERE id = ? AND hidden = ? AND deleted = 0 RETURNING seq, author_id, post_id, body`,
		[]any{to, id, from}, &seq, &author, &post, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	a.bump(userComments, author, h.delta())
	a.bump(postComments, post, h.delta())
	if err := a.recount(post, author); err != nil {
		return err
	}
	if h {
		if err := a.forgetNotifications(seq); err != nil {
			return err
		}
		return a.unindex(seq)
	}
	if shown, err := a.threadShown(post); err != nil || !shown {
		return err
	}
	return a.index(seq, KindCommentDoc, "", body)
}

// setMessageHidden hides or restores message id: its notifications (on
// hiding) and its search entry.
func (a *applier) setMessageHidden(id string, h hiding) error {
	var seq uint64
	var body string
	from, to := h.flags()
	err := a.scanRow(`UPDATE messages SET hidden = ? WHERE id = ? AND hidden = ? RETURNING seq, body`, []any{to, id, from}, &seq, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if h {
		if err := a.forgetNotifications(seq); err != nil {
			return err
		}
		_, err = a.exec(`DELETE FROM search_messages WHERE rowid = ?`, seq)
		return err
	}
	return a.indexMessage(seq, body)
}

// userPurged hides everything the user wrote since the time given.
func (a *applier) userPurged(ev events.Event, d events.UserPurgedData) error {
	// Stored times have milliseconds: what was written in Since's
	// millisecond is purged, even just before it.
	since := FormatTime(d.Since)
	for _, q := range []struct {
		kind  events.Kind
		query string
	}{
		{events.KindPost, `SELECT id FROM posts WHERE author_id = ? AND created_at >= ? AND hidden = 0 AND deleted = 0`},
		{events.KindComment, `SELECT id FROM comments WHERE author_id = ? AND created_at >= ? AND hidden = 0 AND deleted = 0`},
		{events.KindMessage, `SELECT id FROM messages WHERE from_id = ? AND created_at >= ? AND hidden = 0`},
	} {
		ids, err := a.ids(q.query, d.UserID, since)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := a.setHidden(events.Target{Kind: q.kind, ID: id}, true); err != nil {
				return err
			}
		}
	}
	return a.logMod(ev, "purge", events.Target{Kind: modLogUser, ID: d.UserID}, d.Reason)
}

// ids returns the first column of every row of query.
func (a *applier) ids(query string, args ...any) ([]string, error) {
	st, err := a.stmt(query)
	if err != nil {
		return nil, err
	}
	return column[string](st.QueryContext(a.ctx, args...))
}

// Standing is what the gateway needs to know of a signed-in user on every
// request: their role, and a suspension still running.
type Standing struct {
	Role           events.Role
	SuspendedUntil *time.Time
	Reason         string
	Erased         bool
	Blocks         bool // they block someone
	Mutes          bool // they mute a post or a category
}

// Moderator reports whether the role may moderate.
func Moderator(role events.Role) bool {
	return role == events.RoleModerator || role == events.RoleAdmin
}

// StandingOf returns user's standing.
func (db *DB) StandingOf(ctx context.Context, userID events.UserID) (Standing, error) {
	user := string(userID)
	kept, gen, ok := db.memo.standings.get(user)
	if ok {
		return kept, nil
	}
	s, err := db.standingOf(ctx, user)
	if err == nil {
		db.memo.standings.put(gen, user, s)
	}
	return s, err
}

func (db *DB) standingOf(ctx context.Context, user string) (Standing, error) {
	var s Standing
	var until sql.NullString
	err := db.queryRow(ctx, `SELECT role, suspended_until, suspend_reason, erased, EXISTS (SELECT 1 FROM blocks WHERE user_id = ?1),
		EXISTS (SELECT 1 FROM post_watches WHERE user_id = ?1 AND level = 'muted') OR EXISTS (SELECT 1 FROM category_watches WHERE user_id = ?1 AND level = 'muted')
		FROM users WHERE id = ?1`, user).
		Scan(&s.Role, &until, &s.Reason, &s.Erased, &s.Blocks, &s.Mutes)
	if errors.Is(err, sql.ErrNoRows) {
		return Standing{}, notFound("user")
	}
	if until.Valid {
		if t, perr := time.Parse(timeFormat, until.String); perr == nil {
			s.SuspendedUntil = &t
		}
	}
	if s.Role == "" {
		s.Role = events.RoleMember
	}
	return s, err
}

// AdminCount returns the number of admins.
func (db *DB) AdminCount(ctx context.Context) (int, error) {
	var n int
	err := db.queryRow(ctx, `SELECT count(*) FROM users WHERE role = ?`, events.RoleAdmin).Scan(&n)
	return n, err
}

// Blocks reports whether user blocks other.
func (db *DB) Blocks(ctx context.Context, userID, otherID events.UserID) (bool, error) {
	user, other := string(userID), string(otherID)
	var n int
	err := db.queryRow(ctx, `SELECT count(*) FROM blocks WHERE user_id = ? AND blocked_id = ?`, user, other).Scan(&n)
	return n > 0, err
}

// BlockedIDs returns the ids of the users user blocks.
func (db *DB) BlockedIDs(ctx context.Context, userID events.UserID) ([]string, error) {
	user := string(userID)
	return column[string](db.query(ctx, `SELECT blocked_id FROM blocks WHERE user_id = ? ORDER BY created_at`, user))
}

// Flag is a flag as the moderators' queue shows it.
type Flag struct {
	ID        string        `json:"id"`
	Seq       uint64        `json:"seq"`
	Target    events.Target `json:"target"`
	TargetSeq uint64        `json:"target_seq"`
	Reason    string        `json:"reason"`
	By        User          `json:"by"`
	CreatedAt string        `json:"created_at"`
	Status    string        `json:"status"`
}

// Flags returns a page of the flags with status ("" for all), newest first.
func (db *DB) Flags(ctx context.Context, status string, req PageRequest) (Page[Flag], error) {
	before, err := decodeBefore(req.Cursor)
	if err != nil {
		return Page[Flag]{}, err
	}
	where := "f.seq < ?"
	args := []any{before}
	if status != "" {
		where, args = "f.status = ? AND f.seq < ?", []any{status, before}
	}
	return readList(ctx, db, list[Flag]{
		query: `SELECT f.id, f.seq, f.kind, f.target_id, f.target_seq, f.reason, f.created_at, f.status, ` + userColsOf("u") + `
			FROM flags f JOIN users u ON u.id = f.by_id WHERE ` + where + ` ORDER BY f.seq DESC LIMIT ?`,
		args:  args,
		limit: ClampLimit(req.Limit, DefaultLimit),
		scan: func(row scanner) (f Flag, err error) {
			err = row.Scan(append([]any{&f.ID, &f.Seq, &f.Target.Kind, &f.Target.ID, &f.TargetSeq, &f.Reason, &f.CreatedAt, &f.Status}, userDest(&f.By)...)...)
			return f, err
		},
		key: func(f Flag) uint64 { return f.Seq },
	})
}

// FlagByID returns one flag, ENOTFOUND if none.
func (db *DB) FlagByID(ctx context.Context, flagID events.FlagID) (Flag, error) {
	id := string(flagID)
	return one(ctx, db, "flag", `SELECT f.id, f.seq, f.kind, f.target_id, f.target_seq, f.reason, f.created_at, f.status, `+userColsOf("u")+`
		FROM flags f JOIN users u ON u.id = f.by_id WHERE f.id = ?`, func(row scanner) (f Flag, err error) {
		err = row.Scan(append([]any{&f.ID, &f.Seq, &f.Target.Kind, &f.Target.ID, &f.TargetSeq, &f.Reason, &f.CreatedAt, &f.Status}, userDest(&f.By)...)...)
		return f, err
	}, id)
}

// ModAction is one entry of the moderation log.
type ModAction struct {
	ID        string        `json:"id"`
	Seq       uint64        `json:"seq"`
	Action    string        `json:"action"`
	Target    events.Target `json:"target"`
	By        User          `json:"by"`
	Reason    string        `json:"reason"`
	CreatedAt string        `json:"created_at"`
}

// ModLog returns a page of the moderation log, newest first.
func (db *DB) ModLog(ctx context.Context, req PageRequest) (Page[ModAction], error) {
	before, err := decodeBefore(req.Cursor)
	if err != nil {
		return Page[ModAction]{}, err
	}
	return readList(ctx, db, list[ModAction]{
		query: `SELECT l.seq, l.action, l.target_kind, l.target_id, l.reason, l.created_at, ` + userColsOf("u") + `
			FROM mod_log l LEFT JOIN users u ON u.id = l.by_id WHERE l.seq < ? ORDER BY l.seq DESC LIMIT ?`,
		args:  []any{before},
		limit: ClampLimit(req.Limit, DefaultLimit),
		scan: func(row scanner) (m ModAction, err error) {
			var id, nick, at, role, avatar sql.NullString
			err = row.Scan(&m.Seq, &m.Action, &m.Target.Kind, &m.Target.ID, &m.Reason, &m.CreatedAt, &id, &nick, &at, &role, &avatar)
			m.ID = strconv.FormatUint(m.Seq, 10)
			m.By = User{ID: id.String, Nickname: nick.String, CreatedAt: at.String, Role: events.Role(role.String), AvatarURL: avatarURL(avatar.String)}
			if !id.Valid {
				m.By = User{ID: "", Nickname: "the forum"} // set from the command line
			}
			return m, err
		},
		key: func(m ModAction) uint64 { return m.Seq },
	})
}

// ActorSeqs returns the stream sequences of the events user made, in
// order, after after, at most limit.
func (db *DB) ActorSeqs(ctx context.Context, userID events.UserID, after uint64, limit int) ([]uint64, error) {
	user := string(userID)
	return column[uint64](db.query(ctx, `SELECT seq FROM actor_events WHERE user_id = ? AND seq > ? ORDER BY seq LIMIT ?`, user, after, limit))
}

// userErased forgets a user's personal data in the read models: the account
// shows as "deleted user", the text of what they wrote as "[deleted]", and
// what was derived from it (search, notifications) goes.
func (a *applier) userErased(_ events.Event, d events.UserModData) error {
	a.keys.Forget(d.UserID)
	return a.erase(d.UserID)
}

// Erased is what an erased user's name and text show as.
const (
	ErasedNickname = "deleted user"
	ErasedText     = "[deleted]"
	erasedHTML     = "<p>[deleted]</p>"
)

func (a *applier) erase(user string) error {
	if err := a.flushActorEvents(); err != nil { // their rows go too
		return err
	}
	steps := []struct {
		query string
		args  []any
	}{
		{`UPDATE users SET nickname = ?, nickname_key = '', email = '', email_key = '', password_hash = '', first_name = '', last_name = '',
			age = 0, gender = '', bio = '', role = '', erased = 1, avatar = '' WHERE id = ?`, []any{ErasedNickname, user}},
		{`UPDATE uploads SET deleted = 1, hash = '' WHERE owner_id = ?`, []any{user}},
		{`UPDATE sessions SET ended = 1, user_agent = '', token_hash = '' WHERE user_id = ?`, []any{user}},
		{`DELETE FROM search_docs WHERE rowid IN (SELECT seq FROM posts WHERE author_id = ?1 UNION ALL SELECT seq FROM comments WHERE author_id = ?1)`, []any{user}},
		{`DELETE FROM search_messages WHERE rowid IN (SELECT seq FROM messages WHERE from_id = ?)`, []any{user}},
		{`UPDATE posts SET title = ?1, body = ?1, body_html = ?2 WHERE author_id = ?3 AND deleted = 0`, []any{ErasedText, erasedHTML, user}},
		{`UPDATE comments SET body = ?1, body_html = ?2 WHERE author_id = ?3 AND deleted = 0`, []any{ErasedText, erasedHTML, user}},
		{`UPDATE post_versions SET title = ?1, body = ?1, body_html = ?2 WHERE post_id IN (SELECT id FROM posts WHERE author_id = ?3)`, []any{ErasedText, erasedHTML, user}},
		{`UPDATE messages SET body = ?1, body_html = ?2 WHERE from_id = ?3`, []any{ErasedText, erasedHTML, user}},
		{`DELETE FROM notifications WHERE user_id = ?1 OR actor_id = ?1`, []any{user}},
		{`UPDATE flags SET reason = '' WHERE by_id = ?`, []any{user}},
		{`DELETE FROM room_members WHERE user_id = ?`, []any{user}},
		{`DELETE FROM blocks WHERE user_id = ?1 OR blocked_id = ?1`, []any{user}},
		{`DELETE FROM actor_events WHERE user_id = ?`, []any{user}},
		{`DELETE FROM bookmarks WHERE user_id = ?`, []any{user}},
		{`DELETE FROM post_watches WHERE user_id = ?`, []any{user}},
		{`DELETE FROM mail_tokens WHERE user_id = ?`, []any{user}},
		{`DELETE FROM category_watches WHERE user_id = ?`, []any{user}},
		{`DELETE FROM passkeys WHERE user_id = ?`, []any{user}},
		{`DELETE FROM totp WHERE user_id = ?`, []any{user}},
		{`DELETE FROM totp_recovery WHERE user_id = ?`, []any{user}},
		// Deleted rows of a full-text index live on in its segments until
		// they are merged: merge them now, so the words are gone from the file.
		{`INSERT INTO search_docs(search_docs) VALUES ('optimize')`, nil},
		{`INSERT INTO search_messages(search_messages) VALUES ('optimize')`, nil},
	}
	for _, st := range steps {
		if _, err := a.exec(st.query, st.args...); err != nil {
			return err
		}
	}
	return nil
}
