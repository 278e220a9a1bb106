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
var voteTables = map[events.Kind]string{events.KindPost: "posts", events.KindComment: "comments"}

// voteCounts maps a vote target's kind to its counts of likes and dislikes.
var voteCounts = map[events.Kind][2]count{events.KindPost: {postLikes, postDislikes}, events.KindComment: {commentLikes, commentDislikes}}

func (a *applier) postVoted(_ events.Event, d events.VotedData) error {
	return a.voted(events.KindPost, d)
}

func (a *applier) commentVoted(_ events.Event, d events.VotedData) error {
	return a.voted(events.KindComment, d)
}

// voted sets one voter's vote on a post or comment and moves its counts.
func (a *applier) voted(kind events.Kind, d events.VotedData) error {
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
	counts := voteCounts[kind]
	a.bump(counts[0], d.TargetID, likes)
	a.bump(counts[1], d.TargetID, dislikes)
	if d.Value == 0 {
		_, err = a.exec(`DELETE FROM votes WHERE kind = ? AND target_id = ? AND user_id = ?`, kind, d.TargetID, d.UserID)
	} else {
		_, err = a.exec(`INSERT INTO votes(kind, target_id, user_id, value, target_seq) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT(kind, target_id, user_id) DO UPDATE SET value = excluded.value`, kind, d.TargetID, d.UserID, d.Value, targetSeq)
	}
	return err
}

// votesQuery is the SQL of Votes for kind "post" or "comment".
func votesQuery(kind events.Kind) string {
	return `SELECT t.likes, t.dislikes, COALESCE(mv.value, 0) FROM ` + voteTables[kind] + ` t
		LEFT JOIN votes mv ON mv.kind = ? AND mv.target_id = t.id AND mv.user_id = ? WHERE t.id = ?`
}

// Votes returns the counts on a post or comment and viewer's own vote,
// ENOTFOUND if there is no such target (or it is of another kind).
func (db *DB) Votes(ctx context.Context, target events.Target, viewerID events.UserID) (Votes, error) {
	viewer := string(viewerID)
	if voteTables[target.Kind] == "" {
		return Votes{}, notFound(string(target.Kind))
	}
	return one(ctx, db, string(target.Kind), votesQuery(target.Kind), func(row scanner) (v Votes, err error) {
		err = row.Scan(&v.Likes, &v.Dislikes, &v.MyVote)
		return v, err
	}, target.Kind, viewer, target.ID)
}

// MyPostVotes returns user's votes on the posts ids (at most 100 of them),
// by post id; posts they have not voted on are absent. It takes them from
// the user's vote set in memory (votesets.go); a user with too many votes
// to keep has the posts looked up.
func (db *DB) MyPostVotes(ctx context.Context, userID events.UserID, ids []string) (map[string]int, error) {
	user := string(userID)
	if user == "" || len(ids) == 0 {
		return nil, nil
	}
	if len(ids) > 100 {
		return nil, fmt.Errorf("my post votes: %d posts, at most 100", len(ids))
	}
	set, ok, err := db.myPostVoteSet(ctx, user)
	if err != nil {
		return nil, err
	}
	if !ok {
		return db.lookUpPostVotes(ctx, user, ids)
	}
	votes := map[string]int{}
	for _, id := range ids {
		if v, voted := set[id]; voted {
			votes[id] = v
		}
	}
	return votes, nil
}

// lookUpPostVotes is MyPostVotes for a user whose votes are not kept.
func (db *DB) lookUpPostVotes(ctx context.Context, user string, ids []string) (map[string]int, error) {
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	rows, err := db.query(ctx, `SELECT target_id, value FROM votes
		WHERE kind = 'post' AND user_id = ? AND target_id IN (SELECT value FROM json_each(?))`, user, string(list))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	votes := map[string]int{}
	for rows.Next() {
		var id string
		var v int
		if err := rows.Scan(&id, &v); err != nil {
			return nil, err
		}
		votes[id] = v
	}
	return votes, rows.Err()
}
