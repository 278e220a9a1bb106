package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// The raw limits: what the same clients reach on this machine, in the same run, against servers that do
// nothing but the transport. A scenario's figure is read beside its limit, as a ratio, because the
// machines are shared and noisy: a figure alone says little.

// rawResult is a raw limit measured beside a scenario.
type rawResult struct {
	What       string  `json:"what"`
	Latency    summary `json:"latency_ms"`
	Throughput float64 `json:"rate_per_s"`
	Delivered  int64   `json:"delivered,omitempty"`
	Expected   int64   `json:"expected,omitempty"`
}

func (r *rawResult) writeText(w io.Writer, rate, p99 float64) {
	if r == nil {
		return
	}
	fmt.Fprintf(w, "raw limit (%s): %s rate=%.1f/s", r.What, r.Latency.text(), r.Throughput)
	if r.Expected > 0 {
		fmt.Fprintf(w, " delivered=%d/%d", r.Delivered, r.Expected)
	}
	fmt.Fprintf(w, "\nvs raw: rate %.3f of the limit, p99 %.2f× the limit's\n", ratio(rate, r.Throughput), ratio(p99, r.Latency.P99))
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// serveRaw serves h on a loopback port of this process and returns its base URL and a stop function.
func serveRaw(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("raw limit: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

// rawHello measures a bare net/http "hello world" with the scenario's readers, requests and rate: the
// raw limit of an HTTP request on this machine.
func (b *bench) rawHello(ctx context.Context) (*rawResult, error) {
	base, stop, err := serveRaw(helloHandler)
	if err != nil {
		return nil, err
	}
	defer stop()
	client := newAPIClient(base, b.cfg.timeout, b.cfg.clients)
	n := b.cfg.requests
	if b.cfg.scenario == scenarioPosts {
		n = b.cfg.posts
	}
	var latency samples
	var failed atomic.Int64
	runCtx, cancel := context.WithTimeout(ctx, b.cfg.duration)
	defer cancel()
	jobs := pace(runCtx, n, b.cfg.rate)
	start := time.Now()
	var wg sync.WaitGroup
	for range b.cfg.clients {
		wg.Go(func() {
			for range jobs {
				t0 := time.Now()
				if err := getDiscard(runCtx, client.http, base+"/"); err != nil {
					failed.Add(1)
					continue
				}
				latency.add(time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if f := failed.Load(); f > 0 {
		return nil, fmt.Errorf("raw limit: %d hello-world requests failed", f)
	}
	s := latency.summarize()
	return &rawResult{What: "net/http hello world, same clients", Latency: s, Throughput: perSecond(int64(s.Count), elapsed)}, nil
}

func getDiscard(ctx context.Context, c *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// rawHub is the raw limit's broadcast server: one writer goroutine and
// channel per connection.
type rawHub struct {
	mu   sync.Mutex
	outs []chan []byte
	up   websocket.Upgrader
}

// ServeHTTP upgrades, says hello, and reads until the client goes.
func (h *rawHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, err := h.up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	// The hello goes out before the writer starts: a connection has one writer.
	if c.WriteMessage(websocket.TextMessage, []byte(`{"type":"hello"}`)) != nil {
		c.Close()
		return
	}
	out := make(chan []byte, 256)
	h.mu.Lock()
	h.outs = append(h.outs, out)
	h.mu.Unlock()
	go func() {
		for m := range out {
			c.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if c.WriteMessage(websocket.TextMessage, m) != nil {
				break
			}
		}
		c.Close()
	}()
	for {
		if _, _, err := c.NextReader(); err != nil {
			return
		}
	}
}

// broadcast queues m on every connection; a full channel misses it.
func (h *rawHub) broadcast(m []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, out := range h.outs {
		select {
		case out <- m:
		default: // a full channel: that connection misses the frame
		}
	}
}

// close ends every connection's writer.
func (h *rawHub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, out := range h.outs {
		close(out)
	}
}

// rawBroadcast is the raw limit of the fanout scenario: a bare gorilla/websocket server (one writer
// goroutine and channel per connection, as in the library's chat example) with the same number of
// connections, sent the same number of frames of the same size at the same rate. Latency runs from
// the broadcast to each read.
func (b *bench) rawBroadcast(ctx context.Context, size int) (*rawResult, error) {
	cfg := b.cfg
	h := &rawHub{up: websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 4096, WriteBufferPool: &sync.Pool{}}}
	base, stop, err := serveRaw(h)
	if err != nil {
		return nil, err
	}
	defer func() { stop(); h.close() }()

	var fr fanoutRun
	defer fr.g.closeAll()
	url := "ws" + strings.TrimPrefix(base, "http") + "/"
	err = b.openReceivers(ctx, &fr, cfg.clients, func(ctx context.Context, _ int) (*websocket.Conn, error) {
		c, _, err := b.dialer.DialContext(ctx, url, nil)
		if err != nil {
			return nil, err
		}
		c.SetReadLimit(maxFrame)
		if _, _, err := c.ReadMessage(); err != nil { // the hello
			c.Close()
			return nil, err
		}
		return c, nil
	})
	if err != nil {
		return nil, fmt.Errorf("raw limit: open websockets: %w", err)
	}
	start := time.Now()
	sent := b.broadcastPaced(ctx, h, size)
	want := int64(sent) * int64(cfg.clients)
	drain(ctx, cfg.drain, func() bool { return fr.delivered.Load() >= want })
	elapsed := time.Since(start)
	fr.g.closeAll()
	lat, _, _ := fr.receipts()
	if sent == 0 {
		return nil, errors.New("raw limit: nothing was broadcast")
	}
	return &rawResult{What: "gorilla/websocket broadcast, same connections, frames and rate", Latency: summarize(lat),
		Throughput: perSecond(fr.delivered.Load(), elapsed), Delivered: fr.delivered.Load(), Expected: want}, nil
}

// broadcastPaced broadcasts --posts post.created frames of size bytes on h
// at --rate per second within --duration, and returns how many it sent.
func (b *bench) broadcastPaced(ctx context.Context, h *rawHub, size int) int {
	sendCtx, cancel := context.WithTimeout(ctx, b.cfg.duration)
	defer cancel()
	frameOf := func(n int, title, body string) []byte {
		m, _ := json.Marshal(map[string]any{"type": "post.created", "seq": n, "post": map[string]any{"id": fmt.Sprint(n), "title": title, "body": body}})
		return m
	}
	sent := 0
	for n := range pace(sendCtx, b.cfg.posts, b.cfg.rate) {
		title := stamp(b.runID, n, time.Now())
		m := frameOf(n, title, "")
		h.broadcast(frameOf(n, title, pad("", size-len(m)))) // as long as the forum's frame
		sent++
	}
	return sent
}

// helloHandler is the raw limit's server: net/http and nothing else.
var helloHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "hello world") })

// serveHello serves helloHandler on addr until ctx ends.
func serveHello(ctx context.Context, addr string, stderr io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: helloHandler, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	fmt.Fprintf(stderr, "serving hello world on http://%s/\n", ln.Addr())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
