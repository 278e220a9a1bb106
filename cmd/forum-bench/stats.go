package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// percentiles sorts samples in place and returns, for each q in qs (0 ≤ q ≤ 1), the nearest-rank
// percentile: the smallest sample that at least a fraction q of the samples are less than or equal to.
// q = 0 gives the minimum and q = 1 the maximum; with no samples every result is 0.
func percentiles(samples []time.Duration, qs ...float64) []time.Duration {
	out := make([]time.Duration, len(qs))
	if len(samples) == 0 {
		return out
	}
	slices.Sort(samples)
	n := len(samples)
	for i, q := range qs {
		rank := int(math.Ceil(q * float64(n))) // 1-based
		out[i] = samples[min(max(rank, 1), n)-1]
	}
	return out
}

// summary describes a latency distribution, in milliseconds.
type summary struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
	Mean  float64 `json:"mean"`
}

// summarize sorts samples in place and describes them.
func summarize(samples []time.Duration) summary {
	p := percentiles(samples, 0.50, 0.95, 0.99, 1)
	s := summary{Count: len(samples), P50: ms(p[0]), P95: ms(p[1]), P99: ms(p[2]), Max: ms(p[3])}
	if len(samples) > 0 {
		var total time.Duration
		for _, d := range samples {
			total += d
		}
		s.Mean = ms(total / time.Duration(len(samples)))
	}
	return s
}

// text formats s as "p50=1.23ms p95=… p99=… max=…".
func (s summary) text() string {
	return fmt.Sprintf("p50=%.2fms p95=%.2fms p99=%.2fms max=%.2fms", s.P50, s.P95, s.P99, s.Max)
}

// ms converts d to milliseconds, rounded to the microsecond.
func ms(d time.Duration) float64 {
	return float64(d.Round(time.Microsecond)) / float64(time.Millisecond)
}

// perSecond returns n per second over d, or 0 when d is not positive.
func perSecond(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// samples is a latency histogram that many goroutines may add to.
type samples struct {
	mu sync.Mutex
	d  []time.Duration
}

// add records one latency.
func (s *samples) add(d time.Duration) {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
}

// summarize describes the latencies recorded so far.
func (s *samples) summarize() summary {
	s.mu.Lock()
	defer s.mu.Unlock()
	return summarize(s.d)
}

// tally counts errors by kind, and keeps the first error's text as an example. It is safe for
// concurrent use.
type tally struct {
	mu     sync.Mutex
	counts map[string]int64
	first  string
}

// add counts one error of the given kind.
func (t *tally) add(kind string, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.counts == nil {
		t.counts = make(map[string]int64)
	}
	t.counts[kind]++
	if t.first == "" && err != nil {
		t.first = err.Error()
	}
}

// addErr counts err under the kind errorKind gives it.
func (t *tally) addErr(err error) { t.add(errorKind(err), err) }

// merge adds other's counts to t, keeping t's first error if it has one.
func (t *tally) merge(other *tally) {
	counts, first := other.snapshot()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.counts == nil && len(counts) > 0 {
		t.counts = make(map[string]int64, len(counts))
	}
	for k, v := range counts {
		t.counts[k] += v
	}
	if t.first == "" {
		t.first = first
	}
}

// snapshot returns the counts (nil when there were none) and the first error's text.
func (t *tally) snapshot() (map[string]int64, string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.counts) == 0 {
		return nil, t.first
	}
	out := make(map[string]int64, len(t.counts))
	for k, v := range t.counts {
		out[k] = v
	}
	return out, t.first
}

// errorKind classifies err for a tally: "http_<status>[_<code>]" for an API error, "timeout" for an
// expired deadline, and "transport" for anything else.
func errorKind(err error) string {
	if ae, ok := asAPIError(err); ok {
		if ae.Code != "" {
			return fmt.Sprintf("http_%d_%s", ae.Status, ae.Code)
		}
		return fmt.Sprintf("http_%d", ae.Status)
	}
	if isTimeout(err) {
		return "timeout"
	}
	return "transport"
}

// parseMetrics reads the Prometheus text format and returns each unlabelled sample's value by metric
// name; labelled samples, comments and unparsable values are skipped. It fails only if r does.
func parseMetrics(r io.Reader) (map[string]float64, error) {
	out := make(map[string]float64)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 2 || strings.ContainsRune(fields[0], '{') {
			continue
		}
		v, err := strconv.ParseFloat(fields[1], 64)
		if err != nil {
			continue
		}
		out[fields[0]] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read metrics: %w", err)
	}
	return out, nil
}

// bitset remembers which of the integers 0..n-1 have been seen.
type bitset struct {
	words []uint64
	n     int
}

// newBitset returns a bitset for 0..n-1.
func newBitset(n int) bitset { return bitset{words: make([]uint64, (n+63)/64), n: n} }

// testAndSet marks i and reports whether it was marked before; i outside the range counts as seen.
func (b bitset) testAndSet(i int) bool {
	if i < 0 || i >= b.n {
		return true
	}
	w, m := i/64, uint64(1)<<(i%64)
	seen := b.words[w]&m != 0
	b.words[w] |= m
	return seen
}

// stamp returns the marker "bench <run> <n> <unix nanoseconds>" that a message's body or a post's title
// begins with, so that its receiver can tell it is this run's number n and how long it travelled.
func stamp(run string, n int, at time.Time) string {
	return fmt.Sprintf("bench %s %d %d", run, n, at.UnixNano())
}

// parseStamp reads a marker written by stamp for run at the start of s; ok is false if s has none.
func parseStamp(run, s string) (n int, sent time.Time, ok bool) {
	f := strings.SplitN(s, " ", 5)
	if len(f) < 4 || f[0] != "bench" || f[1] != run {
		return 0, time.Time{}, false
	}
	n, err1 := strconv.Atoi(f[2])
	nanos, err2 := strconv.ParseInt(f[3], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, time.Time{}, false
	}
	return n, time.Unix(0, nanos), true
}

// pad appends " xxx…" to s until it is at least size bytes long.
func pad(s string, size int) string {
	if len(s) >= size {
		return s
	}
	return s + " " + strings.Repeat("x", max(size-len(s)-1, 0))
}

// bytesText formats a byte count with a binary unit, e.g. "12.5KiB".
func bytesText(v float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for math.Abs(v) >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f%s", v, units[i])
	}
	return fmt.Sprintf("%.1f%s", v, units[i])
}

// writeJSON writes v as one line of JSON.
func writeJSON(w io.Writer, v any) error {
	if err := json.NewEncoder(w).Encode(v); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}
