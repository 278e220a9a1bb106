package events_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"testing"

	"forum/events"
	"forum/internal/forumtest"
)

// sealed returns data sealed in chunks for user and name, as stored.
func sealed(t *testing.T, k *events.Keyring, user, name string, data []byte) []byte {
	t.Helper()
	r, err := k.SealChunked(context.Background(), user, name, data)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A picture sealed in chunks opens as it was, whatever its size around the
// chunks' edges, and for its user and object alone; each chunk is sealed
// on its own (a tag each), so the sealed stream is the picture, a header
// and a tag a chunk.
func TestChunkedSealingRoundTrip(t *testing.T) {
	t.Parallel()
	c := forumtest.NewCore(t, forumtest.Options{Empty: true})
	ctx := forumtest.Context(t)
	k, err := c.Store.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const chunk = events.SealChunk
	for _, size := range []int{0, 1, chunk - 1, chunk, chunk + 1, 2*chunk - 1, 2 * chunk, 2*chunk + 1, 5*chunk + 123} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(i*7 + i>>16)
		}
		s := sealed(t, k, "u1", "pic", data)
		chunks := max(1, (size+chunk-1)/chunk)
		if want := 8 + size + 16*chunks; len(s) != want {
			t.Errorf("%d bytes sealed to %d, want %d (%d chunks)", size, len(s), want, chunks)
		}
		if size > 64 && bytes.Contains(s, data[:64]) {
			t.Errorf("%d bytes: the sealed stream holds the picture in clear", size)
		}
		got, err := k.OpenChunked(ctx, "u1", "pic", bytes.NewReader(s), len(s))
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%d bytes: opened %d bytes, %v", size, len(got), err)
		}
		// Read a byte at a time, as a slow bucket might hand it over.
		got, err = k.OpenChunked(ctx, "u1", "pic", oneByteReader{bytes.NewReader(s)}, 0)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%d bytes, read a byte at a time: opened %d bytes, %v", size, len(got), err)
		}
		if _, err := k.OpenChunked(ctx, "u1", "other", bytes.NewReader(s), 0); err == nil {
			t.Errorf("%d bytes: opened as another object", size)
		}
		if _, err := k.OpenChunked(ctx, "u2", "pic", bytes.NewReader(s), 0); err == nil {
			t.Errorf("%d bytes: opened with another user's key", size)
		}
	}
	if a, b := sealed(t, k, "u1", "pic", []byte("same")), sealed(t, k, "u1", "pic", []byte("same")); bytes.Equal(a, b) {
		t.Error("the same picture sealed twice gave the same bytes (the nonce prefix is not fresh)")
	}
}

type oneByteReader struct{ r io.Reader }

func (o oneByteReader) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return o.r.Read(p)
}

// A sealed stream that was cut (at a chunk's end or within one), had a
// chunk dropped, repeated or moved, bytes added after its last chunk, or a
// byte changed anywhere, does not open.
func TestChunkedSealingRefusesChangedStreams(t *testing.T) {
	t.Parallel()
	c := forumtest.NewCore(t, forumtest.Options{Empty: true})
	ctx := forumtest.Context(t)
	k, err := c.Store.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const head, sealedChunk = 8, events.SealChunk + 16
	data := bytes.Repeat([]byte("0123456789abcdef"), 3*events.SealChunk/16+100) // three full chunks and a short one
	s := sealed(t, k, "u1", "pic", data)
	chunkAt := func(i int) []byte { return s[head+i*sealedChunk : min(len(s), head+(i+1)*sealedChunk)] }
	join := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	cases := map[string][]byte{
		"nothing":                  {},
		"the header alone":         s[:head],
		"cut at a chunk's end":     s[:head+3*sealedChunk],
		"cut after the first":      s[:head+sealedChunk],
		"cut within a chunk":       s[:head+sealedChunk+100],
		"cut within the last":      s[:len(s)-1],
		"a chunk dropped":          join(s[:head], chunkAt(0), chunkAt(2), chunkAt(3)),
		"two chunks swapped":       join(s[:head], chunkAt(1), chunkAt(0), chunkAt(2), chunkAt(3)),
		"a chunk repeated":         join(s[:head], chunkAt(0), chunkAt(0), chunkAt(1), chunkAt(2), chunkAt(3)),
		"a byte after the last":    join(s, []byte{0}),
		"a chunk after the last":   join(s, chunkAt(0)),
		"another version":          join([]byte{1}, s[1:]),
		"another nonce prefix":     join(s[:1], []byte{s[1] ^ 1}, s[2:]),
		"the last chunk moved out": join(s[:head], chunkAt(3), chunkAt(1), chunkAt(2), chunkAt(0)),
	}
	for _, at := range []int{head, head + sealedChunk - 1, head + 2*sealedChunk + 5, len(s) - 1} {
		changed := bytes.Clone(s)
		changed[at] ^= 0x40
		cases[fmt.Sprintf("a byte changed at %d", at)] = changed
	}
	for name, stream := range cases {
		if got, err := k.OpenChunked(ctx, "u1", "pic", bytes.NewReader(stream), 0); err == nil {
			t.Errorf("%s: opened %d bytes", name, len(got))
		}
	}
	if err := k.Destroy(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if _, err := k.OpenChunked(ctx, "u1", "pic", bytes.NewReader(s), 0); !errors.Is(err, events.ErrKeyGone) {
		t.Errorf("opened after the key was destroyed: %v", err)
	}
}

// Sealing a picture holds one sealed chunk beside it, not a sealed copy of
// the whole: sealing 8 MiB allocates far less than 8 MiB (the bound leaves
// room for what the embedded server allocates meanwhile in this process).
func TestChunkedSealingHoldsOneChunk(t *testing.T) {
	c := forumtest.NewCore(t, forumtest.Options{Empty: true})
	ctx := forumtest.Context(t)
	k, err := c.Store.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 8<<20)
	if _, err := k.SealChunked(ctx, "u1", "warm", nil); err != nil { // the key made and kept
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	r, err := k.SealChunked(ctx, "u1", "pic", data)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{r}, make([]byte, 128<<10))
	runtime.ReadMemStats(&after)
	if err != nil || n != int64(len(data))+8+16*int64(len(data)/events.SealChunk) {
		t.Fatalf("sealed %d bytes, %v", n, err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("sealing 8 MiB allocated %d KiB, want a chunk's room (%d KiB), not a copy", alloc>>10, events.SealChunk>>10)
	}
}
