package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// feedResult is the report of the feed scenario: the latency of each GET /api/posts page.
type feedResult struct {
	common
	Readers    int        `json:"readers"`
	SignedIn   bool       `json:"signed_in"`
	TargetRate float64    `json:"target_rate_per_s"` // 0 = as fast as the readers go
	Limit      int        `json:"limit"`
	Depth      int        `json:"depth"`
	Seeded     int64      `json:"seeded"`   // posts created before reading
	SeedMS     float64    `json:"seed_ms"`  // creating them
	Requests   int64      `json:"requests"` // pages asked for
	Pages      int64      `json:"pages"`    // pages received
	Failed     int64      `json:"failed"`
	Items      int64      `json:"items"`
	Latency    summary    `json:"latency_ms"`
	Throughput float64    `json:"rate_per_s"`
	Raw        *rawResult `json:"raw,omitempty"` // pages per second
	// Reads, with --read-each-view: the read events sent beside the pages, and the pages read before
	// without them; Latency and Throughput are then those of the pages read with them.
	Reads *readsResult `json:"reads,omitempty"`
}

// writeText prints the report as a summary line and detail lines.
func (r *feedResult) writeText(w io.Writer) {
	fmt.Fprintf(w, "scenario=feed readers=%d signed_in=%v sent=%d pages=%d failed=%d %s rate=%.1f/s elapsed=%.2fs\n",
		r.Readers, r.SignedIn, r.Requests, r.Pages, r.Failed, r.Latency.text(), r.Throughput, r.ElapsedMS/1000)
	avg := 0.0
	if r.Pages > 0 {
		avg = float64(r.Items) / float64(r.Pages)
	}
	fmt.Fprintf(w, "pages: limit=%d depth=%d items=%d items_per_page=%.1f seeded=%d seed_took=%.2fs\n",
		r.Limit, r.Depth, r.Items, avg, r.Seeded, r.SeedMS/1000)
	r.Reads.writeText(w, r.Latency.P99)
	r.Raw.writeText(w, r.Throughput, r.Latency.P99)
	r.writeFooter(w)
}

