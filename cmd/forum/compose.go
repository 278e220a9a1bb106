package main

import (
	"context"
	"time"

	"forum/gateway"
	"forum/gateway/hub"
)

// newGateway composes the instance's front from cfg: the Gate that HTTP and
// the WebSocket share, the hub built on it, and the gateway over both, told
// the stream's head as of now (cfg.Store's; unknown if it does not answer
// within 2 s).
func newGateway(ctx context.Context, cfg gateway.Config) *gateway.Server {
	gate := gateway.NewGate(cfg)
	cfg.Gate = gate
	cfg.Hub = hub.New(hub.Config{
		ReadModels: cfg.DB, Feed: cfg.Projector, Stream: cfg.Store, NATS: cfg.Store.Conn(), Messenger: cfg.Commands,
		Logger: cfg.Logger, RateLimits: cfg.RateLimits, AllowWrite: gate.AllowWrite, CheckSession: gate.CheckSession,
	})
	hctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if head, err := cfg.Store.LastSeq(hctx); err == nil {
		cfg.StartHead = &head
	}
	return gateway.New(cfg)
}
