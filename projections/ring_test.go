package projections

import (
	"testing"

	"forum/events"
)

func TestRingSince(t *testing.T) {
	r := newRing(4, 1<<20)
	for seq := uint64(1); seq <= 6; seq++ { // wraps: keeps 3..6
		r.push(events.Event{Seq: seq})
	}
	seqs := func(evs []events.Event) (out []uint64) {
		for _, ev := range evs {
			out = append(out, ev.Seq)
		}
		return out
	}
	for _, tc := range []struct {
		after uint64
		max   int
		want  []uint64
		ok    bool
	}{
		{after: 2, max: 10, want: []uint64{3, 4, 5, 6}, ok: true},
		{after: 4, max: 10, want: []uint64{5, 6}, ok: true},
		{after: 3, max: 2, want: []uint64{4, 5}, ok: true},
		{after: 6, max: 10, want: nil, ok: true},
		{after: 1, max: 10, want: nil, ok: false}, // 2 is gone
	} {
		got, ok := r.since(tc.after, 6, tc.max)
		if ok != tc.ok || len(got) != len(tc.want) {
			t.Fatalf("since(%d, max %d) = %v, %v; want %v, %v", tc.after, tc.max, seqs(got), ok, tc.want, tc.ok)
		}
		for i := range got {
			if got[i].Seq != tc.want[i] {
				t.Fatalf("since(%d, max %d) = %v; want %v", tc.after, tc.max, seqs(got), tc.want)
			}
		}
	}
}

func TestRingDropsOldestPastItsBytes(t *testing.T) {
	r := newRing(100, 3*size(events.Event{}))
	for seq := uint64(1); seq <= 5; seq++ {
		r.push(events.Event{Seq: seq})
	}
	if got, ok := r.since(2, 5, 10); !ok || len(got) != 3 || got[0].Seq != 3 {
		t.Fatalf("since(2) = %d events, ok %v; want 3..5", len(got), ok)
	}
	if _, ok := r.since(1, 5, 10); ok {
		t.Fatal("since(1) ok although 2 was dropped for bytes")
	}
}
