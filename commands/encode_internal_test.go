package commands

import (
	"bytes"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"testing"

	"forum/fault"
)

// A picture whose encoding comes out over the bound of what is stored is
// encoded again at lower qualities until it fits, and refused (413) when
// none does; one that fits is encoded once, at the usual quality.
func TestStoredPicturesAreBounded(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 600, 600))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = byte(r.Uint32())
	}
	size := func(q int) int {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
			t.Fatal(err)
		}
		return b.Len()
	}
	at85, at70, at50 := size(jpegQuality), size(70), size(50)
	old := maxStoredBytes
	t.Cleanup(func() { maxStoredBytes = old })
	for _, c := range []struct {
		bound, want int
	}{{at85, at85}, {at85 - 1, at70}, {at70 - 1, at50}} {
		maxStoredBytes = c.bound
		out, err := encode(typeJPEG, img, 0)
		if err != nil || len(out) != c.want {
			t.Errorf("bound %d: %d bytes (%v), want %d", c.bound, len(out), err, c.want)
		}
	}
	maxStoredBytes = at50 - 1
	if _, err := encode(typeJPEG, img, 0); fault.Code(err) != fault.ETOOLARGE {
		t.Errorf("over the bound at every quality: %v", err)
	}
	maxStoredBytes = 1000
	if _, err := encode(typePNG, img, 0); fault.Code(err) != fault.ETOOLARGE {
		t.Errorf("a PNG over the bound: %v", err)
	}
}
