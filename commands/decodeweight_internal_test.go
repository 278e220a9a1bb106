package commands

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"forum/fault"
)

// pngOfHeader returns a PNG's signature and IHDR for a w × h picture of
// depth bits and colour type ctype, with no pixels after.
func pngOfHeader(w, h int, depth, ctype, interlace byte) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	ihdr = append(ihdr, depth, ctype, 0, 0, interlace)
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(ihdr)))
	chunk = append(append(chunk, "IHDR"...), ihdr...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	return append([]byte("\x89PNG\r\n\x1a\n"), chunk...)
}

// testPicture returns a w × h picture of img's model with pixels that vary.
func patterned[T interface {
	image.Image
	Set(x, y int, c color.Color)
}](img T) T {
	b := img.Bounds()
	for y := range b.Dy() {
		for x := range b.Dx() {
			img.Set(x, y, color.NRGBA64{uint16(x * 97), uint16(y * 89), uint16(x * y), uint16(0xffff - x)})
		}
	}
	return img
}

func encoded(t *testing.T, enc func(*bytes.Buffer) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := enc(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The weight read from a picture's header is no less than what decoding it
// really allocates, and not far more, for each format and each kind of
// each: measured as the bytes the runtime allocates while it decodes.
func TestDecodeWeightBoundsDecoding(t *testing.T) {
	const side = 600
	rect := image.Rect(0, 0, side, side)
	gray := patterned(image.NewGray(rect))
	rgba := patterned(image.NewNRGBA(rect))
	cases := []struct {
		name string
		data []byte
	}{
		{"png gray", encoded(t, func(b *bytes.Buffer) error { return png.Encode(b, gray) })},
		{"png rgba", encoded(t, func(b *bytes.Buffer) error { return png.Encode(b, rgba) })},
		{"png rgba 16-bit", encoded(t, func(b *bytes.Buffer) error { return png.Encode(b, patterned(image.NewNRGBA64(rect))) })},
		{"png gray 16-bit", encoded(t, func(b *bytes.Buffer) error { return png.Encode(b, patterned(image.NewGray16(rect))) })},
		{"png paletted", encoded(t, func(b *bytes.Buffer) error {
			return png.Encode(b, patterned(image.NewPaletted(rect, color.Palette{color.Black, color.White, color.Gray{128}})))
		})},
		{"jpeg gray", encoded(t, func(b *bytes.Buffer) error { return jpeg.Encode(b, gray, nil) })},
		{"jpeg 4:2:0", encoded(t, func(b *bytes.Buffer) error { return jpeg.Encode(b, rgba, nil) })},
		{"jpeg progressive", fixture(t, "progressive.jpg")},
		{"gif", encoded(t, func(b *bytes.Buffer) error { return gif.Encode(b, rgba, nil) })},
		{"webp lossy", fixture(t, "yellow_rose.lossy.webp")},
		{"webp lossy with alpha", fixture(t, "yellow_rose.lossy-with-alpha.webp")},
		{"webp lossless", fixture(t, "yellow_rose.lossless.webp")},
		{"webp lossless indexed", fixture(t, "gopher-doc.8bpp.lossless.webp")},
		{"webp lossless, a Huffman group a tile", manyGroupsWebP(300)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			typ := sniff(c.data)
			weight, err := checkSize(typ, c.data)
			if err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			img, err := decoders[typ].decode(bytes.NewReader(c.data))
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatal(err)
			}
			allocated := int64(after.TotalAlloc - before.TotalAlloc)
			pixels := int64(img.Bounds().Dx() * img.Bounds().Dy())
			t.Logf("%d pixels: weight %d (%.1f a pixel), allocated %d (%.1f a pixel)", pixels, weight, float64(weight-decodeOverhead)/float64(pixels), allocated, float64(allocated)/float64(pixels))
			if allocated > weight {
				t.Errorf("decoding allocated %d bytes, over its weight %d", allocated, weight)
			}
			// A lossless WebP is weighed with room for the most Huffman
			// groups it may hold, which a picture without them does not use.
			if !strings.HasPrefix(c.name, "webp lossless") && !strings.HasSuffix(c.name, "with alpha") && weight-decodeOverhead > 3*allocated {
				t.Errorf("weight %d is over three times the %d bytes decoding allocated", weight, allocated)
			}
		})
	}
}

