package commands

import (
	"context"
	"image"
	"image/color"
	"testing"
	"time"

	"forum/fault"
)

// Pictures decode at most n at once on an instance and one at a time per
// user; one that finds no slot within the wait is refused as busy (503),
// and a slot given back is taken again.
func TestMediaSlots(t *testing.T) {
	ctx := context.Background()
	m := newMediaSlots(1, 20*time.Millisecond)
	release, err := m.take(ctx, "ada")
	if err != nil {
		t.Fatal(err)
	}
	for _, user := range []string{"ada", "bob"} {
		if _, err := m.take(ctx, user); fault.Code(err) != fault.EUNAVAILABLE {
			t.Errorf("%s while the slot is taken: %v", user, err)
		}
	}
	release()
	r, err := m.take(ctx, "bob")
	if err != nil {
		t.Fatalf("bob once the slot is free: %v", err)
	}
	r()
	m = newMediaSlots(2, 20*time.Millisecond)
	r1, err := m.take(ctx, "ada")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.take(ctx, "ada"); fault.Code(err) != fault.EUNAVAILABLE {
		t.Errorf("a second picture of ada's at once: %v", err)
	}
	r2, err := m.take(ctx, "bob")
	if err != nil {
		t.Fatalf("bob beside ada with two slots: %v", err)
	}
	r1()
	r2()
	if len(m.users) != 0 || len(m.refs) != 0 {
		t.Errorf("slots kept for nobody: %v", m.users)
	}
}

// A JPEG's Exif orientation turns its pixels as the Exif says: the pixel
// stored first (top left) shows where each orientation puts it, and the
// sides swap from 5 on.
func TestOrient(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 3, 2))
	src.Set(0, 0, color.RGBA{255, 0, 0, 255})
	corner := map[int]func(w, h int) (int, int){
		1: func(w, h int) (int, int) { return 0, 0 }, 2: func(w, h int) (int, int) { return w - 1, 0 },
		3: func(w, h int) (int, int) { return w - 1, h - 1 }, 4: func(w, h int) (int, int) { return 0, h - 1 },
		5: func(w, h int) (int, int) { return 0, 0 }, 6: func(w, h int) (int, int) { return w - 1, 0 },
		7: func(w, h int) (int, int) { return w - 1, h - 1 }, 8: func(w, h int) (int, int) { return 0, h - 1 },
	}
	ycc := image.NewYCbCr(image.Rect(0, 0, 3, 2), image.YCbCrSubsampleRatio444)
	for i := range ycc.Cb {
		ycc.Cb[i], ycc.Cr[i] = 128, 128
	}
	ycc.Y[0] = 255 // white first, black elsewhere
	for o, at := range corner {
		for _, img := range []image.Image{src, ycc} {
			got := orient(img, o)
			b := got.Bounds()
			if want := (o >= 5); (b.Dx() == 2) != want {
				t.Errorf("orientation %d: %v", o, b)
			}
			x, y := at(b.Dx(), b.Dy())
			if r, _, _, _ := got.At(x, y).RGBA(); r>>8 != 255 {
				t.Errorf("orientation %d of a %T: the first pixel is not at (%d, %d)", o, img, x, y)
			}
		}
	}
	for _, c := range []struct {
		tiff string
		want int
	}{
		{"MM\x00*\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00", 6},
		{"II*\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\x01\x00\x00\x00\x08\x00\x00\x00", 8},
		{"II*\x00\x08\x00\x00\x00\xff\xff", 1},
		{"MM\x00*\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x09\x00\x00", 1},
		{"XX", 1},
	} {
		if got := tiffOrientation([]byte(c.tiff)); got != c.want {
			t.Errorf("tiffOrientation(%q) = %d, want %d", c.tiff, got, c.want)
		}
	}
}

// The pictures decoding at once weigh at most MediaDecodeBytes: beside one
// of the largest, another waits, then is refused as busy (503); once the
// first is done it decodes. The bound is never below one largest picture.
func TestMediaDecodeBytes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := New(Config{MediaDecodeBytes: MaxDecodeBytes + 1_000_000, MediaWait: 20 * time.Millisecond})
	big, err := s.takeDecode(ctx, MaxDecodeBytes)
	if err != nil {
		t.Fatal(err)
	}
	small, err := s.takeDecode(ctx, 1_000_000)
	if err != nil {
		t.Fatalf("a small picture beside the largest: %v", err)
	}
	if _, err := s.takeDecode(ctx, 2_000_000); fault.Code(err) != fault.EUNAVAILABLE {
		t.Errorf("past the bound: %v, want unavailable", err)
	}
	big()
	small()
	again, err := s.takeDecode(ctx, MaxDecodeBytes)
	if err != nil {
		t.Fatalf("after the others are done: %v", err)
	}
	again()
	if tiny := New(Config{MediaDecodeBytes: 10}); tiny.MediaDecodeBytes != MaxDecodeBytes {
		t.Errorf("a bound of 10 bytes is %d", tiny.MediaDecodeBytes)
	}
}
