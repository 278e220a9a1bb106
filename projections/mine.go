package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"forum/events"
)

// Mine is what a post carries for a signed-in reader alone: their own marks
// on it (beside Post.MyVote). A post holds it as an embedded pointer, nil
// for an anonymous reader, so that its fields are absent from the JSON of
// an anonymous answer (and of frames, which are everyone's).
//
// A feature that adds a field here fills it in Mines: from the reader's
// read states (one query a page), from their marks kept in memory
// (marks.go), and in markLookups for a reader with too many marks to keep.
// Every road that answers posts fills Mine through Mines, and the page
// cache writes its JSON into a shared page after the reader's my_vote
// (MineFragment).
type Mine struct {
	// Read is whether the reader has opened the post (their own posts
	// count as read); UnreadComments the comments after the last one they
	// read, FirstUnread the first of those (see ReadState).
	Read           bool    `json:"read"`
	UnreadComments int     `json:"unread_comments"`
	FirstUnread    *string `json:"first_unread"`
	// MyReactions are the reader's own reactions on the post, in the order
	// the forum shows them ([] for none).
	MyReactions []string `json:"my_reactions"`
	// Bookmarked says whether the reader bookmarked the post.
	Bookmarked bool `json:"bookmarked"`
	// Watch is the reader's watch level on the post (watches.go).
	Watch events.WatchLevel `json:"watch"`
}

// PostRef names a post for Mines with what its reader's marks are decided
// from beside the reader's own, as a page read it: its author, its last
// activity, whether it is hidden, and the categories it is listed in.
type PostRef struct {
	ID          string
	author      string
	seq         uint64
	activitySeq uint64
	hidden      bool
	listed      []string
}

// Ref returns p's PostRef.
func (p Post) Ref() PostRef {
	ref := PostRef{ID: p.ID, author: p.Author.ID, seq: p.Seq, activitySeq: p.activitySeq, hidden: p.Hidden}
	if !p.Hidden && !p.Deleted {
		ref.listed = p.Categories // a hidden or deleted post leaves its categories' lists
	}
	return ref
}

// mineLookup fills its own fields of the mines of the posts ids (mines by
// post id, every one present) for user.
type mineLookup func(ctx context.Context, db *DB, user string, ids []string, mines map[string]*Mine) error

// markLookups look up the marks of a reader with too many to keep in
// memory, one query each.
var markLookups = []mineLookup{lookUpMyReactions, lookBookmarks, lookWatches}

// maxMines bounds the posts of one Mines call: a page.
const maxMines = MaxLimit + maxPins

// Mines returns viewer's own marks on posts, by post id (every one
// present); nil for an anonymous viewer.
func (db *DB) Mines(ctx context.Context, viewer events.UserID, posts []PostRef) (map[string]*Mine, error) {
	if viewer == "" {
		return nil, nil
	}
	if len(posts) > maxMines {
		return nil, fmt.Errorf("mines: %d posts, at most %d", len(posts), maxMines)
	}
	user := string(viewer)
	marks, kept, err := db.marksOf(ctx, user)
	if err != nil {
		return nil, err
	}
	mines := make(map[string]*Mine, len(posts))
	var ask []string // the posts whose read states SQL is asked: all when the marks are not kept
	for _, p := range posts {
		if !kept {
			mines[p.ID] = &Mine{}
			ask = append(ask, p.ID)
			continue
		}
		m, look := marks.mine(p, user)
		mines[p.ID] = m
		if look {
			ask = append(ask, p.ID)
		}
	}
	if len(ask) > 0 {
		states, err := db.readStates(ctx, user, ask)
		if err != nil {
			return nil, err
		}
		for _, id := range ask {
			st := states[id]
			mines[id].Read, mines[id].UnreadComments, mines[id].FirstUnread = st.Read, st.UnreadComments, st.FirstUnread
		}
	}
	if !kept {
		for _, look := range markLookups {
			if err := look(ctx, db, user, ask, mines); err != nil {
				return nil, err
			}
		}
	}
	return mines, nil
}

// fillMine gives each of posts viewer's own marks (nothing for an
// anonymous viewer).
func (db *DB) fillMine(ctx context.Context, viewer string, posts []Post) error {
	if viewer == "" || len(posts) == 0 {
		return nil
	}
	refs := make([]PostRef, len(posts))
	for i := range posts {
		refs[i] = posts[i].Ref()
	}
	mines, err := db.Mines(ctx, events.UserID(viewer), refs)
	if err != nil {
		return err
	}
	for i := range posts {
		posts[i].Mine = mines[posts[i].ID]
	}
	return nil
}

// MineFragment returns m's fields as they follow a post's my_vote in its
// JSON: empty, or a comma and the fields without braces. Written by hand,
// as encoding/json writes them (TestMineFragmentIsItsJSON): it is written
// into every post of every signed-in page.
func MineFragment(m *Mine) ([]byte, error) {
	if m == nil {
		return nil, nil
	}
	b := make([]byte, 0, 128)
	b = append(b, `,"read":`...)
	b = strconv.AppendBool(b, m.Read)
	b = append(b, `,"unread_comments":`...)
	b = strconv.AppendInt(b, int64(m.UnreadComments), 10)
	b = append(b, `,"first_unread":`...)
	if m.FirstUnread == nil {
		b = append(b, "null"...)
	} else {
		b = appendJSONString(b, *m.FirstUnread)
	}
	b = append(b, `,"my_reactions":`...)
	if m.MyReactions == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, name := range m.MyReactions {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, name)
		}
		b = append(b, ']')
	}
	b = append(b, `,"bookmarked":`...)
	b = strconv.AppendBool(b, m.Bookmarked)
	b = append(b, `,"watch":`...)
	return appendJSONString(b, string(m.Watch)), nil
}

// appendJSONString appends s as a JSON string: ids, reaction names and
// watch levels are plain ASCII and written as they are; anything else is
// left to encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
