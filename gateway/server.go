// Package gateway serves the forum over HTTP and WebSocket: the routes and
// their middleware (authentication, rate limits, origin checks, size limits,
// security headers), the WebSocket hub with presence and typing, and the
// single-page app. Handlers are thin: decode, call a command or a query, encode.
package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"forum/commands"
	"forum/events"
	"forum/projections"
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
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Server is the HTTP and WebSocket front of one forum instance.
type Server struct {
	cfg     Config
	cmd     *commands.Service
	db      *projections.DB
	proj    *projections.Projector
	store   *events.Store
	log     *slog.Logger
	now     func() time.Time
	metrics *metrics
	hub     *Hub
	basic   *basicCache
	handler http.Handler

	readLimits    *limiters // per client address, GET and HEAD
	writeLimits   *limiters // per client address, everything else
	loginFailures *limiters // per login, failed sign-ins only; always on
}

// New returns a Server; Run its hub (Server.Run) for the real-time half.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{
		cfg: cfg, cmd: cfg.Commands, db: cfg.DB, proj: cfg.Projector, store: cfg.Store, log: cfg.Logger, now: cfg.Now,
		readLimits:    newLimiters(50, 200),
		writeLimits:   newLimiters(10, 40),
		loginFailures: newLimiters(rate.Every(12*time.Second), 5),
	}
	s.basic = newBasicCache()
	s.metrics = newMetrics(s)
	s.hub = newHub(s)
	s.handler = s.routes()
	return s
}

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Run runs the real-time hub until ctx ends, then closes every WebSocket.
func (s *Server) Run(ctx context.Context) { s.hub.run(ctx) }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("OK"))
	})
	mux.HandleFunc("GET /api/health", s.health)
	mux.Handle("GET /metrics", s.metrics.handler())

	mux.HandleFunc("POST /api/signup", s.signup)
	mux.HandleFunc("POST /api/signin", s.signin)
	mux.HandleFunc("POST /api/signout", s.signedIn(s.signout))
	mux.HandleFunc("GET /api/me", s.signedIn(s.me))

	mux.HandleFunc("GET /api/categories", s.categories)
	mux.HandleFunc("GET /api/posts", s.listPosts)
	mux.HandleFunc("POST /api/posts", s.signedIn(s.createPost))
	mux.HandleFunc("GET /api/posts/{id}", s.getPost)
	mux.HandleFunc("PATCH /api/posts/{id}", s.signedIn(s.editPost))
	mux.HandleFunc("DELETE /api/posts/{id}", s.signedIn(s.deletePost))
	mux.HandleFunc("GET /api/posts/{id}/comments", s.listComments)
	mux.HandleFunc("POST /api/posts/{id}/comments", s.signedIn(s.createComment))
	mux.HandleFunc("PUT /api/posts/{id}/vote", s.signedIn(s.vote("post")))
	mux.HandleFunc("GET /api/comments/{id}", s.getComment)
	mux.HandleFunc("PATCH /api/comments/{id}", s.signedIn(s.editComment))
	mux.HandleFunc("DELETE /api/comments/{id}", s.signedIn(s.deleteComment))
	mux.HandleFunc("PUT /api/comments/{id}/vote", s.signedIn(s.vote("comment")))
	mux.HandleFunc("GET /api/users/{id}", s.getUser)

	mux.HandleFunc("GET /api/contacts", s.signedIn(s.contacts))
	mux.HandleFunc("GET /api/chats/{userId}/messages", s.signedIn(s.listDMs))
	mux.HandleFunc("POST /api/chats/{userId}/messages", s.signedIn(s.sendDM))
	mux.HandleFunc("POST /api/chats/{userId}/read", s.signedIn(s.markRead))
	mux.HandleFunc("GET /api/rooms", s.signedIn(s.rooms))
	mux.HandleFunc("GET /api/rooms/{name}/messages", s.signedIn(s.listRoomMessages))
	mux.HandleFunc("POST /api/rooms/{name}/messages", s.signedIn(s.sendRoomMessage))

	mux.HandleFunc("GET /ws", s.signedIn(s.hub.serveWS))

	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, events.Errorf(events.ENOTFOUND, "no such endpoint: %s %s", r.Method, r.URL.Path))
	})
	s.spaRoutes(mux)

	var h http.Handler = apiMethodErrors(mux, s)
	h = s.withAuth(h)
	h = s.rateLimit(h)
	h = s.sameOrigin(h)
	h = securityHeaders(h)
	return s.observe(h)
}

// apiMethodErrors answers a known /api/ path with the wrong method with a
// JSON 405 and its Allow header. The catch-all "/api/" route matches every
// method, so the mux itself would say 404: ask it which other methods a
// specific route would take instead.
func apiMethodErrors(mux *http.ServeMux, s *Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			if _, pattern := mux.Handler(r); pattern == "/api/" {
				if allow := allowedMethods(mux, r); len(allow) > 0 {
					w.Header().Set("Allow", strings.Join(allow, ", "))
					s.writeError(w, r, &events.Error{Code: "method_not_allowed", Message: r.Method + " is not allowed on " + r.URL.Path})
					return
				}
			}
		}
		mux.ServeHTTP(w, r)
	})
}

// allowedMethods returns the methods a route other than the catch-all
// serves r's path with.
func allowedMethods(mux *http.ServeMux, r *http.Request) []string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "/api/" && pattern != "" {
			allow = append(allow, m)
			if m == http.MethodGet {
				allow = append(allow, http.MethodHead)
			}
		}
	}
	return allow
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
