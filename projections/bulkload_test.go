package projections_test

import (
	"strings"
	"testing"

	"forum/internal/forumtest"
	"forum/projections"
)

// A rebuild builds most indexes only after its bulk load. No apply
// function may need one of them: without it, every event of its kind would
// scan a whole table, and a rebuild would slow down with the square of the
// forum's size. Every statement the projector ran while a random forum
// was played must still find its rows by a key.
func TestBulkLoadKeepsWhatApplyNeeds(t *testing.T) {
	w := newWorld(t, 7)
	w.play(1500)
	w.stopProj()
	queries := projections.AppliedQueries(w.DB)
	if len(queries) < 20 {
		t.Fatalf("the projector prepared %d statements; the play should have run most apply functions", len(queries))
	}
	ctx := forumtest.Context(t)
	if err := projections.DropDeferredIndexes(ctx, w.DB); err != nil {
		t.Fatal(err)
	}
	for _, q := range queries {
		plan, err := projections.ExplainForTest(ctx, w.DB, q)
		if err != nil {
			t.Fatalf("explain %q: %v", q, err)
		}
		for _, step := range plan {
			if strings.HasPrefix(step, "SCAN ") && !strings.HasPrefix(step, "SCAN CONSTANT") {
				t.Errorf("without the deferred indexes, %q does %s", firstLine(q), step)
			}
		}
	}
}

func firstLine(s string) string { line, _, _ := strings.Cut(s, "\n"); return line }
