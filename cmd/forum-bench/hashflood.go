package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// hashfloodResult is the report of the hashflood scenario: --clients flood
// the forum with wrong HTTP Basic credentials, each from a loopback address
// of its own (so the per-address throttle does not stop them at once), while
// an honest user keeps reading with a token and signing in.
type hashfloodResult struct {
	common
	Clients       int              `json:"clients"`
	Flood         map[string]int64 `json:"flood_statuses"` // status → count
	FloodRate     float64          `json:"flood_rate_per_s"`
	RSSBefore     float64          `json:"rss_before_bytes"`
	PeakRSS       float64          `json:"peak_rss_bytes"`
	RSSSamples    int              `json:"rss_samples"`
	HonestRead    summary          `json:"honest_read_ms"`   // GET /api/me with a token
	HonestSignIn  summary          `json:"honest_signin_ms"` // POST /api/signin, right password
	SignInRefused int64            `json:"honest_signin_refused"`
}

func (r *hashfloodResult) writeText(w io.Writer) {
	fmt.Fprintf(w, "scenario=hashflood clients=%d flood=%.0f/s peak_rss=%s (before %s, %d samples) elapsed=%.2fs\n",
		r.Clients, r.FloodRate, bytesText(r.PeakRSS), bytesText(r.RSSBefore), r.RSSSamples, r.ElapsedMS/1000)
	fmt.Fprintf(w, "  flood statuses: %v\n", r.Flood)
	fmt.Fprintf(w, "  honest read (token): %s\n", r.HonestRead.text())
	fmt.Fprintf(w, "  honest sign-in: %s refused=%d\n", r.HonestSignIn.text(), r.SignInRefused)
	r.writeFooter(w)
}

// floodClient returns an HTTP client whose connections come from the i-th
// address of 127.0.0.0/8 after 127.0.0.1, when the forum is on loopback.
func (b *bench) floodClient(i int) *http.Client {
	d := &net.Dialer{Timeout: b.cfg.timeout}
	if u, err := url.Parse(b.cfg.baseURL); err == nil {
		if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsLoopback() || u.Hostname() == "localhost" {
			d.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, byte(1+(i+1)/250), byte(2+(i+1)%250), 1)}
		}
	}
	return &http.Client{Timeout: b.cfg.timeout, Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 2}}
}

// hashflood is one hashflood run: its report, filled in by the flooders,
// the memory sampler and the honest user at once.
type hashflood struct {
	mu             sync.Mutex // guards res's counts and floods
	res            *hashfloodResult
	floods         int64
	errs           tally
	reads, signins samples
}

// runHashflood floods for --duration and samples the forum's resident
// memory (from /metrics) every 100 ms meanwhile.
func (b *bench) runHashflood(ctx context.Context) (*hashfloodResult, error) {
	cfg := b.cfg
	users, setup, err := b.setupUsers(ctx, 1)
	if err != nil {
		return nil, err
	}
	honest := users[0]
	before, err := b.api.metrics(ctx)
	if err != nil {
		return nil, err
	}
	hf := &hashflood{res: &hashfloodResult{common: b.newCommon(1, setup), Clients: cfg.clients, Flood: map[string]int64{}, RSSBefore: before["process_resident_memory_bytes"]}}

	floodCtx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	var wg sync.WaitGroup
	start := time.Now()
	for i := range cfg.clients {
		hc := b.floodClient(i)
		wg.Go(func() { b.flood(floodCtx, hf, hc, i) })
	}
	wg.Go(func() { b.sampleRSS(floodCtx, hf) })
	wg.Go(func() { b.honestUser(floodCtx, hf, honest) })
	wg.Wait()
	elapsed := time.Since(start)
	res := hf.res
	res.ElapsedMS = ms(elapsed)
	res.FloodRate = perSecond(hf.floods, elapsed)
	res.HonestRead, res.HonestSignIn = hf.reads.summarize(), hf.signins.summarize()
	res.setErrors(&hf.errs)
	if len(res.Flood) == 0 {
		return res, fmt.Errorf("the flood got no answer")
	}
	return res, nil
}

// flood is the i-th flooder: wrong HTTP Basic credentials, a new nickname
// each time, from hc until ctx ends.
func (b *bench) flood(ctx context.Context, hf *hashflood, hc *http.Client, i int) {
	for n := 0; ctx.Err() == nil; n++ {
		req, _ := http.NewRequestWithContext(ctx, "GET", b.cfg.baseURL+"/api/me", nil)
		req.SetBasicAuth(fmt.Sprintf("%sflood%d-%d", b.cfg.prefix, i, n), "wrong-password")
		resp, err := hc.Do(req)
		if err != nil {
			if ctx.Err() == nil {
				hf.errs.add("flood", err)
			}
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		hf.mu.Lock()
		hf.res.Flood[fmt.Sprint(resp.StatusCode)]++
		hf.floods++
		hf.mu.Unlock()
	}
}

// sampleRSS notes the forum's peak resident memory every 100 ms until ctx
// ends.
func (b *bench) sampleRSS(ctx context.Context, hf *hashflood) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for ctx.Err() == nil {
		if m, err := b.api.metrics(ctx); err == nil {
			hf.mu.Lock()
			hf.res.PeakRSS = max(hf.res.PeakRSS, m["process_resident_memory_bytes"])
			hf.res.RSSSamples++
			hf.mu.Unlock()
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
		}
	}
}

// honestUser reads with a token every 250 ms, and signs in every fourth
// time, until ctx ends.
func (b *bench) honestUser(ctx context.Context, hf *hashflood, honest benchUser) {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for n := 0; ctx.Err() == nil; n++ {
		t0 := time.Now()
		if err := b.api.do(ctx, "GET", "/api/me", honest.Token, nil, nil); err == nil {
			hf.reads.add(time.Since(t0))
		} else if ctx.Err() == nil {
			hf.errs.add("honest_read", err)
		}
		if n%4 == 0 {
			t0 = time.Now()
			body := map[string]string{"login": honest.Nickname, "password": b.cfg.password}
			if err := b.api.do(ctx, "POST", "/api/signin", "", body, nil); err == nil {
				hf.signins.add(time.Since(t0))
			} else if ctx.Err() == nil {
				hf.mu.Lock()
				hf.res.SignInRefused++
				hf.mu.Unlock()
				hf.errs.add("honest_signin", err)
			}
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
		}
	}
}
