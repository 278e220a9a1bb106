package gateway_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"forum/gateway"
	"forum/internal/forumtest"
)

// serveWith runs f's gateway in a real http.Server with timeouts t.
func serveWith(t *testing.T, f *forumtest.Forum, to gateway.Timeouts) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := gateway.NewHTTPServer(f.GW, to, nil)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// A body trickled a byte at a time is cut off once the read timeout passes;
// a WebSocket lives on past it.
func TestHTTPTimeouts(t *testing.T) {
	t.Parallel()
	if d := gateway.DefaultTimeouts; d.Read <= 0 || d.Read+d.ReadHeader > 60*time.Second || d.Write <= 0 || d.Idle <= 0 || d.MaxHeaderBytes <= 0 {
		t.Errorf("default timeouts %+v: a trickled request must end within 60 s", d)
	}
	f := forumtest.Start(t, forumtest.Options{})
	ada := f.SignUp("ada")
	addr := serveWith(t, f, gateway.Timeouts{ReadHeader: time.Second, Read: 2 * time.Second, Write: 2 * time.Second, Idle: time.Second, MaxHeaderBytes: 8 << 10})
	ws := forumtest.DialWSHeader(t, "ada", "ws://"+addr+"/ws", http.Header{"Authorization": {"Bearer " + ada.Token}})

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	fmt.Fprintf(conn, "POST /api/signin HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n", addr)
	cut := false
	for i := 0; i < 60 && !cut; i++ {
		conn.SetWriteDeadline(time.Now().Add(time.Second))
		if _, err := conn.Write([]byte("{")); err != nil {
			cut = true
			break
		}
		// The server answers (408 or a closed connection) once it gives up.
		conn.SetReadDeadline(time.Now().Add(250 * time.Millisecond))
		if _, err := bufio.NewReader(conn).ReadByte(); err == nil || !isTimeout(err) {
			cut = true
		}
	}
	if !cut || time.Since(start) > 10*time.Second {
		t.Fatalf("a trickled body held the connection for %v (cut: %v)", time.Since(start), cut)
	}
	// Past the read and write timeouts, the socket still works both ways.
	ws.Send(map[string]any{"type": "room.join", "room": "general"})
	ws.WaitType("room.joined")

	// Headers past the limit are refused.
	status, _ := ada.Do("GET", "/api/me", nil)
	if status != http.StatusOK {
		t.Fatalf("GET /api/me: %d", status)
	}
	req, _ := http.NewRequest("GET", "http://"+addr+"/api/categories", nil)
	req.Header.Set("X-Big", strings.Repeat("x", 64<<10))
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("64 KiB of headers: %d, want 431", resp.StatusCode)
		}
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
