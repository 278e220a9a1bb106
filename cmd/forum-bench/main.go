// Command forum-bench is the forum's load generator. Against a running forum it signs up users, opens
// WebSockets and drives one scenario over HTTP and WebSocket:
//
//	dm      pairs of users send each other direct messages over /ws (latency send → peer, send → ack)
//	fanout  many connections receive post.created while one user creates posts over HTTP
//	idle    many idle connections; the server's memory per connection from /metrics
//	posts   concurrent users create posts over HTTP (posts/s, request latency)
//	feed    concurrent readers page through GET /api/posts (pages/s, page latency)
//	        with --signed-in --read-each-view, each page view also opens one of its posts (a read event):
//	        the pages are read first without reads, then with them (both p99s, the write rate of reads)
//	hashflood  parallel floods of wrong HTTP Basic credentials; the server's peak memory, an honest user's latency
//	uploads concurrent users upload a noisy PNG of about 10 MiB each, in rounds; the forum process's idle and
//	        peak resident memory from /proc/PID/status (VmRSS, VmHWM)
//
// It prints throughput and latency percentiles as one "key=value" summary line plus a few detail lines,
// or with --json a single JSON object (durations in milliseconds). Progress goes to stderr. Every loop is
// bounded in count and in time, so a run ends by itself; Ctrl-C ends it early and still reports.
//
// Run the server with --rate-limits off, e.g.
//
//	go run ./cmd/forum --rate-limits off --demo=false &
//	go run ./cmd/forum-bench --scenario dm --pairs 100 --messages 5000 --rate 500
//
// With --serve-hello ADDR it serves nothing but a net/http "hello world" on ADDR until interrupted: the raw
// limit for an outside load tool (wrk -c32 http://ADDR/ beside wrk -c32 against the forum).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "forum-bench: %v\n", err)
		os.Exit(1)
	}
}

// run parses args, runs the chosen scenario against the forum and writes its report to stdout. It returns
// flag.ErrHelp for -h, an error wrapping errUsage for bad flags (both already explained on stderr), and
// any other error when the forum cannot be reached or the scenario's setup (users, categories,
// connections) fails.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 2 && args[0] == "--serve-hello" {
		return serveHello(ctx, args[1], stderr)
	}
	cfg, err := parseConfig(args, stderr)
	if err != nil {
		return err
	}
	b, err := newBench(cfg, stderr)
	if err != nil {
		return err
	}
	res, err := b.run(ctx)
	if err != nil {
		return err
	}
	if cfg.json {
		return writeJSON(stdout, res)
	}
	res.writeText(stdout)
	return nil
}
