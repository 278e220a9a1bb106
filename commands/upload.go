package commands

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"mime"
	"sync"
	"time"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"

	"forum/events"
	"forum/fault"
)

// The bounds of uploads.
const (
	// MaxUploadBytes is the largest picture taken, as sent.
	MaxUploadBytes = 10 << 20
	// MaxUploadPixels is the most pixels a picture may have, read from its
	// header before anything is decoded.
	MaxUploadPixels = 40_000_000
	// ThumbSide is the longer side of a thumbnail at most.
	ThumbSide = 400
	// UploadsADay is how many pictures a user may upload in 24 hours.
	UploadsADay = 50
	// UploadQuotaBytes is how much a user's kept pictures (and their
	// thumbnails) may weigh in all.
	UploadQuotaBytes = 500 << 20
	// UnusedUploadTTL is how long an upload that nothing shows is kept.
	UnusedUploadTTL = 24 * time.Hour
	// jpegQuality is the quality pictures are encoded again at as JPEG.
	jpegQuality = 85
)

// unsupportedMedia is the code of a body of a type the forum does not take (415).
const unsupportedMedia = "unsupported_media_type"

// The picture formats taken, by the type they are sent as.
const (
	typePNG  = "image/png"
	typeJPEG = "image/jpeg"
	typeGIF  = "image/gif"
	typeWebP = "image/webp"
)

// UploadInput is a picture as sent: its bytes and the type its sender
// declared ("" or application/octet-stream: none).
type UploadInput struct {
	Data     []byte
	Declared string
}

// sniff returns the type of a picture from its first bytes ("" for none
// taken).
func sniff(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return typePNG
	case bytes.HasPrefix(b, []byte("\xff\xd8\xff")):
		return typeJPEG
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return typeGIF
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return typeWebP
	}
	return ""
}

// checkType returns the type of in's picture, recognised by its bytes,
// which its declared type (if any) must agree with.
func checkType(in UploadInput) (string, error) {
	got := sniff(in.Data)
	if got == "" {
		return "", &fault.Error{Code: unsupportedMedia, Field: "file", Message: "a picture is a PNG, JPEG, GIF or WebP image"}
	}
	declared := in.Declared
	if declared != "" {
		t, _, err := mime.ParseMediaType(declared)
		if err != nil {
			return "", &fault.Error{Code: unsupportedMedia, Field: "file", Message: "the declared type of the picture is not a media type"}
		}
		declared = t
	}
	if declared != "" && declared != "application/octet-stream" && declared != got {
		return "", &fault.Error{Code: unsupportedMedia, Field: "file", Message: fmt.Sprintf("the picture is sent as %s but is %s", declared, got)}
	}
	return got, nil
}

// decoders are the decoders of the types taken (a GIF's first frame).
var decoders = map[string]struct {
	config func(*bytes.Reader) (image.Config, error)
	decode func(*bytes.Reader) (image.Image, error)
}{
	typePNG:  {func(r *bytes.Reader) (image.Config, error) { return png.DecodeConfig(r) }, func(r *bytes.Reader) (image.Image, error) { return png.Decode(r) }},
	typeJPEG: {func(r *bytes.Reader) (image.Config, error) { return jpeg.DecodeConfig(r) }, func(r *bytes.Reader) (image.Image, error) { return jpeg.Decode(r) }},
	typeGIF:  {func(r *bytes.Reader) (image.Config, error) { return gif.DecodeConfig(r) }, func(r *bytes.Reader) (image.Image, error) { return gif.Decode(r) }},
	typeWebP: {func(r *bytes.Reader) (image.Config, error) { return webp.DecodeConfig(r) }, func(r *bytes.Reader) (image.Image, error) { return webp.Decode(r) }},
}

// Picture is a picture decoded and encoded again, with its thumbnail:
// nothing of what was sent but its pixels survives (no metadata, comments,
// profiles or further frames).
type Picture struct {
	Type, ThumbType         string
	Data, Thumb             []byte
	Width, Height           int
	ThumbWidth, ThumbHeight int
}

