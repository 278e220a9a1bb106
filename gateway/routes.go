package gateway

import (
	"net/http"
	"strings"

	"forum/events"
	"forum/fault"
)

// routes is the route table: every route in one place, with its method,
// and the middleware around them all.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", s.live)
	mux.HandleFunc("GET /api/health", s.health)
	mux.Handle("GET /metrics", s.metrics.handler())

	mux.HandleFunc("POST /api/signup", s.signup)
	mux.HandleFunc("POST /api/signin", s.signin)
	mux.HandleFunc("POST /api/signout", s.signedIn(s.signout))
	mux.HandleFunc("GET /api/me", s.signedIn(s.me))
	mux.HandleFunc("GET /api/sessions", s.signedIn(s.listSessions))
	mux.HandleFunc("DELETE /api/sessions", s.signedIn(s.endOtherSessions))
	mux.HandleFunc("DELETE /api/sessions/{id}", s.signedIn(s.endSession))
	mux.HandleFunc("GET /api/users/{id}", s.getUser)
	s.totpRoutes(mux)
	s.accountSettingsRoutes(mux)
	s.mailRoutes(mux)

	mux.HandleFunc("GET /api/categories", s.categories)
	mux.HandleFunc("GET /api/posts", s.listPosts)
	mux.HandleFunc("POST /api/posts", s.signedIn(s.createPost))
	mux.HandleFunc("GET /api/posts/{id}", s.getPost)
	mux.HandleFunc("PATCH /api/posts/{id}", s.signedIn(s.editPost))
	mux.HandleFunc("DELETE /api/posts/{id}", s.signedIn(s.deletePost))
	mux.HandleFunc("POST /api/preview", s.signedIn(s.preview))
	mux.HandleFunc("GET /api/search", s.search)
	mux.HandleFunc("GET /api/posts/{id}/revisions", s.revisions)
	mux.HandleFunc("GET /api/posts/{id}/comments", s.listComments)
	mux.HandleFunc("POST /api/posts/{id}/comments", s.signedIn(s.createComment))
	mux.HandleFunc("PUT /api/posts/{id}/vote", s.signedIn(s.vote(events.KindPost)))
	mux.HandleFunc("GET /api/comments/{id}", s.getComment)
	mux.HandleFunc("PATCH /api/comments/{id}", s.signedIn(s.editComment))
	mux.HandleFunc("DELETE /api/comments/{id}", s.signedIn(s.deleteComment))
	mux.HandleFunc("PUT /api/comments/{id}/vote", s.signedIn(s.vote(events.KindComment)))
	s.reactionRoutes(mux)
	s.readingRoutes(mux)
	s.passkeyRoutes(mux)

	s.chatRoutes(mux)
	s.moderationRoutes(mux)

	s.mediaRoutes(mux)
	mux.HandleFunc("GET /ws", s.signedIn(s.ws))

	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, fault.Errorf(fault.ENOTFOUND, "no such endpoint: %s %s", r.Method, r.URL.Path))
	})
	s.spaRoutes(mux)

	var h http.Handler = apiMethodErrors(mux, s)
	h = s.idempotent(h)
	h = s.compress(h)
	h = s.withAuth(h)
	h = s.rateLimit(h)
	h = s.sameOrigin(h)
	h = s.hostCheck(h)
	h = s.securityHeaders(h)
	return s.observe(h)
}

// readingRoutes are the routes of a reader's own marks: bookmarks, watch
// levels and how far they have read each post.
func (s *Server) readingRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/posts/{id}/read", s.signedIn(s.readPost))
	mux.HandleFunc("PUT /api/posts/{id}/bookmark", s.signedIn(s.bookmark(true)))
	mux.HandleFunc("DELETE /api/posts/{id}/bookmark", s.signedIn(s.bookmark(false)))
	mux.HandleFunc("GET /api/me/bookmarks", s.signedIn(s.myBookmarks))
	mux.HandleFunc("PUT /api/posts/{id}/watch", s.signedIn(s.watchPost))
	mux.HandleFunc("PUT /api/categories/{slug}/watch", s.signedIn(s.watchCategory))
	mux.HandleFunc("GET /api/categories/{slug}/watch", s.signedIn(s.categoryWatch))
}

