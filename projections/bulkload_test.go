package projections_test

import (
	"fmt"
	"strings"
	"testing"

	"forum/internal/forumtest"
	"forum/projections"
)

// A rebuild builds most indexes only after its bulk load. No apply
// function may need one of them: without it, every event of its kind would
// scan a table, or a long stretch of it, and a rebuild would slow down with
// the square of the forum's size. Every statement the projector ran while a
// random forum was played must keep its plan when they are gone (so none
// uses one), and none may scan a whole table.
func TestBulkLoadKeepsWhatApplyNeeds(t *testing.T) {
	w := newWorld(t, 7)
	w.play(1500)
	w.stopProj()
	queries := projections.AppliedQueries(w.DB)
	if len(queries) < 20 {
		t.Fatalf("the projector prepared %d statements; the play should have run most apply functions", len(queries))
	}
	ctx := forumtest.Context(t)
	plans := map[string][]string{}
	for _, q := range queries {
		plan, err := projections.ExplainForTest(ctx, w.DB, q)
		if err != nil {
			t.Fatalf("explain %q: %v", q, err)
		}
		plans[q] = plan
	}
	if err := projections.DropDeferredIndexes(ctx, w.DB); err != nil {
		t.Fatal(err)
	}
	for _, q := range queries {
		plan, err := projections.ExplainForTest(ctx, w.DB, q)
		if err != nil {
			t.Fatalf("explain %q: %v", q, err)
		}
		if fmt.Sprint(plan) != fmt.Sprint(plans[q]) {
			t.Errorf("%q uses an index the bulk load builds only after it: %v, without it %v", firstLine(q), plans[q], plan)
		}
		for _, step := range plan {
			// A full-text table looked up by rowid shows as a scan of its
			// virtual table with an = constraint.
			lookup := strings.Contains(step, "VIRTUAL TABLE INDEX") && strings.HasSuffix(step, ":=")
			if strings.HasPrefix(step, "SCAN ") && !strings.HasPrefix(step, "SCAN CONSTANT") && !lookup {
				t.Errorf("without the deferred indexes, %q does %s", firstLine(q), step)
			}
		}
	}
}

func firstLine(s string) string { line, _, _ := strings.Cut(s, "\n"); return line }
