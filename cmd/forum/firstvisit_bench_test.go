package main

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// slow3G is DevTools' "Slow 3G" preset: 2 s of latency, 50,000 bytes/s each way.
var slow3G = network.Conditions{Latency: 2000, DownloadThroughput: 50_000, UploadThroughput: 50_000}

// BenchmarkFirstVisitSlow3G opens the feed in a fresh browser context on an
// emulated Slow 3G link and reports when its first post showed, how many
// requests and bytes that took, and the same for a repeat visit (the cache
// warm). Its raw limit is the link itself: one round trip for the page and
// one for its data, 4 s, which it reports as "floor-ms".
//
//	go test ./cmd/forum -run '^$' -bench FirstVisitSlow3G -benchtime 3x
func BenchmarkFirstVisitSlow3G(b *testing.B) {
	browser := startChromium(b)
	e := newBrowserEnv(b, browser)
	e.deadline = time.Now().Add(10 * time.Minute)
	ada := signUp(e.srv, "ada")
	for i := range 30 {
		createPost(e.srv, ada.Token, fmt.Sprintf("Post %d", i), "Some text for the feed.", "general")
	}
	var first, repeat []float64
	var requests, bytes float64
	for b.Loop() {
		p := e.newTab("visitor")
		if _, err := chromedp.Run(p.ctx, chromedp.Action[network.EmulateNetworkConditionsByRuleResult](
			func(ctx context.Context, t *chromedp.Target) (network.EmulateNetworkConditionsByRuleResult, error) {
				return cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule,
					network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: []*network.Conditions{&slow3G}})
			})); err != nil {
			b.Fatal(err)
		}
		visit := func() float64 {
			start := time.Now()
			ctx, cancel := context.WithTimeout(p.ctx, 2*time.Minute)
			defer cancel()
			_, err := chromedp.Run(ctx, chromedp.Steps(chromedp.Navigate(p.base+"/"),
				chromedp.Poll[chromedp.Void](`!!document.querySelector('#feed .post-card')`, chromedp.WithPollingInterval(20*time.Millisecond))))
			if err != nil {
				b.Fatalf("open the feed: %v", err)
			}
			return float64(time.Since(start).Milliseconds())
		}
		first = append(first, visit())
		requests += eval[float64](p, `performance.getEntriesByType('resource').length + 1`)
		bytes += eval[float64](p, `performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation')).reduce((n, r) => n + r.transferSize, 0)`)
		p.do("leave", chromedp.Navigate("about:blank"))
		repeat = append(repeat, visit())
	}
	n := float64(len(first))
	b.ReportMetric(median(first), "first-post-ms")
	b.ReportMetric(median(repeat), "repeat-ms")
	b.ReportMetric(requests/n, "requests")
	b.ReportMetric(bytes/n/1024, "KiB")
	b.ReportMetric(2*slow3G.Latency, "floor-ms")
	b.ReportMetric(median(first)/(2*slow3G.Latency), "x-floor")
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}
