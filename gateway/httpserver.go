package gateway

import (
	"log/slog"
	"net/http"
	"time"
)

// Timeouts bound how long a request may take to arrive and its answer to
// leave, so a client that trickles bytes cannot hold a connection. WebSocket
// upgrades are exempt once upgraded: the hub keeps its own deadlines.
type Timeouts struct {
	ReadHeader, Read, Write, Idle time.Duration
	MaxHeaderBytes                int
}

// DefaultTimeouts are the limits forum serve runs with: a request must
// arrive within 30 s (its headers within 10 s), its answer leave within
// 60 s; an idle keep-alive connection closes after 2 minutes; headers are
// at most 32 KiB.
var DefaultTimeouts = Timeouts{ReadHeader: 10 * time.Second, Read: 30 * time.Second, Write: 60 * time.Second, Idle: 2 * time.Minute, MaxHeaderBytes: 32 << 10}

// NewHTTPServer returns the http.Server for h with the timeouts t.
func NewHTTPServer(h http.Handler, t Timeouts, logger *slog.Logger) *http.Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &http.Server{
		Handler: h, ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read, WriteTimeout: t.Write, IdleTimeout: t.Idle,
		MaxHeaderBytes: t.MaxHeaderBytes, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}
