package main

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestPercentiles(t *testing.T) {
	t.Parallel()
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	oneToHundred := make([]int, 100)
	for i := range oneToHundred {
		oneToHundred[i] = 100 - i // descending, to check the sort
	}
	tests := []struct {
		name    string
		samples []time.Duration
		qs      []float64
		want    []time.Duration
	}{
		{"no samples", nil, []float64{0.5, 0.99, 1}, ms(0, 0, 0)},
		{"one sample", ms(7), []float64{0, 0.5, 0.99, 1}, ms(7, 7, 7, 7)},
		{"two samples", ms(20, 10), []float64{0.5, 0.51, 1}, ms(10, 20, 20)},
		{"one to hundred", ms(oneToHundred...), []float64{0, 0.5, 0.95, 0.99, 1}, ms(1, 50, 95, 99, 100)},
		{"ten with a tail", ms(1, 1, 1, 1, 1, 1, 1, 1, 1, 500), []float64{0.5, 0.9, 0.95, 0.99}, ms(1, 1, 500, 500)},
		{"out of range q is clamped", ms(3, 1, 2), []float64{-1, 2}, ms(1, 3)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := percentiles(tc.samples, tc.qs...)
			if len(got) != len(tc.want) {
				t.Fatalf("percentiles(%v) = %v, want %v", tc.qs, got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("q=%v: got %v, want %v", tc.qs[i], got[i], tc.want[i])
				}
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	got := summarize([]time.Duration{4 * time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond, time.Millisecond})
	want := summary{Count: 4, P50: 2, P95: 4, P99: 4, Max: 4, Mean: 2.5}
	if got != want {
		t.Errorf("summarize = %+v, want %+v", got, want)
	}
}

func TestParseMetrics(t *testing.T) {
	t.Parallel()
	text := `# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 42
go_memstats_heap_inuse_bytes 1.2582912e+07
process_resident_memory_bytes 3.3554432e+07
http_requests_total{code="200"} 10
broken_metric notanumber
`
	got, err := parseMetrics(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		"go_goroutines":                 42,
		"go_memstats_heap_inuse_bytes":  12582912,
		"process_resident_memory_bytes": 33554432,
	}
	if len(got) != len(want) {
		t.Errorf("parseMetrics = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

func TestStampRoundTrip(t *testing.T) {
	t.Parallel()
	at := time.Unix(1700000000, 123456789)
	tests := []struct {
		name   string
		text   string
		run    string
		wantN  int
		wantOK bool
	}{
		{"bare", stamp("ab12", 17, at), "ab12", 17, true},
		{"padded", pad(stamp("ab12", 3, at), 200), "ab12", 3, true},
		{"other run", stamp("ff00", 17, at), "ab12", 0, false},
		{"not a stamp", "hello there, how are you", "ab12", 0, false},
		{"truncated", "bench ab12 5", "ab12", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n, sent, ok := parseStamp(tc.run, tc.text)
			if ok != tc.wantOK || n != tc.wantN {
				t.Fatalf("parseStamp(%q) = %d, %v; want %d, %v", tc.text, n, ok, tc.wantN, tc.wantOK)
			}
			if ok && !sent.Equal(at) {
				t.Errorf("sent = %v, want %v", sent, at)
			}
		})
	}
	if got := pad("abc", 10); len(got) != 10 {
		t.Errorf("pad to 10 gave %d bytes: %q", len(got), got)
	}
}

func TestBitset(t *testing.T) {
	t.Parallel()
	b := newBitset(130)
	for _, i := range []int{0, 63, 64, 129} {
		if b.testAndSet(i) {
			t.Errorf("%d seen before it was set", i)
		}
		if !b.testAndSet(i) {
			t.Errorf("%d not seen after it was set", i)
		}
	}
	if !b.testAndSet(130) || !b.testAndSet(-1) {
		t.Error("out of range values must count as seen")
	}
}

func TestPaceStopsAtCountAndDeadline(t *testing.T) {
	t.Parallel()
	count := func(ch <-chan int) int {
		n := 0
		for range ch {
			n++
		}
		return n
	}
	if got := count(pace(context.Background(), 50, 0)); got != 50 {
		t.Errorf("unpaced: got %d values, want 50", got)
	}
	start := time.Now()
	if got := count(pace(context.Background(), 5, 1000)); got != 5 {
		t.Errorf("paced: got %d values, want 5", got)
	}
	if took := time.Since(start); took < 4*time.Millisecond {
		t.Errorf("5 values at 1000/s took %v, want at least 4ms", took)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if got := count(pace(ctx, 1_000_000, 100)); got < 2 || got > 10 {
		t.Errorf("100/s for 50ms gave %d values, want about 5", got)
	}
}

func TestForEachReturnsFirstError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	err := forEach(context.Background(), 100, 4, func(ctx context.Context, i int) error {
		if i == 10 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Errorf("forEach = %v, want %v", err, boom)
	}
	ran := make([]bool, 20)
	if err := forEach(context.Background(), 20, 3, func(ctx context.Context, i int) error {
		ran[i] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i, ok := range ran {
		if !ok {
			t.Errorf("item %d did not run", i)
		}
	}
}

func TestParseConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		check   func(config) bool
		wantErr bool
	}{
		{"dm defaults", []string{"--scenario", "dm", "--pairs", "3"}, func(c config) bool {
			return c.clients == 6 && c.users == 6 && c.messages == 2000 && c.rate == 200 && c.prefix != ""
		}, false},
		{"fanout users default to min(clients, 100)", []string{"--scenario", "fanout", "--clients", "500"}, func(c config) bool {
			return c.clients == 500 && c.users == 100 && c.posts == 100 && c.rate == 10
		}, false},
		{"posts unpaced by default", []string{"--scenario", "posts"}, func(c config) bool {
			return c.clients == 32 && c.users == 32 && c.rate == 0
		}, false},
		{"trailing slash dropped", []string{"--url", "http://localhost:9999/", "--scenario", "feed"}, func(c config) bool {
			return c.baseURL == "http://localhost:9999" && c.requests == 2000
		}, false},
		{"unknown scenario", []string{"--scenario", "nope"}, nil, true},
		{"bad prefix", []string{"--prefix", "no spaces"}, nil, true},
		{"prefix too long", []string{"--prefix", "abcdefghijklmnopqrstuvw", "--pairs", "10"}, nil, true},
		{"users above clients", []string{"--scenario", "idle", "--clients", "5", "--users", "6"}, nil, true},
		{"bad url", []string{"--url", "localhost:8080"}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := parseConfig(tc.args, io.Discard)
			if (err != nil) != tc.wantErr {
				t.Fatalf("parseConfig(%q) error = %v, want error %v", tc.args, err, tc.wantErr)
			}
			if err != nil {
				if !errors.Is(err, errUsage) {
					t.Errorf("error %v does not wrap errUsage", err)
				}
				return
			}
			if !tc.check(c) {
				t.Errorf("parseConfig(%q) = %+v", tc.args, c)
			}
		})
	}
}