// The weight is read from the header alone, by format: the largest
// picture of 4 bytes a pixel is taken, and one of 8 (a 16-bit PNG), or one
// an interlaced PNG or a progressive JPEG holds twice, is refused before it
// is decoded though its pixels are fewer than MaxUploadPixels.
func TestDecodeWeightFromHeaders(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		data   []byte
		weight int64 // 0: refused
	}{
		{"png 8-bit rgba 40 MP", pngOfHeader(8000, 5000, 8, 6, 0), 4*40_000_000 + 2*(1+8000*4)},
		{"png 8-bit rgb 40 MP", pngOfHeader(8000, 5000, 8, 2, 0), 4*40_000_000 + 2*(1+8000*3)},
		{"png 8-bit gray 40 MP", pngOfHeader(8000, 5000, 8, 0, 0), 40_000_000 + 2*(1+8000)},
		{"png 1-bit gray", pngOfHeader(1000, 1000, 1, 0, 0), 1_000_000 + 2*(1+125)},
		{"png 16-bit gray", pngOfHeader(1000, 1000, 16, 0, 0), 2_000_000 + 2*(1+2000)},
		{"png 16-bit rgba 6320²", pngOfHeader(6320, 6320, 16, 6, 0), 0},
		{"png 16-bit rgba 4000²", pngOfHeader(4000, 4000, 16, 6, 0), 8*16_000_000 + 2*(1+4000*8)},
		{"png 8-bit rgba interlaced 40 MP", pngOfHeader(8000, 5000, 8, 6, 1), 0},
		{"png 8-bit rgba interlaced 4000²", pngOfHeader(4000, 4000, 8, 6, 1), 8*16_000_000 + 2*(1+4000*4)},
		{"gif", []byte("GIF89a\x88\x13\x88\x13\x00\x00\x00"), 2 * 5000 * 5000},
		{"gif 40 MP", []byte("GIF89a\x40\x1f\x88\x13\x00\x00\x00"), 2 * 8000 * 5000},
		{"jpeg baseline 4:2:0", jpegOfHeader(6000, 4000, false, 0x22, 0x11, 0x11), 64 * (375 * 250) * 6},
		{"jpeg progressive 4:2:0 40 MP", jpegOfHeader(8000, 5000, true, 0x22, 0x11, 0x11), 0},
		{"jpeg progressive 4:2:0 12 MP", jpegOfHeader(4000, 3000, true, 0x22, 0x11, 0x11), 5 * 64 * (250 * 188) * 6},
		{"jpeg progressive 4:4:4 12 MP", jpegOfHeader(4000, 3000, true, 0x11, 0x11, 0x11), 0},
		{"jpeg gray", jpegOfHeader(1000, 1000, false, 0x11), 64 * 125 * 125},
		{"jpeg cmyk", jpegOfHeader(1000, 1000, false, 0x11, 0x11, 0x11, 0x11), 4*64*125*125 + 4*1_000_000},
		{"webp lossy 16383²", webpOfHeader("VP8 ", 16383, 16383), 0},
		{"webp lossless 1000²", webpOfHeader("VP8L", 1000, 1000), 8*1_000_000 + 4*(4*1_000_000/16+4) + vp8lMaxGroups*vp8lGroupBytes},
		{"webp lossless 2000²", webpOfHeader("VP8L", 2000, 2000), 0}, // its Huffman groups and pixels over MaxDecodeBytes
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			typ := sniff(c.data)
			got, err := decodeWeight(typ, c.data)
			if c.weight == 0 {
				if fault.Code(err) != fault.EINVALID || !strings.Contains(err.Error(), "MiB") {
					t.Errorf("weight %d, err %v: want refused as too heavy", got, err)
				}
				return
			}
			if err != nil || got != c.weight+decodeOverhead {
				t.Errorf("weight %d, err %v; want %d", got, err, c.weight+decodeOverhead)
			}
		})
	}
}

// jpegOfHeader returns the start of a JPEG of w × h pixels: a frame header
// of a component for each sampling given (h<<4 | v), no scans.
func jpegOfHeader(w, h int, progressive bool, sampling ...byte) []byte {
	marker := byte(0xc0)
	if progressive {
		marker = 0xc2
	}
	sof := []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), byte(len(sampling))}
	for i, s := range sampling {
		sof = append(sof, byte(i+1), s, 0)
	}
	b := []byte{0xff, 0xd8, 0xff, marker, byte((len(sof) + 2) >> 8), byte(len(sof) + 2)}
	return append(append(b, sof...), 0xff, 0xd9)
}

// webpOfHeader returns a WebP of a single chunk (VP8 or VP8L) holding only
// the header of a w × h picture.
func webpOfHeader(chunk string, w, h int) []byte {
	var data []byte
	if chunk == "VP8L" {
		data = binary.LittleEndian.AppendUint32([]byte{0x2f}, uint32(w-1)|uint32(h-1)<<14)
	} else {
		data = []byte{0x10, 0, 0, 0x9d, 0x01, 0x2a}
		data = binary.LittleEndian.AppendUint16(data, uint16(w))
		data = binary.LittleEndian.AppendUint16(data, uint16(h))
	}
	return riff(append(binary.LittleEndian.AppendUint32([]byte(chunk), uint32(len(data))), data...))
}