// checkSize reads the picture's size from its header alone and returns the
// weight of its decoding (decodeWeight): a picture of over MaxUploadPixels,
// or whose decoding would take over MaxDecodeBytes, or a JPEG of over
// MaxJPEGScans scans, is refused before any of it is decoded, and so is an
// animated WebP.
func checkSize(typ string, data []byte) (int64, error) {
	if typ == typeWebP {
		if _, err := webpWeight(data); err == errAnimatedWebP {
			return 0, err
		}
	}
	cfg, err := decoders[typ].config(bytes.NewReader(data))
	if err != nil {
		return 0, fault.FieldError(fault.EINVALID, "file", "the picture cannot be read: "+err.Error())
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return 0, fault.FieldError(fault.EINVALID, "file", "the picture has no pixels")
	}
	pixels := int64(cfg.Width) * int64(cfg.Height)
	if pixels > MaxUploadPixels {
		return 0, fault.FieldError(fault.EINVALID, "file", fmt.Sprintf("a picture has at most %d megapixels (this one is %d × %d)", MaxUploadPixels/1_000_000, cfg.Width, cfg.Height))
	}
	return decodeWeight(typ, data)
}

// takeDecode reserves room for decoding a picture whose decoding weighs
// weight bytes within the instance's MediaDecodeBytes, waiting at most
// MediaWait (then 503), so the pictures decoded at once never hold more
// than MediaDecodeBytes however large each is; release gives the room back.
func (s *Service) takeDecode(ctx context.Context, weight int64) (release func(), err error) {
	wctx, cancel := context.WithTimeout(ctx, s.MediaWait)
	defer cancel()
	if err := s.decoding.Acquire(wctx, weight); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &fault.Error{Code: fault.EUNAVAILABLE, Message: "too many pictures are being processed; try again shortly", RetryAfter: 2}
	}
	return func() { s.decoding.Release(weight) }, nil
}

// Reencode decodes a picture of type typ (its size already checked) and
// encodes it again with its thumbnail: a JPEG (and a lossy WebP without
// transparency) as JPEG, anything else as PNG. A JPEG is first turned as
// its Exif orientation says, since the Exif does not survive.
func Reencode(typ string, data []byte) (Picture, error) {
	img, err := decoders[typ].decode(bytes.NewReader(data))
	if err != nil {
		return Picture{}, fault.FieldError(fault.EINVALID, "file", "the picture cannot be read: "+err.Error())
	}
	out := typePNG
	if _, ycc := img.(*image.YCbCr); ycc || typ == typeJPEG {
		out = typeJPEG
	}
	if typ == typeJPEG {
		img = orient(img, jpegOrientation(data))
	}
	b := img.Bounds()
	p := Picture{Type: out, ThumbType: out, Width: b.Dx(), Height: b.Dy()}
	if p.Data, err = encode(out, img, len(data)); err != nil {
		return Picture{}, err
	}
	thumb := img
	if longer := max(b.Dx(), b.Dy()); longer > ThumbSide {
		w, h := max(1, b.Dx()*ThumbSide/longer), max(1, b.Dy()*ThumbSide/longer)
		dst := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.BiLinear.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
		thumb = dst
	}
	tb := thumb.Bounds()
	p.ThumbWidth, p.ThumbHeight = tb.Dx(), tb.Dy()
	if thumb == img {
		p.Thumb = p.Data
	} else if p.Thumb, err = encode(out, thumb, 0); err != nil {
		return Picture{}, err
	}
	return p, nil
}

