package gateway_test

import (
	"image"
	"image/color"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"forum/internal/forumtest"
)

// mediaBenchClients is how many clients request the popular picture at once.
const mediaBenchClients = 32

// BenchmarkPopularPicture measures one popular picture of about 200 KB
// served by GET /media/{id} (opened once, then from the cache) against
// http.FileServer serving the same bytes from a file, in the same run, over
// real HTTP with mediaBenchClients clients each: b.N requests to each
// server, alternated in three rounds, the median of each reported as
// media-req/s and file-req/s, and their ratio.
func BenchmarkPopularPicture(b *testing.B) {
	f := forumtest.Start(b, forumtest.Options{})
	ada := f.SignUp("ada")
	// Noise does not compress: a PNG of about 200 KB.
	rng := rand.New(rand.NewPCG(1, 2))
	img := image.NewRGBA(image.Rect(0, 0, 258, 258))
	for y := range 258 {
		for x := range 258 {
			img.Set(x, y, color.RGBA{uint8(rng.Uint32()), uint8(rng.Uint32()), uint8(rng.Uint32()), 255})
		}
	}
	p := uploaded(ada, "image/png", pngOf(b, img))
	_, served := fetchMedia(b, f, "GET", p.URL, nil)
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "picture.png"), served, 0o600); err != nil {
		b.Fatal(err)
	}
	files := httptest.NewServer(http.FileServer(http.Dir(dir)))
	b.Cleanup(files.Close)

	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: mediaBenchClients, MaxConnsPerHost: mediaBenchClients}}
	load := func(url string, n int) float64 {
		var next, failed atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for range mediaBenchClients {
			wg.Go(func() {
				for next.Add(1) <= int64(n) {
					resp, err := hc.Get(url)
					if err != nil {
						failed.Add(1)
						continue
					}
					got, _ := io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK || got != int64(len(served)) {
						failed.Add(1)
					}
				}
			})
		}
		wg.Wait()
		if failed.Load() > 0 {
			b.Fatalf("%s: %d of %d requests failed", url, failed.Load(), n)
		}
		return float64(n) / time.Since(start).Seconds()
	}
	load(f.URL+p.URL, 100)
	load(files.URL+"/picture.png", 100)
	var media, file []float64
	b.ResetTimer()
	for range 3 {
		media = append(media, load(f.URL+p.URL, b.N))
		file = append(file, load(files.URL+"/picture.png", b.N))
	}
	b.StopTimer()
	slices.Sort(media)
	slices.Sort(file)
	b.ReportMetric(media[1], "media-req/s")
	b.ReportMetric(file[1], "file-req/s")
	b.ReportMetric(media[1]/file[1], "ratio")
	b.ReportMetric(float64(len(served)), "bytes")
	b.ReportMetric(0, "ns/op")
}
