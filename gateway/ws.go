package gateway

import (
	"net/http"
	"time"

	"forum/gateway/hub"
)

// ws hands a signed-in user's /ws request to the hub, answering in JSON what
// it refuses before the upgrade.
func (s *Server) ws(w http.ResponseWriter, r *http.Request, p principal) {
	// The server's read and write timeouts are for requests; a socket lives
	// on, with the deadlines the hub sets for each read and write.
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Time{})
	rc.SetWriteDeadline(time.Time{})
	if err := s.hub.ServeWS(w, r, hub.Principal{UserID: p.UserID, SessionID: p.SessionID, SessionEnd: p.SessionEnd}); err != nil {
		s.writeError(w, r, err)
		return
	}
	if sw, ok := w.(*statusWriter); ok && sw.status == 0 {
		sw.status = http.StatusSwitchingProtocols // for the request log and metrics
	}
}
