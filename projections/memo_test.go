package projections

import "testing"

// A value read before a forget is not kept; past its limit a memo starts
// over; a forget of some keys leaves the others.
func TestMemo(t *testing.T) {
	m := memo[string, []int]{limit: 5, weigh: func(v []int) int { return len(v) }}
	_, gen, _ := m.get("a")
	m.forget("x") // a change while "a" was being read
	m.put(gen, "a", []int{1})
	if _, _, ok := m.get("a"); ok {
		t.Fatal("a value read before a forget was kept")
	}
	_, gen, _ = m.get("a")
	m.put(gen, "a", []int{1, 2})
	m.put(gen, "b", []int{3, 4})
	m.forget("a")
	if _, _, ok := m.get("b"); !ok {
		t.Fatal("forgetting a dropped b")
	}
	_, gen, _ = m.get("c")
	m.put(gen, "c", []int{5, 6, 7, 8}) // 2 + 4 > 5: start over
	if _, _, ok := m.get("b"); ok || m.weight != 4 {
		t.Fatalf("past the limit: b kept %v, weight %d (want 4)", ok, m.weight)
	}
	m.put(gen, "d", make([]int, 6)) // heavier than the limit: never kept
	if _, _, ok := m.get("d"); ok {
		t.Fatal("a value over the limit was kept")
	}
}
