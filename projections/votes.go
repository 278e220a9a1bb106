package projections

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"forum/events"
)

// Votes are the counts on a post or comment and the reader's own vote.
type Votes struct {
	Likes    int `json:"likes"`
	Dislikes int `json:"dislikes"`
	MyVote   int `json:"my_vote"`
}

// voteTables maps a vote target's kind to the table of its counts.
var voteTables = map[string]string{events.KindPost: "posts", events.KindComment: "comments"}

func (a *applier) postVoted(_ events.Event, d events.VotedData) error {
	return a.voted(events.KindPost, d)
}

func (a *applier) commentVoted(_ events.Event, d events.VotedData) error {
	return a.voted(events.KindComment, d)
}

// voted sets one voter's vote on a post or comment and moves its counts.
func (a *applier) voted(kind string, d events.VotedData) error {
	table := voteTables[kind]
	// The target's place in its list, and the voter's vote so far (0 for none), in one look.
	var targetSeq uint64
	old := 0
	err := a.scanRow(`SELECT t.seq, COALESCE(v.value, 0) FROM `+table+` t
		LEFT JOIN votes v ON v.kind = ? AND v.target_id = t.id AND v.user_id = ? WHERE t.id = ?`, []any{kind, d.UserID, d.TargetID}, &targetSeq, &old)
	if err == sql.ErrNoRows {
		return nil
	}
	if err != nil {
		return err
	}
	if old == d.Value {
		return nil
	}
	likes, dislikes := b2i(d.Value == 1)-b2i(old == 1), b2i(d.Value == -1)-b2i(old == -1)
	a.bump(table, "likes", d.TargetID, likes)
	a.bump(table, "dislikes", d.TargetID, dislikes)
	if d.Value == 0 {
		_, err = a.exec(`DELETE FROM votes WHERE kind = ? AND target_id = ? AND user_id = ?`, kind, d.TargetID, d.UserID)
	} else {
		_, err = a.exec(`INSERT INTO votes(kind, target_id, user_id, value, target_seq) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT(kind, target_id, user_id) DO UPDATE SET value = excluded.value`, kind, d.TargetID, d.UserID, d.Value, targetSeq)
	}
	return err
}

// votesQuery is the SQL of Votes for kind "post" or "comment".
func votesQuery(kind string) string {
	return `SELECT t.likes, t.dislikes, COALESCE(mv.value, 0) FROM ` + voteTables[kind] + ` t
		LEFT JOIN votes mv ON mv.kind = ? AND mv.target_id = t.id AND mv.user_id = ? WHERE t.id = ?`
}

// Votes returns the counts on a post or comment and viewer's own vote,
// ENOTFOUND if there is no such target (or it is of another kind).
func (db *DB) Votes(ctx context.Context, target events.Target, viewer string) (Votes, error) {
	if voteTables[target.Kind] == "" {
		return Votes{}, notFound(target.Kind)
	}
	return one(ctx, db, target.Kind, votesQuery(target.Kind), func(row scanner) (v Votes, err error) {
		err = row.Scan(&v.Likes, &v.Dislikes, &v.MyVote)
		return v, err
	}, target.Kind, viewer, target.ID)
}

// PostRef names a post and its place in the feed.
type PostRef struct {
	ID  string
	Seq uint64
}

// maxVotesInRange bounds the votes MyPostVotes reads by range before it
// asks for the posts one by one instead.
const maxVotesInRange = 1000

// MyPostVotes returns user's votes on the posts (at most 100 of them), by
// post id; posts they have not voted on are absent. It takes them from the
// user's vote set in memory (votesets.go); for a user with too many votes
// to keep, it reads those on the stretch of the feed the posts span, an
// index range, and only past 1,000 there the posts one by one.
func (db *DB) MyPostVotes(ctx context.Context, user string, posts []PostRef) (map[string]int, error) {
	if user == "" || len(posts) == 0 {
		return nil, nil
	}
	if len(posts) > 100 {
		return nil, fmt.Errorf("my post votes: %d posts, at most 100", len(posts))
	}
	if set, ok, err := db.myPostVoteSet(ctx, user); err != nil {
		return nil, err
	} else if ok {
		votes := map[string]int{}
		for _, p := range posts {
			if v, voted := set[p.ID]; voted {
				votes[p.ID] = v
			}
		}
		return votes, nil
	}
	return db.myPostVotesByRange(ctx, user, posts)
}

// myPostVotesByRange is MyPostVotes for a user whose votes are not kept.
func (db *DB) myPostVotesByRange(ctx context.Context, user string, posts []PostRef) (map[string]int, error) {
	want := make(map[string]bool, len(posts))
	lo, hi := posts[0].Seq, posts[0].Seq
	for _, p := range posts {
		want[p.ID] = true
		lo, hi = min(lo, p.Seq), max(hi, p.Seq)
	}
	votes, err := db.postVotes(ctx, want, `SELECT target_id, value FROM votes
		WHERE user_id = ? AND kind = 'post' AND value IN (1, -1) AND target_seq BETWEEN ? AND ? LIMIT ?`, user, lo, hi, maxVotesInRange+1)
	if err != nil || votes != nil {
		return votes, err
	}
	ids := make([]string, 0, len(posts))
	for _, p := range posts {
		ids = append(ids, p.ID)
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	return db.postVotes(ctx, want, `SELECT target_id, value FROM votes
		WHERE kind = 'post' AND user_id = ? AND target_id IN (SELECT value FROM json_each(?)) LIMIT ?`, user, string(list), maxVotesInRange+1)
}

// postVotes runs a query of (post id, vote) rows and keeps those of the
// posts in want; nil, nil when it met more than maxVotesInRange rows.
func (db *DB) postVotes(ctx context.Context, want map[string]bool, query string, args ...any) (map[string]int, error) {
	rows, err := db.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	votes := map[string]int{}
	n := 0
	for rows.Next() {
		if n++; n > maxVotesInRange {
			return nil, rows.Close()
		}
		var id string
		var v int
		if err := rows.Scan(&id, &v); err != nil {
			return nil, err
		}
		if want[id] {
			votes[id] = v
		}
	}
	return votes, rows.Err()
}