// mediaRoutes are the routes of pictures: uploads, avatars and /media.
func (s *Server) mediaRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/uploads", s.signedIn(s.upload))
	mux.HandleFunc("PUT /api/me/avatar", s.signedIn(s.setAvatar))
	mux.HandleFunc("DELETE /api/me/avatar", s.signedIn(s.removeAvatar))
	mux.HandleFunc("GET /media/{id}", s.media(false))
	mux.HandleFunc("GET /media/{id}/thumb", s.media(true))
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
					s.writeError(w, r, &fault.Error{Code: "method_not_allowed", Message: r.Method + " is not allowed on " + r.URL.Path})
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

// chatRoutes are the routes of direct messages, rooms and notifications.
func (s *Server) chatRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/contacts", s.signedIn(s.contacts))
	mux.HandleFunc("GET /api/chats/{userId}/messages", s.signedIn(s.listDMs))
	mux.HandleFunc("POST /api/chats/{userId}/messages", s.signedIn(s.sendDM))
	mux.HandleFunc("POST /api/chats/{userId}/read", s.signedIn(s.markRead))
	mux.HandleFunc("GET /api/rooms", s.signedIn(s.rooms))
	mux.HandleFunc("GET /api/rooms/{name}/messages", s.signedIn(s.listRoomMessages))
	mux.HandleFunc("POST /api/rooms/{name}/messages", s.signedIn(s.sendRoomMessage))
	mux.HandleFunc("POST /api/rooms/{name}/join", s.signedIn(s.roomMembership(true)))
	mux.HandleFunc("POST /api/rooms/{name}/leave", s.signedIn(s.roomMembership(false)))
	mux.HandleFunc("POST /api/rooms/{name}/read", s.signedIn(s.markRoomRead))
	mux.HandleFunc("GET /api/rooms/{name}/members", s.signedIn(s.roomMembers))
	mux.HandleFunc("GET /api/notifications", s.signedIn(s.notifications))
	mux.HandleFunc("POST /api/notifications/read", s.signedIn(s.markNotificationsRead))
}

// moderationRoutes are the routes of moderation and of a user's privacy.
func (s *Server) moderationRoutes(mux *http.ServeMux) {
	mux.HandleFunc("PUT /api/users/{id}/role", s.signedIn(s.setRole))
	mux.HandleFunc("PUT /api/users/{id}/block", s.signedIn(s.block(true)))
	mux.HandleFunc("DELETE /api/users/{id}/block", s.signedIn(s.block(false)))
	mux.HandleFunc("GET /api/me/blocks", s.signedIn(s.myBlocks))
	mux.HandleFunc("GET /api/me/export", s.signedIn(s.export))
	mux.HandleFunc("DELETE /api/me", s.signedIn(s.erase))
	mux.HandleFunc("POST /api/posts/{id}/flag", s.signedIn(s.flag(events.KindPost)))
	mux.HandleFunc("POST /api/comments/{id}/flag", s.signedIn(s.flag(events.KindComment)))
	mux.HandleFunc("POST /api/messages/{id}/flag", s.signedIn(s.flag(events.KindMessage)))
	mux.HandleFunc("GET /api/mod/flags", s.moderator(s.modFlags))
	mux.HandleFunc("POST /api/mod/flags/{id}/resolve", s.moderator(s.resolveFlag))
	mux.HandleFunc("POST /api/mod/{kind}/{id}/hide", s.moderator(s.setHidden(true)))
	mux.HandleFunc("POST /api/mod/{kind}/{id}/restore", s.moderator(s.setHidden(false)))
	s.postModRoutes(mux)
	mux.HandleFunc("POST /api/mod/users/{id}/suspend", s.moderator(s.suspend))
	mux.HandleFunc("POST /api/mod/users/{id}/unsuspend", s.moderator(s.unsuspend))
	mux.HandleFunc("POST /api/mod/users/{id}/purge", s.moderator(s.purge))
	mux.HandleFunc("GET /api/mod/log", s.moderator(s.modLog))
}
