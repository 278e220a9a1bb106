package gateway

import (
	"context"
	"net/http"
	"sync"

	"forum/events"
)

// Hub pushes committed changes to WebSocket connections and tracks presence.
type Hub struct {
	s        *Server
	presence *presence
}

func newHub(s *Server) *Hub {
	return &Hub{s: s, presence: &presence{users: map[string]int{}, rooms: map[string]map[string]int{}}}
}

func (h *Hub) run(ctx context.Context) { <-ctx.Done() }

func (h *Hub) serveWS(w http.ResponseWriter, r *http.Request, p principal) {
	h.s.writeError(w, r, events.Errorf(events.ENOTFOUND, "not yet"))
}

// presence knows who is online and who is in which room.
type presence struct {
	mu    sync.Mutex
	users map[string]int
	rooms map[string]map[string]int
}

func (p *presence) online(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.users[id] > 0
}

func (p *presence) roomOnline(room string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.rooms[room])
}
