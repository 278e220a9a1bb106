package gateway

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"

	"forum/projections"
)

// live answers liveness: the process serves.
func (s *Server) live(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("OK"))
}

// Readiness reasons.
const (
	reasonCatchingUp       = "catching_up"
	reasonNATSDisconnected = "nats_disconnected"
	reasonStalled          = "projector_stalled"
)

// readiness is what /api/health and the metrics say of this instance.
type readiness struct {
	Status        string  `json:"status"` // ok, starting or degraded
	Reason        string  `json:"reason,omitempty"`
	StreamSeq     uint64  `json:"stream_seq"`
	ProjectionSeq uint64  `json:"projection_seq"`
	Lag           uint64  `json:"lag"`
	LagSeconds    float64 `json:"lag_seconds"`
	NATS          string  `json:"nats"` // embedded or external
	Connected     bool    `json:"nats_connected"`
	Quarantined   uint64  `json:"quarantined"`
	Recoveries    uint64  `json:"projector_recoveries"`
}

// startHead remembers the stream's head as of this instance's start: until
// the read models reach it, the instance is catching up.
type startHead struct {
	seq      atomic.Uint64
	known    atomic.Bool
	caughtUp atomic.Bool
}

// ready works out whether this instance can serve as it should: NATS
// connected, the read models following the stream (not stalled), and
// caught up with the stream's head as of its start.
func (s *Server) ready(ctx context.Context) readiness {
	rd := readiness{Status: "ok", NATS: "external", ProjectionSeq: s.proj.Seq(), Quarantined: s.proj.Quarantined(), Recoveries: s.proj.Recoveries()}
	if s.store.Embedded() {
		rd.NATS = "embedded"
	}
	rd.Connected = s.store.Conn().IsConnected()
	hctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	head, err := s.store.LastSeq(hctx)
	if err == nil {
		rd.StreamSeq = head
		if !s.start.known.Load() {
			s.start.seq.Store(head)
			s.start.known.Store(true)
		}
	}
	if rd.StreamSeq > rd.ProjectionSeq {
		rd.Lag = rd.StreamSeq - rd.ProjectionSeq
		if ev, err := s.store.Get(hctx, rd.ProjectionSeq+1); err == nil {
			rd.LagSeconds = max(0, time.Since(ev.Time).Seconds())
		}
	}
	if s.start.known.Load() && rd.ProjectionSeq >= s.start.seq.Load() {
		s.start.caughtUp.Store(true)
	}
	switch {
	case !rd.Connected || err != nil:
		rd.Status, rd.Reason = "degraded", reasonNATSDisconnected
	case rd.Lag > 0 && time.Since(s.proj.LastProgress()) > projections.StallAfter:
		rd.Status, rd.Reason = "degraded", reasonStalled
	case !s.start.caughtUp.Load():
		rd.Status, rd.Reason = "starting", reasonCatchingUp
	}
	return rd
}

// health answers readiness: 200 with status ok, else 503 with the reason.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	rd := s.ready(r.Context())
	status := http.StatusOK
	if rd.Status != "ok" {
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, status, rd)
}
