package projections

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"forum/events"
)

// timeFormat is how times are stored: fixed width, so text order is time order.
const timeFormat = "2006-01-02T15:04:05.000Z"

// FormatTime is how the read models and the API write a time.
func FormatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// applier applies events inside one transaction. Each statement is prepared
// once on the writer connection and reused by every batch after (cache);
// one first met inside a transaction is prepared for that transaction and
// noted in missed, to be prepared on the connection once it is free. Its
// apply functions live beside the read model they write, and are
// registered in handlers.go.
type applier struct {
	ctx    context.Context
	tx     *sql.Tx
	cache  *stmtCache // may be nil: every statement prepared per transaction
	stmts  map[string]*sql.Stmt
	missed []string
	// counters are the batch's counter moves, written at its end (counters.go).
	counters map[counter]int
	// keys opens the personal data in events (nil: none is sealed).
	keys *events.Keyring
	// notifying is set while an event whose registration says it notifies
	// is applied: notify refuses to write notifications otherwise.
	notifying bool
	// rendered is the HTML of the bodies of the posts the batch created, by
	// their event's sequence: kept once it commits, for FreshPost.
	rendered map[uint64]string
	// reads are the read positions postRead moved, for the readers' kept
	// marks (marks.go).
	reads []readMove
	// lastExcerpt is the last body a notification's excerpt was made of, and
	// that excerpt.
	lastExcerpt [2]string
	// actorEvents are the batch's rows of actor_events, written together
	// (flushActorEvents) when it commits, or before an apply function
	// deletes some.
	actorEvents []actorEvent
	// posts are the facts of the posts the batch has looked up (postFacts).
	posts map[string]postFacts
}

// actorEvent is a row of actor_events: an event and the user who made it.
type actorEvent struct {
	user string
	seq  uint64
}

// apply folds one event into the read models. Apply functions are pure: all
// they use is the event. A payload that does not decode is skipped (it would
// fail the same way on every replay), and so is a type this program does not
// know (errNoApplyCase); a database error is returned. It returns the
// payload it applied, decoded and opened (a pointer to the registered type;
// nil when it did not decode), to be handed on with the change feed.
func (a *applier) apply(ev events.Event) (any, error) {
	if ev.Actor != "" {
		// Every event a user made, for their export.
		a.actorEvents = append(a.actorEvents, actorEvent{ev.Actor, ev.Seq})
	}
	h, ok := handlers[ev.Type]
	if !ok {
		return nil, errNoApplyCase
	}
	if h.apply == nil {
		return ev.Decoded, nil // its payload is not even decoded
	}
	payload, err := h.decode(ev)
	if err != nil {
		return nil, errSkip{err}
	}
	if p, ok := payload.(events.Personal); ok {
		if err := a.open(ev, p); err != nil {
			return nil, err
		}
	}
	a.notifying = h.notifies != ""
	defer func() { a.notifying = false }()
	return payload, h.apply(a, ev, payload)
}

// actorEventsChunk is how many rows of actor_events one statement writes.
const actorEventsChunk = 100

var actorEventsChunkQuery = `INSERT OR IGNORE INTO actor_events(user_id, seq) VALUES (?, ?)` + strings.Repeat(`, (?, ?)`, actorEventsChunk-1)

// flushActorEvents writes the rows of actor_events the batch has made so
// far, in the table's order, many a statement: one row each, they are
// most of a rebuild's statements.
func (a *applier) flushActorEvents() error {
	rows := a.actorEvents
	slices.SortFunc(rows, func(x, y actorEvent) int { return cmp.Or(strings.Compare(x.user, y.user), cmp.Compare(x.seq, y.seq)) })
	args := make([]any, 0, 2*actorEventsChunk)
	for ; len(rows) >= actorEventsChunk; rows = rows[actorEventsChunk:] {
		args = args[:0]
		for _, r := range rows[:actorEventsChunk] {
			args = append(args, r.user, r.seq)
		}
		if _, err := a.exec(actorEventsChunkQuery, args...); err != nil {
			return err
		}
	}
	for _, r := range rows {
		if _, err := a.exec(`INSERT OR IGNORE INTO actor_events(user_id, seq) VALUES (?, ?)`, r.user, r.seq); err != nil {
			return err
		}
	}
	a.actorEvents = a.actorEvents[:0]
	return nil
}

// quarantine records ev, which cannot be applied, and why.
func (a *applier) quarantine(ev events.Event, reason string) error {
	if len(reason) > 500 {
		reason = reason[:500]
	}
	_, err := a.exec(`INSERT OR IGNORE INTO quarantine(seq, subject, type, reason) VALUES (?, ?, ?, ?)`, ev.Seq, ev.Subject, string(ev.Type), reason)
	return err
}

// errSkip marks an event that cannot be applied: its payload does not
// decode, or its type has no apply case. It is quarantined.
type errSkip struct{ err error }

func (e errSkip) Error() string { return "skip: " + e.err.Error() }

// errNoApplyCase is what apply returns for an event type it has no case
// for: one written by a newer program. It is skipped, and a test fails when
// a registered type reaches it.
var errNoApplyCase = errSkip{errors.New("no apply case for this event type")}

// open decodes personal data: apply functions of payloads that hold some
// call it first. The fields of an erased user read as events.ErasedText.
func (a *applier) open(ev events.Event, payload events.Personal) error {
	_, err := a.keys.OpenPayload(a.ctx, ev.Actor, payload)
	return err
}

// stmt returns the transaction's prepared statement for query, preparing it
// on first use.
func (a *applier) stmt(query string) (*sql.Stmt, error) {
	if st, ok := a.stmts[query]; ok {
		return st, nil
	}
	var st *sql.Stmt
	if shared := a.cache.lookupOrNil(query); shared != nil {
		st = a.tx.StmtContext(a.ctx, shared)
	} else {
		var err error
		if st, err = a.tx.PrepareContext(a.ctx, query); err != nil {
			return nil, fmt.Errorf("prepare %q: %w", firstLine(query), err)
		}
		a.missed = append(a.missed, query)
	}
	a.stmts[query] = st
	return st, nil
}

func (a *applier) exec(query string, args ...any) (sql.Result, error) {
	st, err := a.stmt(query)
	if err != nil {
		return nil, err
	}
	res, err := st.ExecContext(a.ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("exec %q: %w", firstLine(query), err)
	}
	return res, nil
}

// execChanged runs query and reports whether it changed any row.
func (a *applier) execChanged(query string, args ...any) (bool, error) {
	res, err := a.exec(query, args...)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// scanRow runs a one-row query and scans it into dest; sql.ErrNoRows when
// there is no row.
func (a *applier) scanRow(query string, args []any, dest ...any) error {
	st, err := a.stmt(query)
	if err != nil {
		return err
	}
	return st.QueryRowContext(a.ctx, args...).Scan(dest...)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
