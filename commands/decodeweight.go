package commands

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"forum/fault"
)

// The bounds of the work one picture's decoding may take, read from its
// header before any of it is decoded.
const (
	// MaxDecodeBytes is the most memory one picture's decoding may take, as
	// decodeWeight weighs it from the header: a picture of 40 megapixels
	// decoded to 4 bytes a pixel (an 8-bit PNG or WebP with transparency)
	// fits; one decoded to 8 (a 16-bit PNG) or keeping a JPEG's
	// coefficients beside its pixels (a progressive JPEG) fits with fewer.
	MaxDecodeBytes = 160 << 20
	// MaxJPEGScans is the most scans a JPEG may have. Every scan of a
	// progressive JPEG is a pass over the blocks of the picture it covers,
	// so its decoding costs as many passes as it has scans, whatever its
	// size in bytes: a scan of a few dozen bytes costs a pass over up to 40
	// megapixels. The standard progressive scripts (libjpeg's, mozjpeg's)
	// write 6 to 10 scans, and encoders that optimise them a few dozen at
	// most, so 100 leaves room for all of them while bounding a picture to
	// about 100 passes (a second or two of a processor, not minutes). A
	// sequential (baseline) JPEG has each component in one scan, so at
	// most a scan a component; image/jpeg would decode every scan more
	// over all its blocks again.
	MaxJPEGScans = 100
	// decodeOverhead is what a decoder holds besides the pixels it writes,
	// whatever the picture: tables, windows and rows of a few KiB.
	decodeOverhead = 256 << 10
)

// decodeWeight returns the bytes the decoding of a picture of type typ
// (already recognised, its size in pixels already checked) holds at its
// peak, read from its header alone: the image the decoder writes, at the
// bytes a pixel its format decodes to, and what the decoder keeps beside
// it (a progressive JPEG's coefficients, an interlaced PNG's passes, a
// lossless WebP's transforms), plus the copy that turning a JPEG as its
// Exif says makes. It returns EINVALID for a header it cannot read, a JPEG
// of over MaxJPEGScans scans, and a picture whose weight is over
// MaxDecodeBytes; an unsupportedMedia error for an animated WebP.
func decodeWeight(typ string, data []byte) (int64, error) {
	var w int64
	var err error
	switch typ {
	case typePNG:
		w, err = pngWeight(data)
	case typeJPEG:
		w, err = jpegWeight(data)
	case typeGIF:
		w, err = gifWeight(data)
	case typeWebP:
		w, err = webpWeight(data)
	default:
		err = fmt.Errorf("no weight for %s", typ)
	}
	if err != nil {
		if fault.Code(err) == fault.EINTERNAL {
			return 0, fault.FieldError(fault.EINVALID, "file", "the picture cannot be read: "+err.Error())
		}
		return 0, err
	}
	w += decodeOverhead
	if w > MaxDecodeBytes {
		return 0, fault.FieldError(fault.EINVALID, "file", fmt.Sprintf("the picture would take %d MiB to decode, and a picture may take at most %d MiB: send it with fewer pixels (or as an 8-bit, non-interlaced PNG or a baseline JPEG)", (w+(1<<20)-1)>>20, MaxDecodeBytes>>20))
	}
	return w, nil
}

// pngWeight weighs a PNG from its IHDR: image/png decodes it to 1 byte a
// pixel (grey or a palette), 2 (16-bit grey), 4 (8-bit colour, or grey with
// alpha) or 8 (16-bit colour, or grey with alpha), plus two rows of what
// was sent; an interlaced one also holds each pass's image, the largest
// half the picture, and the passes before it not yet collected: as much
// again as the picture.
func pngWeight(b []byte) (int64, error) {
	if len(b) < 33 || string(b[12:16]) != "IHDR" {
		return 0, fmt.Errorf("no PNG header")
	}
	w, h := int64(binary.BigEndian.Uint32(b[16:])), int64(binary.BigEndian.Uint32(b[20:]))
	depth, ctype, interlace := int64(b[24]), b[25], b[28]
	var bpp, channels int64
	switch ctype {
	case 0: // grey
		bpp, channels = 1, 1
		if depth == 16 {
			bpp = 2
		}
	case 3: // palette
		bpp, channels = 1, 1
	case 2, 4, 6: // colour, grey with alpha, colour with alpha
		bpp, channels = 4, map[byte]int64{2: 3, 4: 2, 6: 4}[ctype]
		if depth == 16 {
			bpp = 8
		}
	default:
		return 0, fmt.Errorf("PNG colour type %d", ctype)
	}
	weight := w*h*bpp + 2*(1+(w*channels*depth+7)/8)
	if interlace != 0 {
		weight += w * h * bpp
	}
	return weight, nil
}

