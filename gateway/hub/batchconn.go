package hub

import (
	"bufio"
	"net"
	"net/http"
	"sync"
)

// batchConn is the socket under a WebSocket connection. Between begin and
// flush, what the connection writes is gathered and then leaves in one
// write: a writer with several frames queued makes one system call, not
// one a frame. Outside a batch, writes go straight through.
type batchConn struct {
	net.Conn
	mu       sync.Mutex
	batching bool
	buf      []byte
}

// maxBatchBuf is the largest gathering buffer kept for the next batch.
const maxBatchBuf = 64 << 10

var batchBufs = sync.Pool{New: func() any { return new([]byte) }}

func (b *batchConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.batching {
		b.buf = append(b.buf, p...)
		return len(p), nil
	}
	return b.Conn.Write(p)
}

// begin starts gathering writes.
func (b *batchConn) begin() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.batching = true
	if b.buf == nil {
		b.buf = (*batchBufs.Get().(*[]byte))[:0]
	}
}

// flush writes what was gathered in one write and stops gathering.
func (b *batchConn) flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.batching = false
	var err error
	if len(b.buf) > 0 {
		_, err = b.Conn.Write(b.buf)
	}
	if cap(b.buf) <= maxBatchBuf {
		buf := b.buf[:0]
		batchBufs.Put(&buf)
	}
	b.buf = nil // an idle connection holds no buffer
	return err
}

// batchingHijacker hands the WebSocket upgrader the hijacked socket as a
// batchConn, and keeps it for the connection.
type batchingHijacker struct {
	http.ResponseWriter
	conn *batchConn
}

func (h *batchingHijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := h.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, http.ErrNotSupported
	}
	nc, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.conn = &batchConn{Conn: nc}
	return h.conn, brw, nil
}
