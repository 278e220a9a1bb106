package gateway

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"strconv"
	"sync"
)

// A cached page with posts is also kept gzipped in parts cut at its votes,
// so that a signed-in reader's answer, their votes written in, goes out
// gzipped without compressing the page again: each stretch between two
// votes is deflated on its own (no back-reference crosses a vote), each
// vote goes in between as a stored block, and only the checksum is
// computed afresh.

var flateWriters = sync.Pool{New: func() any {
	fw, _ := flate.NewWriter(nil, flate.BestSpeed)
	return fw
}}

// deflatePart compresses b on its own, ending byte-aligned (a sync flush)
// so that more blocks may follow.
func deflatePart(b []byte) []byte {
	var buf bytes.Buffer
	fw := flateWriters.Get().(*flate.Writer)
	fw.Reset(&buf)
	fw.Write(b)
	fw.Flush()
	fw.Reset(nil)
	flateWriters.Put(fw)
	return buf.Bytes()
}

// splitGzip cuts p's body at its votes and deflates each part.
func (p *cachedPage) splitGzip() {
	start := 0
	for _, at := range p.votes {
		p.gzParts = append(p.gzParts, deflatePart(p.body[start:at]))
		start = at + 1
	}
	p.gzParts = append(p.gzParts, deflatePart(p.body[start:]))
}

// gzipHeader is a gzip member header: deflate, no name, no time, unknown OS.
var gzipHeader = []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}

// gzipWithVotes returns plain, which is p's body with votes written in
// (withVotes), gzipped from p's parts.
func (p *cachedPage) gzipWithVotes(votes map[string]int, plain []byte) []byte {
	n := len(gzipHeader) + 13 + 7*len(p.votes)
	for _, part := range p.gzParts {
		n += len(part)
	}
	out := append(make([]byte, 0, n), gzipHeader...)
	for i, part := range p.gzParts {
		out = append(out, part...)
		if i == len(p.votes) {
			break
		}
		var v [2]byte
		digits := strconv.AppendInt(v[:0], int64(votes[p.posts[i]]), 10)
		// A stored block, not the last: header byte, LEN, NLEN, the bytes.
		out = append(out, 0, byte(len(digits)), 0, ^byte(len(digits)), 0xff)
		out = append(out, digits...)
	}
	out = append(out, 1, 0, 0, 0xff, 0xff) // the last block: stored, empty
	out = binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(plain))
	return binary.LittleEndian.AppendUint32(out, uint32(len(plain)))
}
