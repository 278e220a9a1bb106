package projections

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"

	"forum/events"
)

// A post's last activity and participants follow its comments: a new
// comment is the newest activity at once; a comment hidden, restored or
// deleted makes the post look again at its newest comment that shows. A
// hidden comment counts for nobody: a moderator's lists are ordered as
// everyone's.

// commented records a new comment (at sequence seq, time at) by author on
// post: its author's newest comment there, and the post's last activity.
func (a *applier) commented(post, author string, seq uint64, at string) error {
	if _, err := a.exec(`INSERT INTO post_participants(post_id, user_id, last_seq) VALUES (?, ?, ?)
		ON CONFLICT(post_id, user_id) DO UPDATE SET last_seq = max(last_seq, excluded.last_seq)`, post, author, seq); err != nil {
		return err
	}
	_, err := a.exec(`UPDATE posts SET activity_seq = ?, activity_at = ?, last_commenter_id = ? WHERE id = ? AND activity_seq < ?`,
		seq, at, author, post, seq)
	return err
}

// recount looks again at author's comments on post after one of them was
// hidden, restored or deleted: the author's newest comment that shows (or
// none: they leave the participants), then the post's last activity.
func (a *applier) recount(post, author string) error {
	var last sql.NullInt64
	if err := a.scanRow(`SELECT max(seq) FROM comments INDEXED BY comments_post_seq WHERE post_id = ? AND author_id = ? AND hidden = 0 AND deleted = 0`,
		[]any{post, author}, &last); err != nil {
		return err
	}
	query, args := `DELETE FROM post_participants WHERE post_id = ? AND user_id = ?`, []any{post, author}
	if last.Valid {
		query = `INSERT INTO post_participants(post_id, user_id, last_seq) VALUES (?, ?, ?)
			ON CONFLICT(post_id, user_id) DO UPDATE SET last_seq = excluded.last_seq`
		args = append(args, last.Int64)
	}
	if _, err := a.exec(query, args...); err != nil {
		return err
	}
	return a.refreshActivity(post)
}

// refreshActivity sets post's last activity from its newest participant's
// comment, or from the post itself when no comment shows.
func (a *applier) refreshActivity(post string) error {
	var user, at string
	var seq uint64
	err := a.scanRow(`SELECT pp.user_id, pp.last_seq, c.created_at FROM post_participants pp JOIN comments c ON c.seq = pp.last_seq
		WHERE pp.post_id = ? ORDER BY pp.last_seq DESC LIMIT 1`, []any{post}, &user, &seq, &at)
	if errors.Is(err, sql.ErrNoRows) {
		_, err = a.exec(`UPDATE posts SET activity_seq = seq, activity_at = created_at, last_commenter_id = NULL WHERE id = ?`, post)
		return err
	}
	if err != nil {
		return err
	}
	_, err = a.exec(`UPDATE posts SET activity_seq = ?, activity_at = ?, last_commenter_id = ? WHERE id = ?`, seq, at, user, post)
	return err
}

// postLocked locks a post that is not deleted: it takes no new comments
// but from moderators. The moderation log records it.
func (a *applier) postLocked(ev events.Event, d events.PostLockData) error {
	return a.setLocked(ev, d.PostID, true)
}

// postUnlocked unlocks a post; the moderation log records it.
func (a *applier) postUnlocked(ev events.Event, d events.PostLockData) error {
	return a.setLocked(ev, d.PostID, false)
}

func (a *applier) setLocked(ev events.Event, id events.PostID, locked bool) error {
	if _, err := a.exec(`UPDATE posts SET locked = ? WHERE id = ? AND deleted = 0`, b2i(locked), id); err != nil {
		return err
	}
	action := "unlock"
	if locked {
		action = "lock"
	}
	return a.logMod(ev, action, events.Target{Kind: events.KindPost, ID: string(id)}, "")
}

// maxParticipants is how many users a post shows as its participants: its
// author, then the most recent distinct commenters.
const maxParticipants = 5

// participantsCol is the column of a post's participants after its author:
// a JSON array of [last_seq, id, nickname, created_at, role], at most
// four, the most recent (setParticipants puts them in order). recent is a
// derived table of those four rows, the only one it scans.
const participantsCol = `(SELECT json_group_array(json_array(recent.last_seq, u.id, u.nickname, u.created_at, u.role, u.avatar))
		FROM (SELECT user_id, last_seq FROM post_participants WHERE post_id = p.id AND user_id != p.author_id ORDER BY last_seq DESC LIMIT 4) recent
		JOIN users u ON u.id = recent.user_id)`

// setParticipants fills p.Participants from the author and the JSON of
// participantsCol, the most recent first.
func (p *Post) setParticipants(others sql.NullString) error {
	p.Participants = []User{p.Author}
	if !others.Valid {
		return nil
	}
	var rows [][6]any
	if err := json.Unmarshal([]byte(others.String), &rows); err != nil {
		return err
	}
	seq := func(r [6]any) float64 { f, _ := r[0].(float64); return f }
	slices.SortFunc(rows, func(x, y [6]any) int { return cmp.Compare(seq(y), seq(x)) })
	for _, r := range rows[:min(len(rows), maxParticipants-1)] {
		id, _ := r[1].(string)
		nickname, _ := r[2].(string)
		created, _ := r[3].(string)
		role, _ := r[4].(string)
		p.Participants = append(p.Participants, User{ID: id, Nickname: nickname, CreatedAt: created, Role: events.Role(role), AvatarURL: avatarURL(r[5])})
	}
	return nil
}

// withoutBlocked leaves the users blocked (by id) out of p's participants
// and last commenter: a blocker sees none of their comments.
func (p *Post) withoutBlocked(blocked map[string]bool) {
	if len(blocked) == 0 {
		return
	}
	if p.LastCommenter != nil && blocked[p.LastCommenter.ID] {
		p.LastCommenter = nil
	}
	kept := p.Participants[:0]
	for _, u := range p.Participants {
		if !blocked[u.ID] || u.ID == p.Author.ID {
			kept = append(kept, u)
		}
	}
	p.Participants = kept
}

// nullUser scans a user of a LEFT JOIN, absent when its id is NULL.
type nullUser struct{ id, nickname, createdAt, role, avatar sql.NullString }

func (n nullUser) user() *User {
	if !n.id.Valid {
		return nil
	}
	return &User{ID: n.id.String, Nickname: n.nickname.String, CreatedAt: n.createdAt.String, Role: events.Role(n.role.String), AvatarURL: avatarURL(n.avatar.String)}
}

// hideBlocked leaves the users viewer blocks out of posts' participants and
// last commenters (in place); nothing for a reader who blocks nobody.
func (db *DB) hideBlocked(ctx context.Context, viewer string, posts []Post) error {
	if viewer == "" || len(posts) == 0 {
		return nil
	}
	st, err := db.StandingOf(ctx, events.UserID(viewer))
	if err != nil || !st.Blocks {
		return err
	}
	ids, err := db.BlockedIDs(ctx, events.UserID(viewer))
	if err != nil {
		return err
	}
	blocked := make(map[string]bool, len(ids))
	for _, id := range ids {
		blocked[id] = true
	}
	for i := range posts {
		posts[i].withoutBlocked(blocked)
	}
	return nil
}