// gifWeight weighs a GIF from its logical screen: image/gif decodes its
// first frame (within the screen) to a byte a pixel, and an interlaced
// frame once more to put its rows in order.
func gifWeight(b []byte) (int64, error) {
	if len(b) < 10 {
		return 0, fmt.Errorf("no GIF header")
	}
	w, h := int64(binary.LittleEndian.Uint16(b[6:])), int64(binary.LittleEndian.Uint16(b[8:]))
	return 2 * w * h, nil
}

// jpegInfo is what a JPEG's markers say of its decoding, read without
// decoding it (walkJPEG).
type jpegInfo struct {
	width, height int64
	progressive   bool
	comps         []jpegComp
	scans         int
	jfif, adobe   bool
	transform     byte // the Adobe segment's colour transform
}

// jpegComp is a component of a JPEG's frame: its id and sampling factors.
type jpegComp struct {
	id   byte
	h, v int64
}

// walkJPEG reads a JPEG's markers as image/jpeg's decoder reads them,
// without decoding any scan: a scan's entropy-coded data is passed over
// byte by byte up to the next marker, as the decoder does after a scan, so
// every scan the decoder would find is counted. It stops at the end of the
// image, and refuses one of over MaxJPEGScans scans (a sequential one of
// more scans than components) at the first scan past them. It costs a
// pass over the bytes.
func walkJPEG(b []byte) (jpegInfo, error) {
	var info jpegInfo
	if len(b) < 2 || b[0] != 0xff || b[1] != 0xd8 {
		return info, fmt.Errorf("no JPEG start")
	}
	for i := 2; i+1 < len(b); {
		if b[i] != 0xff {
			k := bytes.IndexByte(b[i:], 0xff)
			if k < 0 {
				break
			}
			i += k
			continue
		}
		marker := b[i+1]
		switch {
		case marker == 0x00 || 0xd0 <= marker && marker <= 0xd7: // stuffed byte, restart
			i += 2
			continue
		case marker == 0xff: // fill
			i++
			continue
		case marker == 0xd9: // end of image
			return info, nil
		}
		if i+4 > len(b) {
			break
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			break // the decoder fails here
		}
		seg := b[i+4 : i+2+n]
		switch marker {
		case 0xc0, 0xc1, 0xc2:
			info.progressive = marker == 0xc2
			if len(seg) < 6 || len(seg) < 6+3*int(seg[5]) {
				return info, fmt.Errorf("a short JPEG frame header")
			}
			info.height, info.width = int64(binary.BigEndian.Uint16(seg[1:])), int64(binary.BigEndian.Uint16(seg[3:]))
			info.comps = info.comps[:0]
			for k := range int(seg[5]) {
				c := seg[6+3*k:]
				info.comps = append(info.comps, jpegComp{id: c[0], h: int64(c[1] >> 4), v: int64(c[1] & 0x0f)})
			}
		case 0xda:
			info.scans++
			if !info.progressive && len(info.comps) > 0 && info.scans > len(info.comps) {
				return info, fault.FieldError(fault.EINVALID, "file", "a baseline JPEG has a scan a component at most, and this one has more: save it again")
			}
			if info.scans > MaxJPEGScans {
				return info, fault.FieldError(fault.EINVALID, "file", fmt.Sprintf("a JPEG has at most %d scans, and this one has more: save it again as a baseline or standard progressive JPEG", MaxJPEGScans))
			}
		case 0xe0:
			if bytes.HasPrefix(seg, []byte("JFIF\x00")) {
				info.jfif = true
			}
		case 0xee:
			if len(seg) >= 12 && bytes.HasPrefix(seg, []byte("Adobe")) {
				info.adobe, info.transform = true, seg[11]
			}
		}
		i += 2 + n
	}
	return info, nil
}

// jpegWeight weighs a JPEG from its markers (walkJPEG): image/jpeg decodes
// it into a plane a component, each a whole number of 8 × 8 blocks of its
// sampling, which a progressive JPEG doubles with 64 coefficients of 4
// bytes a block (4 bytes a sample) kept until its last scan; a JPEG of
// RGB or CMYK components is converted once more to 4 bytes a pixel, and a
// picture its Exif says to turn is copied turned at 4 bytes a pixel.
func jpegWeight(b []byte) (int64, error) {
	info, err := walkJPEG(b)
	if err != nil {
		return 0, err
	}
	if len(info.comps) == 0 || info.width == 0 || info.height == 0 {
		return 0, fmt.Errorf("no JPEG frame before its pixels")
	}
	var hmax, vmax int64 = 1, 1
	for _, c := range info.comps {
		hmax, vmax = max(hmax, c.h), max(vmax, c.v)
	}
	mxx, myy := (info.width+8*hmax-1)/(8*hmax), (info.height+8*vmax-1)/(8*vmax)
	if len(info.comps) == 1 {
		mxx, myy, info.comps[0].h, info.comps[0].v = (info.width+7)/8, (info.height+7)/8, 1, 1
	}
	var samples int64
	for _, c := range info.comps {
		samples += 64 * mxx * myy * max(c.h, 1) * max(c.v, 1)
	}
	weight := samples
	if info.progressive {
		weight += 4 * samples
	}
	pixels := info.width * info.height
	if n := len(info.comps); n == 4 || n == 3 && info.rgb() {
		weight += 4 * pixels
	}
	if jpegOrientation(b) > 1 {
		weight += 4 * pixels
	}
	return weight, nil
}