// encode encodes img as typ, into a buffer of hint bytes to start with (the
// size sent), so a large picture is not copied as the buffer grows. What is
// stored is bounded like what is sent: a picture whose encoding comes out
// over MaxUploadBytes (a JPEG sent at a low quality, a PNG compressed
// harder than we compress) is encoded again smaller, a JPEG at lower
// qualities, a PNG at the best compression, and refused (413) if it is
// still over.
func encode(typ string, img image.Image, hint int) ([]byte, error) {
	tries := []int{jpegQuality, 70, 50}
	if typ != typeJPEG {
		tries = []int{int(png.BestSpeed), int(png.BestCompression)}
	}
	for _, setting := range tries {
		buf := bytes.NewBuffer(make([]byte, 0, min(hint, maxStoredBytes+1)))
		var err error
		if typ == typeJPEG {
			err = jpeg.Encode(buf, img, &jpeg.Options{Quality: setting})
		} else {
			err = (&png.Encoder{CompressionLevel: png.CompressionLevel(setting)}).Encode(buf, img)
		}
		if err != nil {
			return nil, fmt.Errorf("encode a picture: %w", err)
		}
		if buf.Len() <= maxStoredBytes {
			return buf.Bytes(), nil
		}
	}
	return nil, fault.FieldError(fault.ETOOLARGE, "file", fmt.Sprintf("the picture is over %d MiB once stored without its metadata: send it smaller", maxStoredBytes>>20))
}

// maxStoredBytes bounds a picture as stored (a variable for tests).
var maxStoredBytes = MaxUploadBytes

// mediaSlots bounds the pictures decoded at once: at most slots on the
// instance, one a user; a picture waits at most wait for both, then 503.
type mediaSlots struct {
	slots chan struct{}
	wait  time.Duration

	mu    sync.Mutex
	users map[string]chan struct{} // one slot a user with a picture under way or waiting
	refs  map[string]int
}

func newMediaSlots(n int, wait time.Duration) *mediaSlots {
	return &mediaSlots{slots: make(chan struct{}, n), wait: wait, users: map[string]chan struct{}{}, refs: map[string]int{}}
}

// take takes user's slot then one of the instance's; release gives both back.
func (m *mediaSlots) take(ctx context.Context, user string) (release func(), err error) {
	m.mu.Lock()
	ch, ok := m.users[user]
	if !ok {
		ch = make(chan struct{}, 1)
		m.users[user] = ch
	}
	m.refs[user]++
	m.mu.Unlock()
	done := func() {
		m.mu.Lock()
		if m.refs[user]--; m.refs[user] == 0 {
			delete(m.users, user)
			delete(m.refs, user)
		}
		m.mu.Unlock()
	}
	timer := time.NewTimer(m.wait)
	defer timer.Stop()
	busy := &fault.Error{Code: fault.EUNAVAILABLE, Message: "too many pictures are being processed; try again shortly", RetryAfter: 2}
	select {
	case ch <- struct{}{}:
	case <-timer.C:
		done()
		return nil, busy
	case <-ctx.Done():
		done()
		return nil, ctx.Err()
	}
	select {
	case m.slots <- struct{}{}:
		return func() { <-m.slots; <-ch; done() }, nil
	case <-timer.C:
	case <-ctx.Done():
		busy = nil
	}
	<-ch
	done()
	if busy == nil {
		return nil, ctx.Err()
	}
	return nil, busy
}

// ReceiveUpload reserves room for one picture of owner's to be received:
// at most MediaIntake at once on the instance and one a user, so the
// pictures held in memory, received and waiting to be decoded, are
// bounded however many are sent at once. It waits at most MediaWait, then
// answers EUNAVAILABLE (503) before a byte is read; release gives the room
// back once the picture is stored or refused.
func (s *Service) ReceiveUpload(ctx context.Context, owner events.UserID) (release func(), err error) {
	return s.intake.take(ctx, string(owner))
}

// MediaStore is the bucket of pictures as commands use it (events.Media).
type MediaStore interface {
	Put(ctx context.Context, owner, name string, data []byte) error
	Get(ctx context.Context, owner, name string) ([]byte, error)
	Delete(ctx context.Context, name string) error
}

// media returns the store's bucket of pictures.
func (s *Service) media(ctx context.Context) (MediaStore, error) {
	if s.Media != nil {
		return s.Media, nil
	}
	st, ok := s.Store.(interface {
		Media(context.Context) (*events.Media, error)
	})
	if !ok {
		return nil, fault.Errorf(fault.EUNAVAILABLE, "this forum keeps no pictures")
	}
	return st.Media(ctx)
}

// thumbName is the object of an upload's thumbnail.
func thumbName(id string) string { return id + ".thumb" }