// runFeed optionally creates --seed posts, then has --clients anonymous readers fetch pages of
// GET /api/posts?limit=--limit, --requests in all at --rate per second (unpaced by default) within
// --duration. Each reader starts from the newest page and follows `next` for up to --depth pages before
// starting over. It fails only if seeding fails.
func (b *bench) runFeed(ctx context.Context) (*feedResult, error) {
	cfg := b.cfg
	res := &feedResult{Readers: cfg.clients, SignedIn: cfg.signedIn, TargetRate: cfg.rate, Limit: cfg.limit, Depth: cfg.depth}
	res.common = b.newCommon(0, 0)
	readers, err := b.setupFeed(ctx, res)
	if err != nil {
		return nil, err
	}
	var fr feedRun
	if cfg.readEach {
		fr.reads = &readRun{start: time.Now()}
		res.Reads = &readsResult{}
	}
	b.log.Info("reading", "requests", cfg.requests, "readers", cfg.clients, "rate", cfg.rate, "max", cfg.duration, "read_each_view", cfg.readEach)
	seqBefore, err := b.api.streamSeq(ctx)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	b.readPaced(ctx, &fr, readers)
	elapsed := time.Since(start)
	if fr.reads != nil {
		if err := res.Reads.add(ctx, b.api, fr.reads, seqBefore, elapsed); err != nil {
			return nil, err
		}
	}

	res.Requests, res.Pages, res.Items = fr.requests.Load(), fr.pages.Load(), fr.items.Load()
	res.Failed = res.Requests - res.Pages
	res.Latency = fr.latency.summarize()
	res.Throughput = perSecond(res.Pages, elapsed)
	res.ElapsedMS = ms(elapsed)
	res.Interrupted = ctx.Err() != nil
	res.setErrors(&fr.errs)
	if cfg.raw {
		b.log.Info("measuring the raw limit: net/http hello world")
		if res.Raw, err = b.rawHello(ctx); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// setupFeed signs up the users the feed scenario needs (one to seed
// --seed posts, and --clients signed-in readers besides: writing a post
// counts as reading it, so its author is no reader of it), seeds the posts
// and has the readers vote, noting it in res. It returns the signed-in
// readers, none for anonymous ones.
func (b *bench) setupFeed(ctx context.Context, res *feedResult) ([]benchUser, error) {
	cfg := b.cfg
	if cfg.seed <= 0 && !cfg.signedIn {
		return nil, nil
	}
	n := 1
	if cfg.signedIn {
		n += cfg.clients
	}
	users, setup, err := b.setupUsers(ctx, n)
	if err != nil {
		return nil, err
	}
	res.common = b.newCommon(len(users), setup)
	if cfg.seed > 0 {
		if res.Seeded, res.SeedMS, err = b.seedPosts(ctx, users[0]); err != nil {
			return nil, err
		}
	}
	if !cfg.signedIn {
		return nil, nil
	}
	readers := users[1:]
	if err := b.voteSome(ctx, readers); err != nil {
		return nil, err
	}
	return readers, nil
}

// feedRun counts what the feed's readers did.
type feedRun struct {
	requests, pages, items atomic.Int64
	errs                   tally
	latency                samples
	reads                  *readRun // nil: no reads
}

// readPaced has --clients readers (readers[i] when signed in) fetch
// --requests pages in all at --rate per second within --duration, each
// following next for up to --depth pages before starting over.
func (b *bench) readPaced(ctx context.Context, fr *feedRun, readers []benchUser) {
	cfg := b.cfg
	sendCtx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	jobs := pace(sendCtx, cfg.requests, cfg.rate)
	var wg sync.WaitGroup
	for i := range cfg.clients {
		token := ""
		if readers != nil {
			token = readers[i].Token
		}
		wg.Go(func() {
			cursor, depth, views := "", 0, 0
			for range jobs {
				if depth >= cfg.depth {
					cursor, depth = "", 0
				}
				fr.requests.Add(1)
				t0 := time.Now()
				path, raw, err := b.api.listPage(ctx, token, cfg.limit, cursor)
				var n int
				var next string
				if err == nil {
					n, next, err = scanPage(path, raw)
				}
				if err != nil {
					fr.errs.addErr(err)
					cursor, depth = "", 0
					continue
				}
				fr.pages.Add(1)
				fr.items.Add(int64(n))
				if fr.reads == nil {
					fr.latency.add(time.Since(t0))
				} else if !fr.reads.on(t0) {
					fr.reads.baseline.add(time.Since(t0))
				} else {
					fr.latency.add(time.Since(t0))
					fr.reads.open(ctx, b.api, token, pageIDs(raw), i+views/cfg.depth, &fr.errs) // a post not opened yet, while they last
					views++
				}
				cursor, depth = next, depth+1
				if next == "" {
					depth = cfg.depth // the end of the feed: start over
				}
			}
		})
	}
	wg.Wait()
}

// seedPosts creates --seed posts as author, --signup-concurrency at a time, within --duration. It
// returns how many it created and how long that took in milliseconds, and fails on the first refusal.
func (b *bench) seedPosts(ctx context.Context, author benchUser) (int64, float64, error) {
	slug, err := b.category(ctx)
	if err != nil {
		return 0, 0, err
	}
	b.log.Info("setup: seeding posts", "posts", b.cfg.seed, "category", slug)
	seedCtx, cancel := context.WithTimeout(ctx, b.cfg.duration)
	defer cancel()
	start := time.Now()
	var created atomic.Int64
	err = forEach(seedCtx, b.cfg.seed, b.cfg.signupConcurrency, func(ctx context.Context, i int) error {
		title := fmt.Sprintf("bench %s seed %d", b.runID, i)
		if _, err := b.api.createPost(ctx, author.Token, title, pad(title, b.cfg.size), slug); err != nil {
			return err
		}
		created.Add(1)
		return nil
	})
	took := time.Since(start)
	if err != nil {
		return created.Load(), ms(took), fmt.Errorf("seed posts: %w", err)
	}
	b.log.Info("setup: posts seeded", "posts", created.Load(), "took", took.Round(time.Millisecond))
	return created.Load(), ms(took), nil
}

// voteSome has each reader like or dislike a few of the newest posts, so that their pages hold votes of
// their own to merge.
func (b *bench) voteSome(ctx context.Context, readers []benchUser) error {
	var out struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := b.api.do(ctx, http.MethodGet, "/api/posts?limit=100", "", nil, &out); err != nil {
		return err
	}
	if len(out.Items) == 0 {
		return nil
	}
	b.log.Info("setup: readers voting", "readers", len(readers), "posts", len(out.Items))
	return forEach(ctx, len(readers), b.cfg.signupConcurrency, func(ctx context.Context, i int) error {
		for k := range 5 {
			p := out.Items[(i*7+k*13)%len(out.Items)]
			v := 1 - 2*(k%2)
			if err := b.api.do(ctx, http.MethodPut, "/api/posts/"+p.ID+"/vote", readers[i].Token, map[string]int{"value": v}, nil); err != nil {
				return fmt.Errorf("vote: %w", err)
			}
		}
		return nil
	})
}
