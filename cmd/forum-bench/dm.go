package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// dmResult is the report of the dm scenario. Latency runs from the sender's write of the frame to the
// peer's read of the dm; ack latency from the same write to the sender's read of its ack.
type dmResult struct {
	common
	Pairs      int     `json:"pairs"`
	TargetRate float64 `json:"target_rate_per_s"`
	Sent       int64   `json:"sent"`
	Delivered  int64   `json:"delivered"`
	Acked      int64   `json:"acked"`
	Duplicates int64   `json:"duplicates"`
	Dropped    int64   `json:"dropped_connections"`
	Latency    summary `json:"latency_ms"`
	AckLatency summary `json:"ack_latency_ms"`
	SendRate   float64 `json:"send_rate_per_s"`
	Throughput float64 `json:"rate_per_s"` // deliveries per second of elapsed time
	SendMS     float64 `json:"send_ms"`    // the sending phase; elapsed adds the drain
}

// writeText prints the report as a summary line and detail lines.
func (r *dmResult) writeText(w io.Writer) {
	fmt.Fprintf(w, "scenario=dm pairs=%d sent=%d delivered=%d %s rate=%.1f/s elapsed=%.2fs\n",
		r.Pairs, r.Sent, r.Delivered, r.Latency.text(), r.Throughput, r.ElapsedMS/1000)
	fmt.Fprintf(w, "ack: acked=%d/%d %s\n", r.Acked, r.Sent, r.AckLatency.text())
	fmt.Fprintf(w, "send: target=%.1f/s achieved=%.1f/s took=%.2fs duplicates=%d dropped_connections=%d\n",
		r.TargetRate, r.SendRate, r.SendMS/1000, r.Duplicates, r.Dropped)
	r.writeFooter(w)
}

// dmReceiver is one connection's view of the dm scenario. Its fields other than the shared counters are
// touched only by that connection's reader.
type dmReceiver struct {
	self, run           string
	seen                bitset
	latency, ackLatency []time.Duration
	duplicates          int64
	delivered, acked    *atomic.Int64 // shared by all receivers, for the drain
	errs                *tally
}

// handle accounts for one frame: a dm from the peer (latency, duplicates), an ack of our own message, or
// an error. The echo of our own dm and every other frame type are ignored.
func (r *dmReceiver) handle(at time.Time, data []byte) {
	var f frame
	if err := json.Unmarshal(data, &f); err != nil {
		r.errs.add("ws_bad_frame", err)
		return
	}
	switch f.Type {
	case "dm", "ack":
		var m apiMessage
		if err := json.Unmarshal(f.Message, &m); err != nil {
			r.errs.add("ws_bad_frame", fmt.Errorf("%s frame: %w", f.Type, err))
			return
		}
		n, sent, ok := parseStamp(r.run, m.Body)
		if !ok {
			return // not from this run
		}
		if f.Type == "ack" {
			r.ackLatency = append(r.ackLatency, at.Sub(sent))
			r.acked.Add(1)
			return
		}
		if m.From.ID == r.self {
			return // the copy of our own message that every connection of the sender gets
		}
		if r.seen.testAndSet(n) {
			r.duplicates++
			return
		}
		r.latency = append(r.latency, at.Sub(sent))
		r.delivered.Add(1)
	case "error":
		var text string
		_ = json.Unmarshal(f.Message, &text)
		r.errs.add("ws_"+f.Code, fmt.Errorf("error frame %s: %s (client_id %q)", f.Code, text, f.ClientID))
	}
}

// dmRun is what one dm run shares between its steps.
type dmRun struct {
	delivered, acked, sent atomic.Int64
	errs                   tally
	g                      connGroup
	conns                  []*websocket.Conn
	recvs                  []*dmReceiver
}

