package hub

import (
	"io"
	"net"
	"testing"
)

// countingConn counts the writes that reach a real socket.
type countingConn struct {
	net.Conn
	writes int
}

func (c *countingConn) Write(p []byte) (int, error) { c.writes++; return c.Conn.Write(p) }

// Between begin and flush the writes leave together, in one write, in
// order; outside a batch each goes straight through.
func TestBatchConnGathersWrites(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		b, _ := io.ReadAll(c)
		got <- b
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	cc := &countingConn{Conn: nc}
	b := &batchConn{Conn: cc}
	b.Write([]byte("a"))
	b.begin()
	for _, s := range []string{"b", "c", "d"} {
		b.Write([]byte(s))
	}
	if cc.writes != 1 {
		t.Fatalf("%d writes reached the socket during a batch, want 1 (the one before it)", cc.writes)
	}
	if err := b.flush(); err != nil {
		t.Fatal(err)
	}
	if cc.writes != 2 {
		t.Fatalf("%d writes after the flush, want 2", cc.writes)
	}
	if b.buf != nil {
		t.Fatal("the connection keeps its batch buffer after the flush")
	}
	b.Write([]byte("e"))
	nc.Close()
	if s := string(<-got); s != "abcde" {
		t.Fatalf("the peer read %q, want abcde", s)
	}
}
