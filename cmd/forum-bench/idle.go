package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"
)

// idleMetrics are the server metrics the idle scenario compares before and after opening connections.
// The byte counts are reported as bytes per connection, go_goroutines as goroutines per connection.
func idleMetrics() []string {
	return []string{
		"go_memstats_heap_inuse_bytes",
		"go_memstats_sys_bytes",
		"process_resident_memory_bytes",
		"go_goroutines",
	}
}

// metricDelta is one server metric before the connections opened and after they settled.
type metricDelta struct {
	Name    string  `json:"name"`
	Before  float64 `json:"before"`
	After   float64 `json:"after"`
	PerConn float64 `json:"per_conn"` // (after - before) / open connections
}

// idleResult is the report of the idle scenario.
type idleResult struct {
	common
	Clients     int           `json:"clients"`
	Opened      int64         `json:"opened"` // connections that got their hello
	Failed      int64         `json:"failed"`
	Dropped     int64         `json:"dropped_connections"` // opened, then closed by the server before the end
	Open        int64         `json:"open"`                // when the metrics were read
	ConnectRate float64       `json:"connect_rate_per_s"`
	ConnectMS   float64       `json:"connect_ms"` // opening all of them
	Connect     summary       `json:"connect_latency_ms"`
	SettleMS    float64       `json:"settle_ms"`
	Frames      int64         `json:"frames"` // read after the hellos (presence and the like)
	Metrics     []metricDelta `json:"server_metrics,omitempty"`
	MetricsErr  string        `json:"metrics_error,omitempty"`
}

// writeText prints the report as a summary line and detail lines.
func (r *idleResult) writeText(w io.Writer) {
	fmt.Fprintf(w, "scenario=idle clients=%d opened=%d failed=%d open=%d connect_rate=%.1f/s elapsed=%.2fs\n",
		r.Clients, r.Opened, r.Failed, r.Open, r.ConnectRate, r.ElapsedMS/1000)
	fmt.Fprintf(w, "connect: %s took=%.2fs dropped_connections=%d frames=%d settle=%.1fs\n",
		r.Connect.text(), r.ConnectMS/1000, r.Dropped, r.Frames, r.SettleMS/1000)
	for _, m := range r.Metrics {
		if strings.HasSuffix(m.Name, "_bytes") {
			fmt.Fprintf(w, "server %s: before=%s after=%s per_conn=%s\n",
				m.Name, bytesText(m.Before), bytesText(m.After), bytesText(m.PerConn))
		} else {
			fmt.Fprintf(w, "server %s: before=%.0f after=%.0f per_conn=%.2f\n", m.Name, m.Before, m.After, m.PerConn)
		}
	}
	if r.MetricsErr != "" {
		fmt.Fprintf(w, "server metrics unavailable: %s\n", r.MetricsErr)
	}
	r.writeFooter(w)
}

// runIdle signs up --users users, waits --settle, reads /metrics, opens --clients connections over them (each must get
// its hello; failures are counted, not fatal) within --duration, waits --settle, reads /metrics again
// and reports the growth per open connection. It fails only if the users cannot be set up.
func (b *bench) runIdle(ctx context.Context) (*idleResult, error) {
	cfg := b.cfg
	users, setup, err := b.setupUsers(ctx, cfg.users)
	if err != nil {
		return nil, err
	}
	res := &idleResult{common: b.newCommon(len(users), setup), Clients: cfg.clients}
	// Settle before the first reading too: signing users up leaves garbage
	// (password hashes use 19 MiB each) that a --settle past the runtime's
	// two-minute forced collection clears from both readings.
	b.log.Info("settling before the first /metrics read", "settle", cfg.settle)
	sleep(ctx, cfg.settle)
	before, metricsErr := b.api.metrics(ctx)
	if metricsErr != nil {
		b.log.Warn("cannot read server metrics; reporting connections only", "err", metricsErr)
	}

	var ir idleRun
	defer ir.g.closeAll()
	start := time.Now()
	b.openIdle(ctx, &ir, users)
	connectTook := time.Since(start)
	b.log.Info("websockets open; settling", "open", ir.opened.Load(), "failed", ir.failed.Load(), "settle", cfg.settle)
	sleep(ctx, cfg.settle)

	open := ir.g.open()
	if metricsErr == nil {
		var after map[string]float64
		if after, metricsErr = b.api.metrics(ctx); metricsErr == nil {
			res.Metrics = compareMetrics(before, after, open)
			if len(res.Metrics) == 0 {
				metricsErr = fmt.Errorf("/metrics has none of %s", strings.Join(idleMetrics(), ", "))
			}
		}
	}
	if metricsErr != nil {
		res.MetricsErr = metricsErr.Error()
	}
	res.Frames = ir.g.frames.Load()
	res.Dropped = ir.g.dropped.Load()
	ir.g.closeAll()

	res.Opened, res.Failed, res.Open = ir.opened.Load(), ir.failed.Load(), open
	res.ConnectRate = perSecond(ir.opened.Load(), connectTook)
	res.ConnectMS = ms(connectTook)
	res.Connect = ir.connect.summarize()
	res.SettleMS = ms(cfg.settle)
	res.ElapsedMS = ms(time.Since(start))
	res.Interrupted = ctx.Err() != nil
	ir.errs.merge(&ir.g.drops)
	res.setErrors(&ir.errs)
	return res, nil
}

// idleRun is what one idle run shares between its steps.
type idleRun struct {
	opened, failed atomic.Int64
	errs           tally
	g              connGroup
	connect        samples
}

// openIdle opens --clients connections over users within --duration,
// counting those that fail, and logs its progress about ten times.
func (b *bench) openIdle(ctx context.Context, ir *idleRun, users []benchUser) {
	cfg := b.cfg
	dialCtx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	every := int64(max(cfg.clients/10, 100)) // progress lines: about ten, none for small runs
	b.log.Info("opening websockets", "connections", cfg.clients, "users", len(users), "concurrency", cfg.dialConcurrency)
	start := time.Now()
	_ = forEach(dialCtx, cfg.clients, cfg.dialConcurrency, func(ctx context.Context, i int) error {
		t0 := time.Now()
		c, err := b.dial(ctx, users[i%len(users)])
		if err != nil {
			if ctx.Err() == nil { // not the --duration cap or Ctrl-C
				ir.failed.Add(1)
				ir.errs.add("ws_connect", err)
			}
			return nil
		}
		ir.connect.add(time.Since(t0))
		ir.g.add(c, nil)
		if n := ir.opened.Add(1); n%every == 0 {
			b.log.Info("websockets open", "open", n, "of", cfg.clients, "elapsed", time.Since(start).Round(time.Millisecond))
		}
		return nil
	})
}

// compareMetrics returns the idle metrics present in both readings, with their growth per connection
// (0 when no connection is open).
func compareMetrics(before, after map[string]float64, conns int64) []metricDelta {
	var out []metricDelta
	for _, name := range idleMetrics() {
		b, okB := before[name]
		a, okA := after[name]
		if !okB || !okA {
			continue
		}
		d := metricDelta{Name: name, Before: b, After: a}
		if conns > 0 {
			d.PerConn = (a - b) / float64(conns)
		}
		out = append(out, d)
	}
	return out
}