// riff wraps WebP chunks in their RIFF header.
func riff(chunks []byte) []byte {
	b := binary.LittleEndian.AppendUint32([]byte("RIFF"), uint32(4+len(chunks)))
	return append(append(b, "WEBP"...), chunks...)
}

// jpegSegments cuts a JPEG into its segments, each from its marker to the
// next (a scan's segment holds its entropy-coded data), the start and end
// of the image left out.
func jpegSegments(t *testing.T, d []byte) [][]byte {
	t.Helper()
	var segs [][]byte
	for i := 2; i+1 < len(d) && d[i+1] != 0xd9; {
		j := i + 2 + int(binary.BigEndian.Uint16(d[i+2:]))
		if d[i+1] == 0xda {
			for d[j] != 0xff || d[j+1] == 0 || 0xd0 <= d[j+1] && d[j+1] <= 0xd7 {
				j++
			}
		}
		segs = append(segs, d[i:j])
		i = j
	}
	return segs
}

// A progressive JPEG of thousands of scans, each a pass over the whole
// picture for the decoder but a few bytes sent, is refused from its
// markers before any is decoded, at once; a standard progressive JPEG (10
// scans) is taken and decoded.
func TestManyScanJPEG(t *testing.T) {
	t.Parallel()
	prog := fixture(t, "progressive.jpg")
	segs := jpegSegments(t, prog)
	var head []byte
	var dht, refine []byte
	scans := 0
	for i, s := range segs {
		if s[1] == 0xda {
			scans++
			if scans == 2 { // the first AC scan, and the tables before it
				dht, refine = segs[i-1], s
				break
			}
		}
		head = append(head, s...)
	}
	if dht == nil || dht[1] != 0xc4 {
		t.Fatalf("no tables before the second scan of the fixture")
	}
	if got := walkOK(t, prog); got.scans != 10 || !got.progressive {
		t.Fatalf("the fixture has %d scans, progressive %v", got.scans, got.progressive)
	}
	if _, err := checkSize(typeJPEG, prog); err != nil {
		t.Fatalf("a standard progressive JPEG: %v", err)
	}
	if _, err := Reencode(typeJPEG, prog); err != nil {
		t.Fatalf("a standard progressive JPEG decodes: %v", err)
	}
	for _, n := range []int{MaxJPEGScans - 1, MaxJPEGScans, 3000} {
		bomb := append([]byte{0xff, 0xd8}, head...)
		for range n {
			bomb = append(append(bomb, dht...), refine...)
		}
		bomb = append(bomb, 0xff, 0xd9)
		start := time.Now()
		_, err := checkSize(typeJPEG, bomb)
		took := time.Since(start)
		if n+1 <= MaxJPEGScans {
			if err != nil {
				t.Errorf("%d scans: %v", n+1, err)
			}
			continue
		}
		t.Logf("%d scans (%d bytes) refused in %v", n+1, len(bomb), took)
		if fault.Code(err) != fault.EINVALID || !strings.Contains(err.Error(), "scans") {
			t.Errorf("%d scans: %v, want refused for its scans", n+1, err)
		}
		if took > time.Second {
			t.Errorf("refusing %d scans took %v", n+1, took)
		}
	}
}

// A baseline JPEG whose scan comes again, each time a full decoding of its
// blocks, is refused: a sequential JPEG has a scan a component at most.
func TestBaselineJPEGScans(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, patterned(image.NewNRGBA(image.Rect(0, 0, 64, 64))), nil); err != nil {
		t.Fatal(err)
	}
	segs := jpegSegments(t, buf.Bytes())
	again := []byte{0xff, 0xd8}
	for _, s := range segs {
		again = append(again, s...)
		if s[1] == 0xda {
			for range 3 {
				again = append(again, s...)
			}
		}
	}
	again = append(again, 0xff, 0xd9)
	if _, err := checkSize(typeJPEG, buf.Bytes()); err != nil {
		t.Fatalf("a baseline JPEG: %v", err)
	}
	if _, err := checkSize(typeJPEG, again); fault.Code(err) != fault.EINVALID || !strings.Contains(err.Error(), "scan") {
		t.Errorf("a baseline JPEG of 4 scans of 3 components: %v, want refused for its scans", err)
	}
}

