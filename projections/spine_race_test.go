//go:build race

package projections_test

// underRace is true when the race detector is on: it slows SQLite (pure Go)
// down many times, so the randomised tests play shorter scripts.
const underRace = true
