package projections

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"forum/events"
	"forum/fault"
)

// Reactions are the counts of the reactions on a post, comment or message,
// by name (only names with a count above zero), and the reader's own
// (nil for an anonymous reader, so the field is absent).
type Reactions struct {
	Counts ReactionCounts `json:"reactions"`
	Mine   []string       `json:"my_reactions,omitzero"`
}

// ReactionCounts are the counts of the reactions on one item by name: only
// names with a count above zero, never nil (it encodes as {}).
type ReactionCounts map[string]int

// Scan reads a target's reactions column (a JSON object).
func (c *ReactionCounts) Scan(src any) error {
	var raw []byte
	switch v := src.(type) {
	case string:
		raw = []byte(v)
	case []byte:
		raw = v
	case nil:
	default:
		return fmt.Errorf("reaction counts from %T", src)
	}
	m := ReactionCounts{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			return fmt.Errorf("reaction counts: %w", err)
		}
	}
	*c = m
	return nil
}

// myReactions reads a reader's own reactions on one item: a JSON array of
// names (the column myReactionsCol makes), in the order the forum shows them.
type myReactions []string

// Scan reads a JSON array of names; NULL (no reader) leaves it nil.
func (m *myReactions) Scan(src any) error {
	var raw []byte
	switch v := src.(type) {
	case string:
		raw = []byte(v)
	case []byte:
		raw = v
	case nil:
		*m = nil
		return nil
	default:
		return fmt.Errorf("own reactions from %T", src)
	}
	names := []string{}
	if err := json.Unmarshal(raw, &names); err != nil {
		return fmt.Errorf("own reactions: %w", err)
	}
	*m = sortReactions(names)
	return nil
}

// sortReactions orders names as events.ReactionNames does.
func sortReactions(names []string) []string {
	slices.SortFunc(names, func(a, b string) int { return reactionRank(a) - reactionRank(b) })
	return names
}

func reactionRank(name string) int {
	return slices.Index(events.ReactionNames, events.ReactionName(name))
}

// reactionTables maps the kind of a reaction's target to its table.
var reactionTables = map[events.Kind]string{events.KindPost: "posts", events.KindComment: "comments", events.KindMessage: "messages"}

// myReactionsCol is the SQL of a column with the own reactions of the
// reader (its one argument) on the item of kind whose id is idCol: a JSON
// array of names. An anonymous reader ("") has none: anonymous drops them.
func myReactionsCol(kind events.Kind, idCol string) string {
	return `(SELECT json_group_array(r.name) FROM reactions r
		WHERE r.user_id = ? AND r.kind = '` + string(kind) + `' AND r.target_id = ` + idCol + `)`
}

// anonymous returns scan for a signed-in viewer, and for an anonymous one
// ("") scan with the own reactions dropped (mine returns where they are),
// so that the field is absent.
func anonymous[T any](viewer string, scan func(scanner) (T, error), mine func(*T) *[]string) func(scanner) (T, error) {
	if viewer != "" {
		return scan
	}
	return func(row scanner) (T, error) {
		v, err := scan(row)
		*mine(&v) = nil
		return v, err
	}
}

func (a *applier) reactionAdded(ev events.Event, d events.ReactionData) error {
	return a.react(ev, d, true)
}

func (a *applier) reactionRemoved(ev events.Event, d events.ReactionData) error {
	return a.react(ev, d, false)
}

// react puts one user's reaction on a target, or takes it off, and moves
// the target's count of it. Putting it on twice, or taking off what is not
// on, changes nothing; a target the read models do not hold takes none.
func (a *applier) react(ev events.Event, d events.ReactionData, on bool) error {
	table := reactionTables[d.Target.Kind]
	if table == "" || !d.Name.Valid() {
		return nil
	}
	var counts ReactionCounts
	err := a.scanRow(`SELECT reactions FROM `+table+` WHERE id = ?`, []any{d.Target.ID}, &counts)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	query := `INSERT OR IGNORE INTO reactions(kind, target_id, name, user_id, seq) VALUES (?, ?, ?, ?, ?)`
	args := []any{d.Target.Kind, d.Target.ID, d.Name, d.UserID, ev.Seq}
	delta := 1
	if !on {
		query, args, delta = `DELETE FROM reactions WHERE kind = ? AND target_id = ? AND name = ? AND user_id = ?`, args[:4], -1
	}
	changed, err := a.execChanged(query, args...)
	if err != nil || !changed {
		return err
	}
	name := string(d.Name)
	if counts[name] += delta; counts[name] <= 0 {
		delete(counts, name)
	}
	raw, err := json.Marshal(counts)
	if err != nil {
		return err
	}
	_, err = a.exec(`UPDATE `+table+` SET reactions = ? WHERE id = ?`, string(raw), d.Target.ID)
	return err
}

