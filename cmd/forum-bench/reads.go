package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// readPhase is how long the feed's readers read with reads, then without, in turn: the pages' latency
// of both kinds is measured over the same stretch of time, whatever else the machine does meanwhile.
const readPhase = time.Second

// readRun counts the read events the feed's readers sent beside their pages, and the pages read
// without them (baseline) in the phases between.
type readRun struct {
	start        time.Time
	sent, failed atomic.Int64
	latency      samples
	baseline     samples
}

// on reports whether the pages asked for at t are read with reads: every other readPhase.
func (rr *readRun) on(t time.Time) bool { return t.Sub(rr.start)/readPhase%2 == 1 }

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

// readsResult reports the feed with a read event per page view in every other readPhase: the pages
// read in the phases without (the baseline), the reads sent, and the events the log took.
type readsResult struct {
	BaselinePages   int64   `json:"baseline_pages"`
	BaselineLatency summary `json:"baseline_latency_ms"` // pages without reads
	Sent            int64   `json:"sent"`
	Failed          int64   `json:"failed"`
	Latency         summary `json:"latency_ms"` // of each POST /api/posts/{id}/read
	Rate            float64 `json:"rate_per_s"`
	Events          uint64  `json:"events"` // appended to the log while the pages were read
	EventRate       float64 `json:"events_per_s"`
}

// add notes the reads of rr, sent within elapsed, and the events the log took since seqBefore.
func (r *readsResult) add(ctx context.Context, api *apiClient, rr *readRun, seqBefore uint64, elapsed time.Duration) error {
	after, err := api.streamSeq(ctx)
	if err != nil {
		return err
	}
	r.BaselineLatency = rr.baseline.summarize()
	r.BaselinePages = int64(r.BaselineLatency.Count)
	r.Sent, r.Failed = rr.sent.Load(), rr.failed.Load()
	r.Latency, r.Rate = rr.latency.summarize(), perSecond(r.Sent-r.Failed, elapsed)
	r.Events = after - seqBefore
	r.EventRate = perSecond(int64(r.Events), elapsed)
	return nil
}

// writeText prints the reads and the pages' p99 with them against the baseline's.
func (r *readsResult) writeText(w io.Writer, p99 float64) {
	if r == nil {
		return
	}
	fmt.Fprintf(w, "reads: sent=%d failed=%d %s rate=%.1f/s events=%d events_rate=%.1f/s\n",
		r.Sent, r.Failed, r.Latency.text(), r.Rate, r.Events, r.EventRate)
	fmt.Fprintf(w, "pages without reads (every other %s): pages=%d %s\nwith reads vs without: p99 %.2f×\n",
		readPhase, r.BaselinePages, r.BaselineLatency.text(), ratio(p99, r.BaselineLatency.P99))
}