// runDM connects 2·pairs users, one WebSocket each, and has every user send direct messages to its peer
// (user 2i ↔ 2i+1): --messages in all at --rate per second, within --duration, then waits up to --drain
// for the deliveries and acks still in flight. It fails only if setup does.
func (b *bench) runDM(ctx context.Context) (*dmResult, error) {
	cfg := b.cfg
	users, setup, err := b.setupUsers(ctx, 2*cfg.pairs)
	if err != nil {
		return nil, err
	}
	var dr dmRun
	defer dr.g.closeAll()
	b.log.Info("setup: opening websockets", "connections", len(users))
	start := time.Now()
	if err := b.openDMConns(ctx, &dr, users); err != nil {
		return nil, fmt.Errorf("open websockets: %w", err)
	}
	b.log.Info("setup: websockets open", "connections", len(dr.conns), "took", time.Since(start).Round(time.Millisecond))

	b.log.Info("sending", "messages", cfg.messages, "rate", cfg.rate, "max", cfg.duration)
	start = time.Now()
	b.sendPaced(ctx, &dr, users)
	sendTook := time.Since(start)
	b.log.Info("sent; draining", "sent", dr.sent.Load(), "delivered", dr.delivered.Load(), "drain", cfg.drain)
	drain(ctx, cfg.drain, func() bool { return dr.delivered.Load() >= dr.sent.Load() && dr.acked.Load() >= dr.sent.Load() })
	elapsed := time.Since(start)
	dropped := dr.g.dropped.Load()
	dr.g.closeAll() // the readers are done: their state may be merged

	var lat, ackLat []time.Duration
	var dups int64
	for _, r := range dr.recvs {
		lat = append(lat, r.latency...)
		ackLat = append(ackLat, r.ackLatency...)
		dups += r.duplicates
	}
	res := &dmResult{
		common:     b.newCommon(len(users), setup),
		Pairs:      cfg.pairs,
		TargetRate: cfg.rate,
		Sent:       dr.sent.Load(),
		Delivered:  dr.delivered.Load(),
		Acked:      dr.acked.Load(),
		Duplicates: dups,
		Dropped:    dropped,
		Latency:    summarize(lat),
		AckLatency: summarize(ackLat),
		SendRate:   perSecond(dr.sent.Load(), sendTook),
		Throughput: perSecond(dr.delivered.Load(), elapsed),
		SendMS:     ms(sendTook),
	}
	res.ElapsedMS = ms(elapsed)
	res.Interrupted = ctx.Err() != nil
	dr.errs.merge(&dr.g.drops)
	res.setErrors(&dr.errs)
	return res, nil
}

// openDMConns opens one connection per user, each read by a receiver of
// direct messages; it fails if any cannot be opened.
func (b *bench) openDMConns(ctx context.Context, dr *dmRun, users []benchUser) error {
	dr.conns = make([]*websocket.Conn, len(users))
	dr.recvs = make([]*dmReceiver, len(users))
	return forEach(ctx, len(users), b.cfg.dialConcurrency, func(ctx context.Context, i int) error {
		c, err := b.dial(ctx, users[i])
		if err != nil {
			return err
		}
		dr.recvs[i] = &dmReceiver{self: users[i].ID, run: b.runID, seen: newBitset(b.cfg.messages),
			delivered: &dr.delivered, acked: &dr.acked, errs: &dr.errs}
		dr.conns[i] = c
		dr.g.add(c, dr.recvs[i].handle)
		return nil
	})
}

// sendPaced has every user write --messages direct messages in all to its
// peer at --rate per second within --duration, and returns when all are
// written.
func (b *bench) sendPaced(ctx context.Context, dr *dmRun, users []benchUser) {
	sendCtx, cancel := context.WithTimeout(ctx, b.cfg.duration)
	defer cancel()
	jobs := pace(sendCtx, b.cfg.messages, b.cfg.rate)
	var writers sync.WaitGroup
	for i, c := range dr.conns { // one writer per connection: gorilla allows one concurrent writer
		from, peer := users[i], users[i^1].ID
		writers.Go(func() {
			for n := range jobs {
				if err := b.sendDM(c, from, peer, n); err != nil {
					dr.errs.add("ws_write", err)
					continue
				}
				dr.sent.Add(1)
			}
		})
	}
	writers.Wait()
}

// sendDM writes message n from user from to peer, stamped with the moment of writing.
func (b *bench) sendDM(c *websocket.Conn, from benchUser, peer string, n int) error {
	now := time.Now()
	f := dmFrame{
		Type:     "dm",
		To:       peer,
		Body:     pad(stamp(b.runID, n, now), b.cfg.size),
		ClientID: b.runID + "-" + strconv.Itoa(n),
	}
	data, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode dm: %w", err)
	}
	_ = c.SetWriteDeadline(now.Add(b.cfg.timeout))
	if err := c.WriteMessage(websocket.TextMessage, data); err != nil {
		return fmt.Errorf("write dm as %s: %w", from.Nickname, err)
	}
	return nil
}
