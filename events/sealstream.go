package events

import (
	"bufio"
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Pictures are sealed in chunks (the STREAM construction of Hoang,
// Reyhanitabar, Rogaway and Vizár over AES-GCM), so neither sealing nor
// opening holds a second copy of the whole picture. A sealed stream is:
//
//	version (1 byte, chunkedVersion) ‖ nonce prefix (7 random bytes) ‖ chunk…
//
// where each chunk is SealChunk bytes of the picture (the last one fewer,
// perhaps none) sealed with the nonce prefix ‖ chunk index (4 bytes, big
// endian) ‖ last (1 byte: 1 for the last chunk, else 0), under the user's
// key, bound to the user, the object's name and the version. A chunk
// moved, dropped, repeated or changed fails to open, and so does a stream
// cut at a chunk's end (that chunk was not sealed as the last) or with
// bytes after its last chunk.
const (
	// SealChunk is the bytes of a picture sealed in one chunk.
	SealChunk = 64 << 10
	// chunkedVersion is the first byte of a stream sealed in chunks.
	chunkedVersion    = 2
	noncePrefixLength = 7
)

// errChunkedMalformed is the error of a sealed stream that does not open.
var errChunkedMalformed = errors.New("sealed stream malformed")

// chunkAAD binds a stream's chunks to their user, object and version.
func chunkAAD(user, name string) []byte {
	return append([]byte{chunkedVersion}, user+"\x00"+name...)
}

// chunkNonce sets nonce's index and last flag.
func chunkNonce(nonce []byte, index uint32, last bool) {
	binary.BigEndian.PutUint32(nonce[noncePrefixLength:], index)
	nonce[noncePrefixLength+4] = 0
	if last {
		nonce[noncePrefixLength+4] = 1
	}
}

// SealChunked returns a reader of data sealed in chunks under user's key
// (made on first use), bound to name, for OpenChunked to open: it seals a
// chunk at a time as it is read, so it holds one sealed chunk beside data.
func (k *Keyring) SealChunked(ctx context.Context, user, name string, data []byte) (io.Reader, error) {
	if k == nil {
		return nil, fmt.Errorf("seal %s: no keyring", name)
	}
	a, err := k.aead(ctx, user, true)
	if err != nil {
		return nil, err
	}
	if a.NonceSize() != noncePrefixLength+5 {
		return nil, fmt.Errorf("seal %s: a nonce of %d bytes", name, a.NonceSize())
	}
	s := &chunkSealer{a: a, data: data, aad: chunkAAD(user, name),
		nonce: make([]byte, a.NonceSize()), buf: make([]byte, 0, SealChunk+a.Overhead())}
	rand.Read(s.nonce[:noncePrefixLength])
	s.out = append(append(s.buf, chunkedVersion), s.nonce[:noncePrefixLength]...)
	return s, nil
}

// chunkSealer is the reader SealChunked returns.
type chunkSealer struct {
	a     cipher.AEAD
	data  []byte // what is left to seal
	aad   []byte
	nonce []byte
	index uint32
	done  bool   // the last chunk is sealed
	buf   []byte // one sealed chunk's room
	out   []byte // what is sealed and not yet read
}

func (s *chunkSealer) Read(p []byte) (int, error) {
	if len(s.out) == 0 {
		if s.done {
			return 0, io.EOF
		}
		n := min(len(s.data), SealChunk)
		last := n == len(s.data)
		chunkNonce(s.nonce, s.index, last)
		s.out = s.a.Seal(s.buf[:0], s.nonce, s.data[:n], s.aad)
		s.data, s.index, s.done = s.data[n:], s.index+1, last
	}
	n := copy(p, s.out)
	s.out = s.out[n:]
	return n, nil
}

// OpenChunked opens what SealChunked sealed for user and name, read from r
// a chunk at a time, into a buffer of sizeHint bytes to start with (the
// sealed size, when known): ErrKeyGone when user's key is destroyed, an
// error for a stream moved, cut, lengthened or changed.
func (k *Keyring) OpenChunked(ctx context.Context, user, name string, r io.Reader, sizeHint int) ([]byte, error) {
	if k == nil {
		return nil, ErrKeyGone
	}
	a, err := k.aead(ctx, user, false)
	if err != nil {
		return nil, err
	}
	if a.NonceSize() != noncePrefixLength+5 {
		return nil, fmt.Errorf("open %s: a nonce of %d bytes", name, a.NonceSize())
	}
	br := bufio.NewReaderSize(r, 16)
	head := make([]byte, 1+noncePrefixLength)
	if _, err := io.ReadFull(br, head); err != nil || head[0] != chunkedVersion {
		return nil, fmt.Errorf("sealed object %s: %w", name, errChunkedMalformed)
	}
	nonce := make([]byte, a.NonceSize())
	copy(nonce, head[1:])
	aad := chunkAAD(user, name)
	// The picture is at most the sealed size less a tag a chunk.
	out := make([]byte, 0, max(0, sizeHint-len(head)))
	chunk := make([]byte, SealChunk+a.Overhead())
	for index := uint32(0); ; index++ {
		n, err := io.ReadFull(br, chunk)
		last := false
		switch {
		case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
			last = true
		case err != nil:
			return nil, err
		default:
			if _, err := br.Peek(1); errors.Is(err, io.EOF) {
				last = true
			} else if err != nil {
				return nil, err
			}
		}
		if n < a.Overhead() {
			return nil, fmt.Errorf("sealed object %s: chunk %d: %w", name, index, errChunkedMalformed)
		}
		chunkNonce(nonce, index, last)
		if out, err = a.Open(out, nonce, chunk[:n], aad); err != nil {
			return nil, fmt.Errorf("sealed object %s: chunk %d: %w", name, index, err)
		}
		if last {
			return out, nil
		}
	}
}