func walkOK(t *testing.T, b []byte) jpegInfo {
	t.Helper()
	info, err := walkJPEG(b)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// An animated WebP is refused as a type not taken, saying so, whether its
// VP8X header says it is animated or only its chunks do.
func TestAnimatedWebP(t *testing.T) {
	t.Parallel()
	vp8x := func(flags byte) []byte {
		c := binary.LittleEndian.AppendUint32([]byte("VP8X"), 10)
		return append(c, flags, 0, 0, 0, 99, 0, 0, 99, 0, 0)
	}
	anim := binary.LittleEndian.AppendUint32([]byte("ANIM"), 6)
	anim = append(anim, 0, 0, 0, 0, 0, 0)
	for name, data := range map[string][]byte{
		"flagged":     riff(append(vp8x(0x02), anim...)),
		"chunks only": riff(append(vp8x(0), anim...)),
	} {
		_, err := checkSize(typeWebP, data)
		if fault.Code(err) != unsupportedMedia || !strings.Contains(err.Error(), "animated") {
			t.Errorf("%s: %v, want refused as animated", name, err)
		}
	}
}

// manyGroupsWebP is a 256 × 256 lossless WebP whose tiles of 4 × 4 pixels
// use groups Huffman groups in turn, each with the largest green tree a
// colour cache of 2,048 entries allows: small on the wire, large in memory.
func manyGroupsWebP(groups int) []byte {
	const w, h = 256, 256
	bw := &bitWriter{}
	bw.put(0x2f, 8)
	bw.put(w-1, 14)
	bw.put(h-1, 14)
	bw.put(0, 1)
	bw.put(0, 3)
	bw.put(0, 1)  // no transform
	bw.put(1, 1)  // a colour cache
	bw.put(11, 4) // of 2^11 entries
	bw.put(1, 1)  // a meta image of groups
	bw.put(0, 3)  // over tiles of 4 × 4
	bw.put(0, 1)  // the meta image has no colour cache
	bw.normalTree(0, 8, lengths8(256, 280))
	bw.normalTree(0, 8, lengths8(256, 256))
	bw.simpleTree()
	bw.simpleTree()
	bw.simpleTree()
	for i := range (w / 4) * (h / 4) {
		g := i % groups
		bw.code8(g & 0xff)
		bw.code8(g >> 8)
	}
	green := make([]int, 256+24+2048)
	for i := range green {
		green[i] = 11
		if i >= 1768 {
			green[i] = 12
		}
	}
	for range groups {
		bw.normalTree(11, 12, green)
		bw.normalTree(0, 8, lengths8(256, 256))
		bw.normalTree(0, 8, lengths8(256, 256))
		bw.normalTree(0, 8, lengths8(256, 256))
		bw.simpleTree()
	}
	for range w * h {
		bw.put(0, 11)
		bw.put(0, 8)
		bw.put(0, 8)
		bw.put(0, 8)
	}
	bw.flush()
	data := bw.b
	n := len(data)
	if n%2 == 1 {
		data = append(data, 0)
	}
	var f bytes.Buffer
	f.WriteString("RIFF")
	binary.Write(&f, binary.LittleEndian, uint32(4+8+len(data)))
	f.WriteString("WEBPVP8L")
	binary.Write(&f, binary.LittleEndian, uint32(n))
	f.Write(data)
	return f.Bytes()
}

// bitWriter writes a VP8L bit stream, least significant bit first.
type bitWriter struct {
	b   []byte
	acc uint64
	n   uint
}

func (w *bitWriter) put(v uint32, n uint) {
	w.acc |= uint64(v) << w.n
	w.n += n
	for w.n >= 8 {
		w.b = append(w.b, byte(w.acc))
		w.acc >>= 8
		w.n -= 8
	}
}

func (w *bitWriter) flush() {
	if w.n > 0 {
		w.b = append(w.b, byte(w.acc))
		w.acc, w.n = 0, 0
	}
}

// codeLengthOrder is the order VP8L sends code-length code lengths in.
var codeLengthOrder = [19]int{17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}

// normalTree writes a tree of code lengths lens, each a or b, through a
// code-length code of those two symbols of one bit each.
func (w *bitWriter) normalTree(a, b int, lens []int) {
	w.put(0, 1)
	n := 0
	for i, s := range codeLengthOrder {
		if s == a || s == b {
			n = i + 1
		}
	}
	w.put(uint32(n-4), 4)
	for i := range n {
		if s := codeLengthOrder[i]; s == a || s == b {
			w.put(1, 3)
		} else {
			w.put(0, 3)
		}
	}
	w.put(0, 1) // no max symbol
	for _, l := range lens {
		if l == a {
			w.put(0, 1)
		} else {
			w.put(1, 1)
		}
	}
}

// simpleTree writes a tree of the one symbol 0.
func (w *bitWriter) simpleTree() { w.put(1, 1); w.put(0, 1); w.put(0, 1); w.put(0, 1) }

// code8 writes s in 8 bits, most significant first (a code of lengths8).
func (w *bitWriter) code8(s int) {
	for i := 7; i >= 0; i-- {
		w.put(uint32(s>>uint(i))&1, 1)
	}
}

// lengths8 is an alphabet of size symbols whose first n have codes of 8 bits.
func lengths8(n, size int) []int {
	l := make([]int, size)
	for i := range n {
		l[i] = 8
	}
	return l
}
