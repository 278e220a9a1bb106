package projections

import "context"

// A reader's own post votes are kept in memory while they read (memo.go),
// so that a signed-in feed page, served from the page cache, needs no SQL
// for its my_vote fields. Bounded: a user with more than maxVoteSetSize
// post votes is not kept (their pages read by index range), and past
// maxVoteSetTotal votes in all the sets are forgotten and read again as
// needed. A voter's set is forgotten when a batch with their votes commits.
const (
	maxVoteSetSize  = 2000
	maxVoteSetTotal = 200_000
)

// myPostVoteSet returns all of user's post votes from memory, reading them
// first if need be; ok is false for a user with too many to keep.
func (db *DB) myPostVoteSet(ctx context.Context, user string) (votes map[string]int, ok bool, err error) {
	set, gen, found := db.memo.votes.get(user)
	if found {
		return set, true, nil
	}
	rows, err := db.query(ctx, `SELECT target_id, value FROM votes
		WHERE user_id = ? AND kind = 'post' AND value IN (1, -1) LIMIT ?`, user, maxVoteSetSize+1)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	set = map[string]int{}
	for rows.Next() {
		var id string
		var v int
		if err := rows.Scan(&id, &v); err != nil {
			return nil, false, err
		}
		set[id] = v
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	if len(set) > maxVoteSetSize {
		return nil, false, nil
	}
	db.memo.votes.put(gen, user, set)
	return set, true, nil
}
