// Package gateway serves the forum over HTTP: the route table (routes.go),
// its middleware (authentication, rate limits, origin checks, size limits,
// security headers) and thin handlers that decode, call a command or a
// query, and encode. The WebSocket side lives in gateway/hub, which this
// package hands /ws to.
package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"forum/commands"
	"forum/events"
	"forum/gateway/hub"
	"forum/internal/limit"
	"forum/projections"
	"forum/web"
)

// Config are the gateway's dependencies and settings.
type Config struct {
	Commands  *commands.Service
	DB        *projections.DB
	Projector *projections.Projector
	Store     *events.Store
	Logger    *slog.Logger
	// RateLimits turns the per-client, per-connection and per-account rate
	// limits on (the throttling of failed sign-ins is always on).
	RateLimits bool
	// AllowedOrigins are origins besides the forum's own that browsers may
	// send unsafe requests and WebSocket upgrades from.
	AllowedOrigins []string
	// PublicURL is the address users reach the forum at (nil: whatever Host
	// a request names). Its origin is the forum's own, an https one makes
	// the session cookie Secure and __Host- and adds HSTS, and a request for
	// another host answers 421.
	PublicURL *url.URL
	// TrustedProxies are the peers whose X-Forwarded-For and
	// X-Forwarded-Proto are believed.
	TrustedProxies []netip.Prefix
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Hub is the instance's WebSocket hub, built on Gate; required.
	Hub *hub.Hub
	// Gate is the per-user write budget and session check the hub shares;
	// required.
	Gate *Gate
	// StartHead is the stream's last sequence as the instance started, if
	// known: /api/health answers starting until the read models reach it.
	// Nil: the head at the first health check counts.
	StartHead *uint64
	// Collectors are metrics of the instance's other parts (the outbox's)
	// to serve on /metrics beside the gateway's.
	Collectors []prometheus.Collector
}

// Server is the HTTP front of one forum instance.
type Server struct {
	cfg     Config
	cmd     *commands.Service
	db      *projections.DB
	proj    *projections.Projector
	store   *events.Store
	log     *slog.Logger
	now     func() time.Time
	metrics *metrics
	hub     *hub.Hub
	basic   *basicCache
	gate    *Gate
	respMu  sync.Mutex
	resp    *events.Responses // answers to writes with an Idempotency-Key
	start   startHead
	handler http.Handler
	app     *web.Bundle // the SPA as served
	pages   pageCache   // answers of the hot reads, as of one projection sequence
	csp     string

	readLimits  *limit.Keyed    // per client address, GET and HEAD
	writeLimits *limit.Keyed    // per client address, everything else
	signIns     *signInThrottle // failed sign-ins; always on
	mail        *mailLimits     // mail that requests cause; always on
	searches    chan struct{}   // a slot per search running (searchSlot)

	clientSearches searchClients // searches running per client address (searchSlot)
}

// New returns a Server over cfg's Hub and Gate, which the composer builds
// (the hub with the Gate's AllowWrite and CheckSession); Run it for the
// real-time half. New does no I/O.
func New(cfg Config) *Server {
	cfg = cfg.withDefaults()
	s := &Server{
		cfg: cfg, cmd: cfg.Commands, db: cfg.DB, proj: cfg.Projector, store: cfg.Store, log: cfg.Logger, now: cfg.Now,
		hub: cfg.Hub, gate: cfg.Gate,
		readLimits:  limit.New(50, 200),
		writeLimits: limit.New(10, 40),
		signIns:     newSignInThrottle(),
		mail:        newMailLimits(),
		searches:    make(chan struct{}, maxSearches),
	}
	if cfg.StartHead != nil {
		s.start.seq.Store(*cfg.StartHead)
		s.start.known.Store(true)
	}
	s.basic = newBasicCache()
	s.metrics = newMetrics(s)
	s.app = app()
	s.csp = contentSecurityPolicy()
	s.handler = s.routes()
	return s
}

// withDefaults returns cfg with a logger that discards and the system clock
// where it names none.
func (cfg Config) withDefaults() Config {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg
}

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Run runs the real-time hub until ctx ends, then closes every WebSocket.
func (s *Server) Run(ctx context.Context) { s.hub.Run(ctx) }

// Hub returns the WebSocket hub, for who-is-online questions.
func (s *Server) Hub() *hub.Hub { return s.hub }
