package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// postsResult is the report of the posts scenario. Latency is that of POST /api/posts, which answers
// 201 only once the post is stored and projected.
type postsResult struct {
	common
	Clients    int        `json:"clients"`
	TargetRate float64    `json:"target_rate_per_s"` // 0 = as fast as the clients go
	Sent       int64      `json:"sent"`
	Created    int64      `json:"created"`
	Failed     int64      `json:"failed"`
	Latency    summary    `json:"latency_ms"`
	Throughput float64    `json:"rate_per_s"`
	Raw        *rawResult `json:"raw,omitempty"` // posts created per second
	// EventsPerCommit is the projector's mean batch meanwhile (from
	// /metrics; 0 when it could not be read): how far concurrent writes
	// were grouped into one transaction.
	EventsPerCommit float64 `json:"events_per_commit"`
}

// writeText prints the report as a summary line and detail lines.
func (r *postsResult) writeText(w io.Writer) {
	fmt.Fprintf(w, "scenario=posts clients=%d sent=%d created=%d failed=%d %s rate=%.1f/s elapsed=%.2fs events_per_commit=%.1f\n",
		r.Clients, r.Sent, r.Created, r.Failed, r.Latency.text(), r.Throughput, r.ElapsedMS/1000, r.EventsPerCommit)
	r.Raw.writeText(w, r.Throughput, r.Latency.P99)
	r.writeFooter(w)
}

// runPosts signs up --clients users and has each create posts over HTTP, --posts in all, at --rate per
// second (unpaced by default) within --duration. It fails only if setup does.
func (b *bench) runPosts(ctx context.Context) (*postsResult, error) {
	cfg := b.cfg
	users, setup, err := b.setupUsers(ctx, cfg.clients)
	if err != nil {
		return nil, err
	}
	slug, err := b.category(ctx)
	if err != nil {
		return nil, err
	}

	var (
		sent, created atomic.Int64
		errs          tally
		latency       samples
	)
	b.log.Info("posting", "posts", cfg.posts, "clients", cfg.clients, "rate", cfg.rate, "max", cfg.duration, "category", slug)
	sendCtx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	jobs := pace(sendCtx, cfg.posts, cfg.rate)
	before, _ := b.api.metrics(ctx)
	start := time.Now()
	var clients sync.WaitGroup
	for _, u := range users {
		clients.Go(func() {
			for n := range jobs {
				t0 := time.Now()
				title := stamp(b.runID, n, t0)
				sent.Add(1)
				if _, err := b.api.createPost(ctx, u.Token, title, pad(title, cfg.size), slug); err != nil {
					errs.addErr(err)
					continue
				}
				latency.add(time.Since(t0))
				created.Add(1)
			}
		})
	}
	clients.Wait()
	elapsed := time.Since(start)
	after, _ := b.api.metrics(ctx)

	res := &postsResult{
		common:     b.newCommon(len(users), setup),
		Clients:    cfg.clients,
		TargetRate: cfg.rate,
		Sent:       sent.Load(),
		Created:    created.Load(),
		Failed:     sent.Load() - created.Load(),
		Latency:    latency.summarize(),
		Throughput: perSecond(created.Load(), elapsed),
	}
	if commits := after["forum_projector_commits_total"] - before["forum_projector_commits_total"]; commits > 0 {
		res.EventsPerCommit = (after["forum_projector_events_total"] - before["forum_projector_events_total"]) / commits
	}
	res.ElapsedMS = ms(elapsed)
	res.Interrupted = ctx.Err() != nil
	res.setErrors(&errs)
	if cfg.raw {
		b.log.Info("measuring the raw limit: net/http hello world")
		var err error
		if res.Raw, err = b.rawHello(ctx); err != nil {
			return nil, err
		}
	}
	return res, nil
}