// rgb reports whether image/jpeg takes a JPEG of three components for RGB
// rather than YCbCr, converting it to RGBA.
func (info jpegInfo) rgb() bool {
	switch {
	case info.jfif:
		return false
	case info.adobe:
		return info.transform == 0
	}
	return len(info.comps) == 3 && info.comps[0].id == 'R' && info.comps[1].id == 'G' && info.comps[2].id == 'B'
}

// errAnimatedWebP refuses an animated WebP: only still pictures are taken.
var errAnimatedWebP = &fault.Error{Code: unsupportedMedia, Field: "file", Message: "animated WebP pictures are not taken: send a still picture (PNG, JPEG, GIF or WebP)"}

// webpWeight weighs a WebP from its chunks: a lossy one decodes to YCbCr
// 4:2:0 in whole macroblocks (1.5 bytes a pixel) with its compressed data
// copied once; its transparency adds a byte a pixel, decoded (when
// compressed) as a lossless picture of its own first; a lossless one
// decodes to 4 bytes a pixel, and its colour-indexing transform writes
// them again, beside its transforms' own images. An animated one (a VP8X
// header saying so, an ANIM or ANMF chunk) is refused.
func webpWeight(b []byte) (int64, error) {
	if len(b) < 12 {
		return 0, fmt.Errorf("no WebP header")
	}
	var w, h, weight int64
	for i := 12; i+8 <= len(b); {
		id, n := string(b[i:i+4]), int64(binary.LittleEndian.Uint32(b[i+4:]))
		chunk := b[i+8 : i+8+int(min(n, int64(len(b)-i-8)))]
		switch id {
		case "VP8X":
			if len(chunk) < 10 {
				return 0, fmt.Errorf("a short WebP header")
			}
			if chunk[0]&0x02 != 0 {
				return 0, errAnimatedWebP
			}
			w = 1 + (int64(chunk[4]) | int64(chunk[5])<<8 | int64(chunk[6])<<16)
			h = 1 + (int64(chunk[7]) | int64(chunk[8])<<8 | int64(chunk[9])<<16)
		case "ANIM", "ANMF":
			return 0, errAnimatedWebP
		case "ALPH":
			weight += 2*w*h + vp8lWeight(w, h)
		case "VP8 ":
			if len(chunk) >= 10 {
				w, h = int64(binary.LittleEndian.Uint16(chunk[6:])&0x3fff), int64(binary.LittleEndian.Uint16(chunk[8:])&0x3fff)
			}
			mbw, mbh := (w+15)/16, (h+15)/16
			return weight + 384*mbw*mbh + 16*mbw*mbh + int64(len(chunk)), nil
		case "VP8L":
			if len(chunk) >= 5 {
				bits := binary.LittleEndian.Uint32(chunk[1:])
				w, h = 1+int64(bits&0x3fff), 1+int64(bits>>14&0x3fff)
			}
			return weight + vp8lWeight(w, h), nil
		}
		if n > int64(len(b)) {
			break
		}
		i += 8 + int(n+n&1)
	}
	return 0, fmt.Errorf("no WebP image")
}

// vp8lWeight is what image/webp's lossless decoder holds for a w × h
// picture: its pixels at 4 bytes, as many again when a colour-indexing
// transform unpacks them, its transforms' images (each at most a
// sixteenth of the picture), and its Huffman groups: a picture may use one
// group of five trees per tile of 4 × 4 pixels, up to vp8lMaxGroups (the
// decoder refuses more), each up to vp8lGroupBytes whatever the
// picture's size, so a small lossless picture can hold a hundred MiB.
func vp8lWeight(w, h int64) int64 {
	groups := min(vp8lMaxGroups, ((w+3)/4)*((h+3)/4))
	return 8*w*h + 4*(4*w*h/16+4) + groups*vp8lGroupBytes
}

// vp8lMaxGroups is the most Huffman groups x/image/vp8l decodes, and
// vp8lGroupBytes the most one takes: five trees, each a look-up table of
// 128 entries of 4 bytes and its nodes of 8 bytes, two less than twice its
// alphabet (the green one's 256 literals, 24 lengths and a colour cache of
// up to 2,048 entries; red, blue and alpha 256; distances 40).
const (
	vp8lMaxGroups  = 2600
	vp8lGroupBytes = 5*128*4 + 8*(2*(256+24+2048)-1+3*(2*256-1)+(2*40-1))
)
