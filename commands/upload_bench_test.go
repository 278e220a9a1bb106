package commands_test

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	"forum/commands"
	"forum/events"
	"forum/internal/forumtest"
)

// benchPicture is a 1,000 × 1,000 picture (one megapixel) with detail
// enough that it does not compress to nothing.
func benchPicture() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 1000, 1000))
	for y := range 1000 {
		for x := range 1000 {
			img.Set(x, y, color.RGBA{uint8(x*x + y), uint8(y*7 ^ x), uint8(x * y >> 3), 255})
		}
	}
	return img
}

// BenchmarkUploadCost measures an upload of a one-megapixel picture end to
// end in the commands (sniff, header check, decode, encode again,
// thumbnail, sealing, storing both objects, the event and its projection)
// against the raw decode and encode of the same picture: ms/MP each.
func BenchmarkUploadCost(b *testing.B) {
	img := benchPicture()
	for _, c := range []struct {
		name, typ string
		encode    func(*bytes.Buffer, image.Image) error
		decode    func(*bytes.Reader) (image.Image, error)
		again     func(*bytes.Buffer, image.Image) error
	}{
		{"png", "image/png", func(w *bytes.Buffer, m image.Image) error { return png.Encode(w, m) },
			func(r *bytes.Reader) (image.Image, error) { return png.Decode(r) },
			func(w *bytes.Buffer, m image.Image) error {
				return (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(w, m)
			}},
		{"jpeg", "image/jpeg", func(w *bytes.Buffer, m image.Image) error { return jpeg.Encode(w, m, nil) },
			func(r *bytes.Reader) (image.Image, error) { return jpeg.Decode(r) },
			func(w *bytes.Buffer, m image.Image) error { return jpeg.Encode(w, m, &jpeg.Options{Quality: 85}) }},
	} {
		var src bytes.Buffer
		if err := c.encode(&src, img); err != nil {
			b.Fatal(err)
		}
		b.Run(c.name+"/raw", func(b *testing.B) {
			for b.Loop() {
				m, err := c.decode(bytes.NewReader(src.Bytes()))
				if err != nil {
					b.Fatal(err)
				}
				var out bytes.Buffer
				if err := c.again(&out, m); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/MP")
		})
		b.Run(c.name+"/upload", func(b *testing.B) {
			core := forumtest.NewCore(b, forumtest.Options{Configure: func(cfg *commands.Config) { cfg.UploadsADay, cfg.UploadQuotaBytes = 1<<30, 1<<50 }})
			user := events.UserID(core.Register("ada"))
			ctx := forumtest.Context(b)
			for b.Loop() {
				if _, _, err := core.Cmds.Upload(ctx, user, commands.UploadInput{Data: src.Bytes(), Declared: c.typ}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/MP")
		})
	}
}