// Reactions returns the counts of the reactions on target and viewer's own
// ("" for none: Mine is nil), ENOTFOUND if there is no such target.
func (db *DB) Reactions(ctx context.Context, target events.Target, viewer events.UserID) (Reactions, error) {
	table := reactionTables[target.Kind]
	if table == "" {
		return Reactions{}, notFound(string(target.Kind))
	}
	query := `SELECT t.reactions, ` + myReactionsCol(target.Kind, "t.id") + ` FROM ` + table + ` t WHERE t.id = ?`
	scan := func(row scanner) (r Reactions, err error) {
		var mine myReactions
		err = row.Scan(&r.Counts, &mine)
		r.Mine = mine
		return r, err
	}
	return one(ctx, db, string(target.Kind), query, anonymous(string(viewer), scan, func(r *Reactions) *[]string { return &r.Mine }), string(viewer), target.ID)
}

// HasReaction reports whether user has put reaction name on target.
func (db *DB) HasReaction(ctx context.Context, target events.Target, user events.UserID, name events.ReactionName) (bool, error) {
	var n int
	err := db.queryRow(ctx, `SELECT count(*) FROM reactions WHERE kind = ? AND target_id = ? AND name = ? AND user_id = ?`,
		target.Kind, target.ID, name, user).Scan(&n)
	return n > 0, err
}

// ReactorFilter asks for a page of the users who put reaction Name on
// Target, in the order they did. Blocker leaves out the users this user
// blocks.
type ReactorFilter struct {
	Target  events.Target
	Name    events.ReactionName
	Blocker events.UserID
	PageRequest
}

// Reactor is one user who reacted, as the list of who reacted shows them:
// an erased account as the deleted user.
type Reactor struct {
	User User
	seq  uint64
}

const reactorsQuery = `SELECT ` + userCols + `, r.seq FROM reactions r JOIN users u ON u.id = r.user_id
	WHERE r.kind = ? AND r.target_id = ? AND r.name = ? AND r.seq > ?
	  AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.user_id = ? AND b.blocked_id = r.user_id)
	ORDER BY r.seq LIMIT ?`

// Reactors returns a page of the users who put f.Name on f.Target, first
// to react first. It does not check the target: the caller has.
func (db *DB) Reactors(ctx context.Context, f ReactorFilter) (Page[User], error) {
	if !f.Name.Valid() {
		return Page[User]{}, fault.FieldError(fault.EINVALID, "name", "name must be one of the reactions")
	}
	after, err := decodeCursor(f.Cursor)
	if err != nil {
		return Page[User]{}, err
	}
	page, err := readList(ctx, db, list[Reactor]{
		query: reactorsQuery,
		args:  []any{f.Target.Kind, f.Target.ID, f.Name, after, string(f.Blocker)},
		limit: ClampLimit(f.Limit, DefaultLimit),
		scan: func(row scanner) (r Reactor, err error) {
			err = row.Scan(append(userDest(&r.User), &r.seq)...)
			return r, err
		},
		key: func(r Reactor) uint64 { return r.seq },
	})
	users := Page[User]{Items: make([]User, 0, len(page.Items)), Next: page.Next, Seq: page.Seq}
	for _, r := range page.Items {
		users.Items = append(users.Items, r.User)
	}
	return users, err
}

// lookUpMyReactions fills the MyReactions of mines, by post id, with
// user's own reactions on those posts.
func lookUpMyReactions(ctx context.Context, db *DB, user string, ids []string, mines map[string]*Mine) error {
	for _, m := range mines {
		m.MyReactions = []string{}
	}
	mine, err := db.myPostReactions(ctx, user, ids)
	for id, names := range mine {
		if m := mines[id]; m != nil {
			m.MyReactions = names
		}
	}
	return err
}

// myPostReactions returns user's own reactions on the posts ids (at most
// a page of them), by post id: posts without one are absent.
func (db *DB) myPostReactions(ctx context.Context, user string, ids []string) (map[string][]string, error) {
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	rows, err := db.query(ctx, `SELECT target_id, name FROM reactions
		WHERE user_id = ? AND kind = 'post' AND target_id IN (SELECT value FROM json_each(?))`, user, string(list))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	mine := map[string][]string{}
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		mine[id] = append(mine[id], name)
	}
	for _, names := range mine {
		sortReactions(names)
	}
	return mine, rows.Err()
}
