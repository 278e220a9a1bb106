package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// fanoutPosters is how many post requests the fanout poster keeps in flight at most, so that a slow
// request does not hold back the --rate schedule. They all act as the same user.
const fanoutPosters = 4

// fanoutResult is the report of the fanout scenario. Latency runs from the start of the POST to each
// connection's read of the post.created frame.
type fanoutResult struct {
	common
	Clients    int        `json:"clients"`
	TargetRate float64    `json:"target_rate_per_s"`
	Posts      int64      `json:"posts"`      // created (201)
	Expected   int64      `json:"expected"`   // posts × connections
	Delivered  int64      `json:"delivered"`  // distinct (post, connection) receipts
	Duplicates int64      `json:"duplicates"` // repeated receipts
	Dropped    int64      `json:"dropped_connections"`
	Latency    summary    `json:"latency_ms"`
	Request    summary    `json:"request_latency_ms"` // of POST /api/posts
	Throughput float64    `json:"rate_per_s"`         // deliveries per second of elapsed time
	SendMS     float64    `json:"send_ms"`
	FrameBytes int        `json:"frame_bytes"` // of one post.created frame
	Raw        *rawResult `json:"raw,omitempty"`
}

// writeText prints the report as a summary line and detail lines.
func (r *fanoutResult) writeText(w io.Writer) {
	fmt.Fprintf(w, "scenario=fanout clients=%d posts=%d expected=%d delivered=%d %s rate=%.1f/s elapsed=%.2fs\n",
		r.Clients, r.Posts, r.Expected, r.Delivered, r.Latency.text(), r.Throughput, r.ElapsedMS/1000)
	fmt.Fprintf(w, "post requests: %s target=%.1f/s took=%.2fs\n", r.Request.text(), r.TargetRate, r.SendMS/1000)
	fmt.Fprintf(w, "delivery: delivered=%d/%d duplicates=%d dropped_connections=%d\n",
		r.Delivered, r.Expected, r.Duplicates, r.Dropped)
	r.Raw.writeText(w, r.Throughput, r.Latency.P99)
	r.writeFooter(w)
}

// fanoutReceiver is one connection's view of the fanout scenario; only its reader touches it.
type fanoutReceiver struct {
	run        string
	seen       bitset
	latency    []time.Duration
	duplicates int64
	delivered  *atomic.Int64 // shared by all receivers, for the drain
	errs       *tally
	size       int // of the first post.created frame
}

// handle accounts for one frame: a post.created from this run (latency, duplicates) or an error frame.
func (r *fanoutReceiver) handle(at time.Time, data []byte) {
	var f frame
	if err := json.Unmarshal(data, &f); err != nil {
		r.errs.add("ws_bad_frame", err)
		return
	}
	switch f.Type {
	case "post.created":
		if f.Post == nil {
			r.errs.add("ws_bad_frame", fmt.Errorf("post.created without post: %.200s", data))
			return
		}
		n, sent, ok := parseStamp(r.run, f.Post.Title)
		if !ok {
			return // someone else's post
		}
		if r.seen.testAndSet(n) {
			r.duplicates++
			return
		}
		r.latency = append(r.latency, at.Sub(sent))
		if r.size == 0 {
			r.size = len(data)
		}
		r.delivered.Add(1)
	case "error":
		var text string
		_ = json.Unmarshal(f.Message, &text)
		r.errs.add("ws_"+f.Code, fmt.Errorf("error frame %s: %s", f.Code, text))
	}
}

// fanoutRun is what one fanout run shares between its steps.
type fanoutRun struct {
	delivered, created atomic.Int64
	errs               tally
	g                  connGroup
	reqLatency         samples
	recvs              []*fanoutReceiver
}

// openReceivers opens n connections with dial, each read by a receiver of
// posts, n in all; it fails if any cannot be opened.
func (b *bench) openReceivers(ctx context.Context, fr *fanoutRun, n int, dial func(ctx context.Context, i int) (*websocket.Conn, error)) error {
	fr.recvs = make([]*fanoutReceiver, n)
	return forEach(ctx, n, b.cfg.dialConcurrency, func(ctx context.Context, i int) error {
		c, err := dial(ctx, i)
		if err != nil {
			return err
		}
		fr.recvs[i] = &fanoutReceiver{run: b.runID, seen: newBitset(b.cfg.posts), delivered: &fr.delivered, errs: &fr.errs}
		fr.g.add(c, fr.recvs[i].handle)
		return nil
	})
}

