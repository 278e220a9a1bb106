package commands

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
)

// jpegOrientation returns the Exif orientation (1 to 8) a JPEG's APP1
// segment gives, 1 when it gives none: how a camera that was held turned
// says its pixels are to be shown. Encoding the picture again drops the
// Exif, so the pixels are turned first (orient).
func jpegOrientation(b []byte) int {
	if len(b) < 4 || b[0] != 0xff || b[1] != 0xd8 {
		return 1
	}
	for i := 2; i+4 <= len(b) && b[i] == 0xff; {
		marker, n := b[i+1], int(binary.BigEndian.Uint16(b[i+2:]))
		if marker == 0xda || n < 2 || i+2+n > len(b) { // the pixels start: no Exif before them
			return 1
		}
		if seg := b[i+4 : i+2+n]; marker == 0xe1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return tiffOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 1
}

// tiffOrientation reads the orientation tag (0x0112) of a TIFF header's
// first directory; 1 when it has none, or one out of range.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var order binary.ByteOrder
	switch string(t[:4]) {
	case "II*\x00":
		order = binary.LittleEndian
	case "MM\x00*":
		order = binary.BigEndian
	default:
		return 1
	}
	ifd := int(order.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > len(t) {
		return 1
	}
	count := int(order.Uint16(t[ifd:]))
	for k := range min(count, 256) {
		e := ifd + 2 + 12*k
		if e+12 > len(t) {
			return 1
		}
		if order.Uint16(t[e:]) == 0x0112 && order.Uint16(t[e+2:]) == 3 {
			if o := int(order.Uint16(t[e+8:])); o >= 1 && o <= 8 {
				return o
			}
			return 1
		}
	}
	return 1
}

// orient returns img as orientation o says to show it: flipped, turned or
// both (o 1: as it is).
func orient(img image.Image, o int) image.Image {
	if o <= 1 || o > 8 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if o >= 5 { // the sides swap
		w, h = h, w
	}
	// A JPEG decodes to YCbCr (most do), read in place; any other model
	// through At. Either way the only copy made is the one turned.
	pixel := func(x, y int) color.RGBA {
		r, g, bl, a := img.At(x, y).RGBA()
		return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), uint8(a >> 8)}
	}
	if ycc, ok := img.(*image.YCbCr); ok {
		pixel = func(x, y int) color.RGBA {
			yi, ci := ycc.YOffset(x, y), ycc.COffset(x, y)
			r, g, bl := color.YCbCrToRGB(ycc.Y[yi], ycc.Cb[ci], ycc.Cr[ci])
			return color.RGBA{r, g, bl, 255}
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			sx, sy := orientedFrom(o, x, y, w, h)
			c := pixel(b.Min.X+sx, b.Min.Y+sy)
			di := dst.PixOffset(x, y)
			dst.Pix[di], dst.Pix[di+1], dst.Pix[di+2], dst.Pix[di+3] = c.R, c.G, c.B, c.A
		}
	}
	return dst
}

// orientedFrom returns the pixel of the picture as stored that shows at
// (x, y) of the picture as oriented (w × h) by o.
func orientedFrom(o, x, y, w, h int) (int, int) {
	switch o {
	case 2:
		return w - 1 - x, y
	case 3:
		return w - 1 - x, h - 1 - y
	case 4:
		return x, h - 1 - y
	case 5:
		return y, x
	case 6:
		return y, w - 1 - x
	case 7:
		return h - 1 - y, w - 1 - x
	default: // 8
		return h - 1 - y, x
	}
}
