package hub

import "github.com/prometheus/client_golang/prometheus"

// metrics are the hub's Prometheus metrics; the HTTP side registers them.
type metrics struct {
	conns   prometheus.Gauge
	dropped prometheus.Counter
	frames  *prometheus.CounterVec
}

func newMetrics() *metrics {
	return &metrics{
		conns: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "forum_ws_connections", Help: "Open WebSocket connections on this instance.",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "forum_ws_slow_clients_dropped_total", Help: "WebSocket connections closed because they did not keep up.",
		}),
		frames: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "forum_ws_frames_sent_total", Help: "WebSocket frames sent, by type.",
		}, []string{"type"}),
	}
}

// Collectors returns the hub's metrics, to register with a registry.
func (h *Hub) Collectors() []prometheus.Collector {
	return []prometheus.Collector{h.metrics.conns, h.metrics.dropped, h.metrics.frames}
}
