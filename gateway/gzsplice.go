package gateway

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"slices"
	"sync"
)

// A cached page with posts is also kept gzipped in parts cut at its slots,
// so that a signed-in reader's answer, their votes and marks written in,
// goes out gzipped without compressing the page again: each stretch between
// two slots is deflated on its own (no back-reference crosses a slot), each
// slot's content goes in between as stored blocks, and only the checksum is
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

// splitGzip cuts p's body at its slots and deflates each part.
func (p *cachedPage) splitGzip() {
	start := 0
	for _, at := range p.slots {
		p.gzParts = append(p.gzParts, deflatePart(p.body[start:at]))
		start = at + 1
	}
	p.gzParts = append(p.gzParts, deflatePart(p.body[start:]))
}

// gzipHeader is a gzip member header: deflate, no name, no time, unknown OS.
var gzipHeader = []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}

// gzipWithFills returns p's body with fills in its slots (withFills),
// gzipped from p's parts, appended to out (which may be nil).
func (p *cachedPage) gzipWithFills(out []byte, fills [][]byte) []byte {
	n := len(gzipHeader) + 13 + 6*len(p.slots)
	for _, part := range p.gzParts {
		n += len(part)
	}
	for _, f := range fills {
		n += len(f) + 5*(len(f)/maxStored)
	}
	out = append(slices.Grow(out[:0], n), gzipHeader...)
	for i, part := range p.gzParts {
		out = append(out, part...)
		if i == len(p.slots) {
			break
		}
		fill := fills[i]
		if fill == nil {
			fill = zero
		}
		for len(fill) > 0 {
			k := min(len(fill), maxStored)
			// A stored block, not the last: header byte, LEN, NLEN, the bytes.
			out = append(out, 0, byte(k), byte(k>>8), ^byte(k), ^byte(k>>8))
			out = append(out, fill[:k]...)
			fill = fill[k:]
		}
	}
	out = append(out, 1, 0, 0, 0xff, 0xff) // the last block: stored, empty
	crc, size := p.filledSum(fills)
	out = binary.LittleEndian.AppendUint32(out, crc)
	return binary.LittleEndian.AppendUint32(out, size)
}

// filledSum returns the CRC-32 and the length of p's body with fills in
// its slots, without writing it out.
func (p *cachedPage) filledSum(fills [][]byte) (crc, size uint32) {
	last := 0
	for i, at := range p.slots {
		if fills[i] == nil {
			continue
		}
		crc = crc32.Update(crc, crc32.IEEETable, p.body[last:at])
		crc = crc32.Update(crc, crc32.IEEETable, fills[i])
		size += uint32(at - last + len(fills[i]))
		last = at + 1
	}
	crc = crc32.Update(crc, crc32.IEEETable, p.body[last:])
	return crc, size + uint32(len(p.body)-last)
}

// maxStored is the most bytes a stored deflate block holds.
const maxStored = 0xffff

// zero is a slot's own content.
var zero = []byte("0")
