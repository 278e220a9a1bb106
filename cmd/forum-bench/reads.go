package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// readRun counts the read events the feed's readers sent beside their pages.
type readRun struct {
	sent, failed atomic.Int64
	latency      samples
}

// open has the reader with token open the post at index pick (modulo) of a page's ids: POST
// /api/posts/{id}/read with no comment read yet, as the app sends when a post is opened. A failure
// goes to errs.
func (rr *readRun) open(ctx context.Context, api *apiClient, token string, ids []string, pick int, errs *tally) {
	if len(ids) == 0 {
		return
	}
	id := ids[pick%len(ids)]
	rr.sent.Add(1)
	t0 := time.Now()
	err := api.do(ctx, http.MethodPost, "/api/posts/"+id+"/read", token, map[string]any{"up_to_comment": nil}, nil)
	if err != nil {
		rr.failed.Add(1)
		errs.addErr(err)
		return
	}
	rr.latency.add(time.Since(t0))
}

// readsResult reports the feed with a read event per page view: the pages read first without reads
// (the baseline), the reads sent, and the events the log took meanwhile.
type readsResult struct {
	BaselinePages   int64   `json:"baseline_pages"`
	BaselineLatency summary `json:"baseline_latency_ms"` // pages without reads
	BaselineRate    float64 `json:"baseline_rate_per_s"`
	Sent            int64   `json:"sent"`
	Failed          int64   `json:"failed"`
	Latency         summary `json:"latency_ms"` // of each POST /api/posts/{id}/read
	Rate            float64 `json:"rate_per_s"`
	Events          uint64  `json:"events"` // appended to the log while the pages were read with reads
	EventRate       float64 `json:"events_per_s"`
}

// pagesWithoutReads reads the feed as the scenario does, without reads: the baseline of the pages'
// latency on this forum, in the same run.
func (b *bench) pagesWithoutReads(ctx context.Context, readers []benchUser) (*readsResult, error) {
	b.log.Info("reading without reads (baseline)", "requests", b.cfg.requests, "readers", b.cfg.clients)
	var fr feedRun
	start := time.Now()
	b.readPaced(ctx, &fr, readers)
	elapsed := time.Since(start)
	if fr.pages.Load() == 0 {
		return nil, fmt.Errorf("baseline: no page read (%d failed)", fr.requests.Load())
	}
	return &readsResult{BaselinePages: fr.pages.Load(), BaselineLatency: fr.latency.summarize(), BaselineRate: perSecond(fr.pages.Load(), elapsed)}, nil
}

// add notes the reads of rr, sent within elapsed, and the events the log took since seqBefore.
func (r *readsResult) add(ctx context.Context, api *apiClient, rr *readRun, seqBefore uint64, elapsed time.Duration) error {
	after, err := api.streamSeq(ctx)
	if err != nil {
		return err
	}
	r.Sent, r.Failed = rr.sent.Load(), rr.failed.Load()
	r.Latency, r.Rate = rr.latency.summarize(), perSecond(r.Sent-r.Failed, elapsed)
	r.Events = after - seqBefore
	r.EventRate = perSecond(int64(r.Events), elapsed)
	return nil
}

// writeText prints the reads and the pages' p99 with them against the baseline's.
func (r *readsResult) writeText(w io.Writer, p99, rate float64) {
	if r == nil {
		return
	}
	fmt.Fprintf(w, "reads: sent=%d failed=%d %s rate=%.1f/s events=%d events_rate=%.1f/s\n",
		r.Sent, r.Failed, r.Latency.text(), r.Rate, r.Events, r.EventRate)
	fmt.Fprintf(w, "pages without reads: pages=%d %s rate=%.1f/s\nwith reads vs without: p99 %.2f×, rate %.3f\n",
		r.BaselinePages, r.BaselineLatency.text(), r.BaselineRate, ratio(p99, r.BaselineLatency.P99), ratio(rate, r.BaselineRate))
}
