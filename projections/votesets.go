package projections

import (
	"context"
	"sync"
)

// A reader's own post votes are kept in memory while they read, so that a
// signed-in feed page, served from the page cache, needs no SQL for its
// my_vote fields. Bounded: a user with more than maxVoteSetSize post votes
// is not kept (their pages read by index range), and past maxVoteSetTotal
// votes in all the sets are forgotten and read again as needed. The
// projector forgets a voter's set when a batch with their votes commits.
const (
	maxVoteSetSize  = 2000
	maxVoteSetTotal = 200_000
)

type voteSets struct {
	mu    sync.Mutex
	gen   uint64 // moves whenever a set is forgotten: a set read meanwhile is not kept
	total int
	sets  map[string]map[string]int // by user: post id → vote
}

// myPostVoteSet returns all of user's post votes from memory, reading them
// first if need be; ok is false for a user with too many to keep.
func (db *DB) myPostVoteSet(ctx context.Context, user string) (votes map[string]int, ok bool, err error) {
	db.votes.mu.Lock()
	set, found := db.votes.sets[user]
	gen := db.votes.gen
	db.votes.mu.Unlock()
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
	db.votes.mu.Lock()
	defer db.votes.mu.Unlock()
	if db.votes.gen == gen {
		if db.votes.sets == nil || db.votes.total+len(set) > maxVoteSetTotal {
			db.votes.sets, db.votes.total = map[string]map[string]int{}, 0
		}
		db.votes.sets[user] = set
		db.votes.total += len(set)
	}
	return set, true, nil
}

// forgetVoters drops the vote sets of users whose votes just committed.
func (db *DB) forgetVoters(users map[string]bool) {
	db.votes.mu.Lock()
	defer db.votes.mu.Unlock()
	db.votes.gen++
	for u := range users {
		db.votes.total -= len(db.votes.sets[u])
		delete(db.votes.sets, u)
	}
}
