package main

import (
	"bytes"
	"context"
	"encoding/json"
	"forum/internal/forumtest"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// newForum starts a real forum (embedded NATS with JetStream, SQLite, the
// gateway; rate limits off) for the benchmark to run against.
func newForum(t *testing.T) *httptest.Server {
	t.Helper()
	return forumtest.Start(t, forumtest.Options{}).HTTP
}

// runBench runs the benchmark with args plus --json against srv and decodes its report.
func runBench(t *testing.T, srv *httptest.Server, args ...string) map[string]any {
	t.Helper()
	var stdout, stderr bytes.Buffer
	args = append([]string{"--url", srv.URL, "--json", "--duration", "20s", "--drain", "5s"}, args...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, args, &stdout, &stderr); err != nil {
		t.Fatalf("run %q: %v\nstderr:\n%s", args, err, stderr.String())
	}
	var out map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout.String())
	}
	return out
}

func TestScenarios(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want map[string]float64
	}{
		{"dm", []string{"--scenario", "dm", "--pairs", "5", "--messages", "200", "--rate", "2000", "--size", "100"},
			map[string]float64{"sent": 200, "delivered": 200, "acked": 200, "duplicates": 0}},
		{"fanout", []string{"--scenario", "fanout", "--clients", "20", "--users", "5", "--posts", "10", "--rate", "100"},
			map[string]float64{"posts": 10, "expected": 200, "delivered": 200, "duplicates": 0}},
		{"idle", []string{"--scenario", "idle", "--clients", "50", "--users", "10", "--settle", "10ms"},
			map[string]float64{"opened": 50, "failed": 0, "open": 50}},
		{"posts", []string{"--scenario", "posts", "--clients", "4", "--posts", "40"},
			map[string]float64{"sent": 40, "created": 40, "failed": 0}},
		{"feed", []string{"--scenario", "feed", "--clients", "4", "--requests", "60", "--seed", "45", "--depth", "3"},
			map[string]float64{"requests": 60, "pages": 60, "failed": 0, "seeded": 45}},
		{"feed", []string{"--scenario", "feed", "--clients", "3", "--requests", "30", "--seed", "30", "--depth", "1", "--signed-in"},
			map[string]float64{"requests": 30, "pages": 30, "failed": 0, "items": 600, "signed_in": 1}},
		{"hashflood", []string{"--scenario", "hashflood", "--clients", "4", "--duration", "1s"},
			map[string]float64{"clients": 4, "honest_signin_refused": 0}},
		{"uploads", []string{"--scenario", "uploads", "--clients", "2", "--rounds", "2", "--upload-size", "200000"},
			map[string]float64{"clients": 2, "rounds": 2, "uploaded": 4, "failed": 0}},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args[1:], " "), func(t *testing.T) {
			t.Parallel()
			out := runBench(t, newForum(t), tc.args...)
			if out["scenario"] != tc.name {
				t.Errorf("scenario = %v, want %s", out["scenario"], tc.name)
			}
			for k, want := range tc.want {
				got, _ := out[k].(float64)
				if b, ok := out[k].(bool); ok && b {
					got = 1
				}
				if got != want {
					t.Errorf("%s = %v, want %v (report %v)", k, out[k], want, out)
				}
			}
			if _, ok := out["errors"]; ok {
				t.Errorf("errors = %v (first: %v)", out["errors"], out["first_error"])
			}
		})
	}
}

func TestReusedPrefixSignsIn(t *testing.T) {
	t.Parallel()
	srv := newForum(t)
	args := []string{"--scenario", "posts", "--clients", "2", "--posts", "2", "--prefix", "reuse_"}
	runBench(t, srv, args...)
	out := runBench(t, srv, args...) // the users exist now: sign-up answers 409, sign-in works
	if got, _ := out["created"].(float64); got != 2 {
		t.Errorf("created = %v, want 2", out["created"])
	}
}

func TestTextOutput(t *testing.T) {
	t.Parallel()
	srv := newForum(t)
	var stdout, stderr bytes.Buffer
	args := []string{"--url", srv.URL, "--scenario", "dm", "--pairs", "2", "--messages", "20", "--rate", "1000"}
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	first, _, _ := strings.Cut(stdout.String(), "\n")
	for _, want := range []string{"scenario=dm", "pairs=2", "sent=20", "delivered=20", "p50=", "p95=", "p99=", "max=", "rate=", "elapsed="} {
		if !strings.Contains(first, want) {
			t.Errorf("first line %q lacks %q", first, want)
		}
	}
}

func TestUnreachableForumFails(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	err := run(context.Background(), []string{"--url", url, "--timeout", "2s"}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "not reachable") {
		t.Errorf("run against a closed port = %v, want a 'not reachable' error", err)
	}
}

// The feed with a read event per page view reads the pages with reads and
// without in turn: every page read with them opens a post not opened
// before, so each read is an event in the log.
func TestFeedWithReads(t *testing.T) {
	t.Parallel()
	out := runBench(t, newForum(t), "--scenario", "feed", "--clients", "3", "--requests", "50", "--rate", "20", "--seed", "30", "--depth", "1", "--signed-in", "--read-each-view")
	reads, _ := out["reads"].(map[string]any)
	num := func(m map[string]any, k string) float64 { v, _ := m[k].(float64); return v }
	if num(out, "pages") != 50 || num(reads, "failed") != 0 {
		t.Fatalf("pages %v, failed reads %v; want 50 and none (report %v)", out["pages"], reads["failed"], out)
	}
	if sent, base := num(reads, "sent"), num(reads, "baseline_pages"); sent == 0 || base == 0 || sent+base != 50 {
		t.Errorf("%v pages with reads and %v without, want some of each and 50 in all", sent, base)
	}
	if num(reads, "events") != num(reads, "sent") {
		t.Errorf("%v events for %v reads of posts never opened, want one each", reads["events"], reads["sent"])
	}
	if _, ok := out["errors"]; ok {
		t.Errorf("errors = %v (first: %v)", out["errors"], out["first_error"])
	}
}
