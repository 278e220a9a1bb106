package gateway

import "net/http"

// live answers liveness: the process serves.
func (s *Server) live(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("OK"))
}

// health reports the stream and projection positions.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	streamSeq, err := s.store.LastSeq(r.Context())
	status := "ok"
	if err != nil {
		status = "degraded"
	}
	projSeq := s.proj.Seq()
	lag := uint64(0)
	if streamSeq > projSeq {
		lag = streamSeq - projSeq
	}
	natsMode := "external"
	if s.store.Embedded() {
		natsMode = "embedded"
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": status, "stream_seq": streamSeq, "projection_seq": projSeq, "lag": lag, "nats": natsMode})
}