// receipts gathers what the receivers saw: every latency, the duplicates,
// and the largest post.created frame.
func (fr *fanoutRun) receipts() (lat []time.Duration, dups int64, size int) {
	for _, r := range fr.recvs {
		lat = append(lat, r.latency...)
		dups += r.duplicates
		size = max(size, r.size)
	}
	return lat, dups, size
}

// runFanout opens --clients connections shared by --users users, then has one more user create --posts
// posts at --rate per second within --duration, and measures how each connection receives them. It
// waits up to --drain after the last post. It fails only if setup does.
func (b *bench) runFanout(ctx context.Context) (*fanoutResult, error) {
	cfg := b.cfg
	users, setup, err := b.setupUsers(ctx, cfg.users+1)
	if err != nil {
		return nil, err
	}
	poster, readers := users[cfg.users], users[:cfg.users]
	slug, err := b.category(ctx)
	if err != nil {
		return nil, err
	}
	var fr fanoutRun
	defer fr.g.closeAll()
	b.log.Info("setup: opening websockets", "connections", cfg.clients, "users", len(readers))
	start := time.Now()
	err = b.openReceivers(ctx, &fr, cfg.clients, func(ctx context.Context, i int) (*websocket.Conn, error) {
		return b.dial(ctx, readers[i%len(readers)])
	})
	if err != nil {
		return nil, fmt.Errorf("open websockets: %w", err)
	}
	b.log.Info("setup: websockets open", "connections", cfg.clients, "took", time.Since(start).Round(time.Millisecond))

	b.log.Info("posting", "posts", cfg.posts, "rate", cfg.rate, "max", cfg.duration, "category", slug)
	start = time.Now()
	b.postPaced(ctx, &fr, poster, slug)
	sendTook := time.Since(start)
	conns := int64(cfg.clients)
	b.log.Info("posted; draining", "posts", fr.created.Load(), "delivered", fr.delivered.Load(), "drain", cfg.drain)
	drain(ctx, cfg.drain, func() bool { return fr.delivered.Load() >= fr.created.Load()*conns })
	elapsed := time.Since(start)
	dropped := fr.g.dropped.Load()
	fr.g.closeAll()

	lat, dups, size := fr.receipts()
	res := &fanoutResult{
		common:     b.newCommon(len(users), setup),
		Clients:    cfg.clients,
		TargetRate: cfg.rate,
		Posts:      fr.created.Load(),
		Expected:   fr.created.Load() * conns,
		Delivered:  fr.delivered.Load(),
		Duplicates: dups,
		Dropped:    dropped,
		Latency:    summarize(lat),
		Request:    fr.reqLatency.summarize(),
		Throughput: perSecond(fr.delivered.Load(), elapsed),
		SendMS:     ms(sendTook),
		FrameBytes: size,
	}
	if cfg.raw {
		b.log.Info("measuring the raw limit: a bare gorilla/websocket broadcast", "connections", cfg.clients, "frame_bytes", size)
		if res.Raw, err = b.rawBroadcast(ctx, size); err != nil {
			return nil, err
		}
	}
	res.ElapsedMS = ms(elapsed)
	res.Interrupted = ctx.Err() != nil
	fr.errs.merge(&fr.g.drops)
	res.setErrors(&fr.errs)
	return res, nil
}

// postPaced has poster create --posts posts in slug at --rate per second
// within --duration, fanoutPosters requests in flight at most, and returns
// when the last has answered.
func (b *bench) postPaced(ctx context.Context, fr *fanoutRun, poster benchUser, slug string) {
	sendCtx, cancel := context.WithTimeout(ctx, b.cfg.duration)
	defer cancel()
	jobs := pace(sendCtx, b.cfg.posts, b.cfg.rate)
	var posters sync.WaitGroup
	for range fanoutPosters {
		posters.Go(func() {
			for n := range jobs {
				t0 := time.Now()
				title := stamp(b.runID, n, t0)
				_, err := b.api.createPost(ctx, poster.Token, title, pad(title, b.cfg.size), slug)
				if err != nil {
					fr.errs.addErr(err)
					continue
				}
				fr.reqLatency.add(time.Since(t0))
				fr.created.Add(1)
			}
		})
	}
	posters.Wait()
}
