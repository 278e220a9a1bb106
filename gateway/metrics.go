package gateway

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the gateway's Prometheus metrics and the hub's, in a
// registry of their own.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "forum_http_requests_total", Help: "HTTP requests by route and status.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "forum_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
	}
	m.reg.MustRegister(s.hub.Collectors()...)
	m.reg.MustRegister(s.cfg.Collectors...)
	m.reg.MustRegister(m.requests, m.latency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "forum_projection_seq", Help: "Stream sequence of the last event applied to the read models.",
		}, func() float64 { return float64(s.proj.Seq()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "forum_projection_lag_events", Help: "Events in the stream not yet in the read models.",
		}, func() float64 { return float64(s.ready(context.Background()).Lag) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "forum_ready", Help: "1 while this instance is ready (NATS connected, read models following and caught up).",
		}, func() float64 { return b2f(s.ready(context.Background()).Status == "ok") }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "forum_nats_connected", Help: "1 while the connection to NATS is up.",
		}, func() float64 { return b2f(s.store.Conn().IsConnected()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "forum_projector_recoveries_total", Help: "Times the projector started following the stream afresh after a failure or a stall.",
		}, func() float64 { return float64(s.proj.Recoveries()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "forum_projector_commits_total", Help: "Transactions the projector committed: each applies every event that arrived meanwhile.",
		}, func() float64 { c, _ := s.proj.Commits(); return float64(c) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "forum_projector_events_total", Help: "Events the projector applied (events_total / commits_total is the mean batch).",
		}, func() float64 { _, n := s.proj.Commits(); return float64(n) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "forum_media_cache_hits_total", Help: "Pictures served from the cache of opened pictures.",
		}, func() float64 { return float64(s.cmd.MediaCacheStats().Hits) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "forum_media_cache_misses_total", Help: "Pictures not in the cache of opened pictures, opened from the store.",
		}, func() float64 { return float64(s.cmd.MediaCacheStats().Misses) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "forum_media_cache_bytes", Help: "What the opened pictures kept in memory weigh.",
		}, func() float64 { return float64(s.cmd.MediaCacheStats().Bytes) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "forum_quarantined_events", Help: "Events the read models went past because they cannot be applied.",
		}, func() float64 { return float64(s.proj.Quarantined()) }),
	)
	return m
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (m *metrics) observeRequest(route string, status int, d time.Duration) {
	if status == 0 {
		status = http.StatusOK
	}
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
