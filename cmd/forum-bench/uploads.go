package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// uploadsResult is the report of the uploads scenario: --clients users each
// upload a noisy PNG of about --upload-size bytes (or, with
// --upload-pixels, a large PNG that compresses well), all at once, --rounds
// times, while the forum process's resident memory is read from
// /proc/PID/status: its idle size before, its peak (VmHWM, reset before the
// uploads when the kernel lets us) and the most seen by sampling VmRSS.
type uploadsResult struct {
	common
	PID         int     `json:"pid"`
	Clients     int     `json:"clients"`
	Rounds      int     `json:"rounds"`
	PictureSize int     `json:"picture_bytes"`
	Pixels      int     `json:"picture_pixels,omitempty"`
	Uploaded    int64   `json:"uploaded"`
	Failed      int64   `json:"failed"`
	Busy        int64   `json:"busy_retries"` // 503s waited out and sent again
	Upload      summary `json:"upload_ms"`    // from the first try to the 201
	IdleRSS     float64 `json:"idle_rss_bytes"`
	HWMBefore   float64 `json:"hwm_before_bytes"` // the process's peak before the uploads
	HWMReset    bool    `json:"hwm_reset"`        // VmHWM was reset to the idle size first
	PeakRSS     float64 `json:"peak_rss_bytes"`   // VmHWM after the uploads
	SampledPeak float64 `json:"sampled_peak_rss_bytes"`
	RSSSamples  int     `json:"rss_samples"`
}

func (r *uploadsResult) writeText(w io.Writer) {
	fmt.Fprintf(w, "scenario=uploads pid=%d clients=%d rounds=%d picture=%s pixels=%d uploaded=%d failed=%d busy_retries=%d elapsed=%.2fs\n",
		r.PID, r.Clients, r.Rounds, bytesText(float64(r.PictureSize)), r.Pixels, r.Uploaded, r.Failed, r.Busy, r.ElapsedMS/1000)
	fmt.Fprintf(w, "  memory: idle rss=%s peak (VmHWM%s)=%s sampled peak=%s (%d samples); peak before the uploads=%s\n",
		bytesText(r.IdleRSS), map[bool]string{true: ", reset first", false: ", not reset"}[r.HWMReset], bytesText(r.PeakRSS),
		bytesText(r.SampledPeak), r.RSSSamples, bytesText(r.HWMBefore))
	fmt.Fprintf(w, "  upload: %s\n", r.Upload.text())
	r.writeFooter(w)
}

// runUploads runs the uploads scenario against the forum process --pid (or
// the one listening on the URL's port).
func (b *bench) runUploads(ctx context.Context) (*uploadsResult, error) {
	cfg := b.cfg
	pid := cfg.pid
	if pid == 0 {
		var err error
		if pid, err = listenerPID(cfg.baseURL); err != nil {
			return nil, fmt.Errorf("find the forum's process (give --pid): %w", err)
		}
	}
	b.log.Info("making the pictures", "bytes", cfg.uploadSize, "pixels", cfg.uploadPixels, "rounds", cfg.rounds)
	pics, err := uploadPictures(cfg)
	if err != nil {
		return nil, err
	}
	users, setup, err := b.setupUsers(ctx, cfg.clients)
	if err != nil {
		return nil, err
	}
	status, err := procStatus(pid)
	if err != nil {
		return nil, err
	}
	res := &uploadsResult{common: b.newCommon(len(users), setup), PID: pid, Clients: cfg.clients, Rounds: cfg.rounds,
		PictureSize: len(pics[0]), Pixels: cfg.uploadPixels, IdleRSS: status["VmRSS"], HWMBefore: status["VmHWM"]}
	// Writing 5 to clear_refs sets VmHWM to the present VmRSS (Linux 4.0+).
	res.HWMReset = os.WriteFile(filepath.Join("/proc", strconv.Itoa(pid), "clear_refs"), []byte("5"), 0) == nil

	var mu sync.Mutex // guards res while the rounds and the sampler run
	stopSampling := sampleRSS(ctx, pid, res, &mu)
	start := time.Now()
	lat, errs := b.uploadRounds(ctx, users, pics, res, &mu)
	res.ElapsedMS = ms(time.Since(start))
	stopSampling()
	if status, err = procStatus(pid); err != nil {
		return nil, err
	}
	res.PeakRSS = status["VmHWM"]
	res.Upload = lat.summarize()
	res.setErrors(errs)
	return res, nil
}

// uploadPictures makes a picture a round: the forum answers a user's second
// upload of one picture with the first, storing nothing.
func uploadPictures(cfg config) ([][]byte, error) {
	pics := make([][]byte, cfg.rounds)
	for round := range pics {
		var err error
		if cfg.uploadPixels > 0 {
			pics[round], err = largePNG(cfg.uploadPixels, cfg.uploadDepth, round)
		} else {
			pics[round], err = noisyPNG(cfg.uploadSize, round)
		}
		if err != nil {
			return nil, err
		}
	}
	return pics, nil
}

// sampleRSS notes the resident memory of process pid every 50 ms in res
// (under mu) until the function it returns is called.
func sampleRSS(ctx context.Context, pid int, res *uploadsResult, mu *sync.Mutex) (stop func()) {
	sampleCtx, cancel := context.WithCancel(ctx)
	var sampler sync.WaitGroup
	sampler.Go(func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for sampleCtx.Err() == nil {
			if st, err := procStatus(pid); err == nil {
				mu.Lock()
				res.SampledPeak = max(res.SampledPeak, st["VmRSS"])
				res.RSSSamples++
				mu.Unlock()
			}
			select {
			case <-tick.C:
			case <-sampleCtx.Done():
			}
		}
	})
	return func() { cancel(); sampler.Wait() }
}

// uploadRounds has every user upload the round's picture at once, round
// after round, counting in res (under mu) what was taken, refused and
// waited out.
func (b *bench) uploadRounds(ctx context.Context, users []benchUser, pics [][]byte, res *uploadsResult, mu *sync.Mutex) (*samples, *tally) {
	var errs tally
	var lat samples
	hc := &http.Client{Timeout: max(b.cfg.timeout, time.Minute)}
	for round, pic := range pics {
		b.log.Info("uploads: round", "round", round+1, "of", len(pics), "clients", len(users))
		var wg sync.WaitGroup
		for _, u := range users {
			wg.Go(func() {
				t0 := time.Now()
				busy, err := b.uploadPicture(ctx, hc, u.Token, pic)
				mu.Lock()
				res.Busy += int64(busy)
				if err != nil {
					res.Failed++
				} else {
					res.Uploaded++
				}
				mu.Unlock()
				if err != nil {
					errs.add("upload", err)
					return
				}
				lat.add(time.Since(t0))
			})
		}
		wg.Wait()
		if ctx.Err() != nil {
			res.Interrupted = true
			break
		}
	}
	return &lat, &errs
}

// uploadPicture posts pic as token, sending it again after each 503 once
// its Retry-After has passed (at most 30 times); it returns how many 503s
// it waited out.
func (b *bench) uploadPicture(ctx context.Context, hc *http.Client, token string, pic []byte) (busy int, err error) {
	for {
		req, err := http.NewRequestWithContext(ctx, "POST", b.cfg.baseURL+"/api/uploads", bytes.NewReader(pic))
		if err != nil {
			return busy, err
		}
		req.Header.Set("Content-Type", "image/png")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := hc.Do(req)
		if err != nil {
			return busy, err
		}
		if resp.StatusCode == http.StatusCreated {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return busy, nil
		}
		apiErr := readAPIError("POST", "/api/uploads", resp)
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || busy >= 30 {
			return busy, apiErr
		}
		busy++
		wait := time.Second
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			wait = time.Duration(s) * time.Second
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return busy, ctx.Err()
		}
	}
}

// noisyPNG returns a PNG of noise (which does not compress) of at most size
// bytes and close to it, one for each n.
func noisyPNG(size, n int) ([]byte, error) {
	rng := rand.New(rand.NewPCG(uint64(size), 20+uint64(n)))
	side := int(math.Sqrt(float64(size) / 3))
	for side > 0 {
		img := image.NewRGBA(image.Rect(0, 0, side, side))
		for i := 0; i < len(img.Pix); i += 4 {
			v := rng.Uint32()
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = byte(v), byte(v>>8), byte(v>>16), 255
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			return nil, err
		}
		if buf.Len() <= size {
			return buf.Bytes(), nil
		}
		side = side * 99 / 100
	}
	return nil, fmt.Errorf("no picture fits in %d bytes", size)
}

// largePNG returns a PNG of about pixels pixels (a square) of depth bits a
// channel (8 or 16) that compresses well: few bytes sent, the most memory
// decoded; one for each n.
func largePNG(pixels, depth, n int) ([]byte, error) {
	side := int(math.Sqrt(float64(pixels)))
	var img image.Image
	if depth == 16 {
		m := image.NewRGBA64(image.Rect(0, 0, side, side))
		for y := range side {
			for x := range side {
				m.SetRGBA64(x, y, color.RGBA64{uint16(y) << 8, uint16(x) << 8, uint16(90+n) << 8, 0xffff})
			}
		}
		img = m
	} else {
		m := image.NewRGBA(image.Rect(0, 0, side, side))
		for y := range side {
			row := m.Pix[y*m.Stride : y*m.Stride+4*side]
			for x := 0; x < len(row); x += 4 {
				row[x], row[x+1], row[x+2], row[x+3] = byte(y), byte(x/4), byte(90+n), 255
			}
		}
		img = m
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
		return nil, err
	}
	if buf.Len() > 10<<20 {
		return nil, fmt.Errorf("a picture of %d pixels takes %d bytes, over 10 MiB", pixels, buf.Len())
	}
	return buf.Bytes(), nil
}

// procStatus returns the memory fields (Vm…, in bytes) of /proc/PID/status.
func procStatus(pid int) (map[string]float64, error) {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return nil, fmt.Errorf("read the forum's memory: %w", err)
	}
	defer f.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		fields := strings.Fields(rest)
		if !ok || !strings.HasPrefix(name, "Vm") || len(fields) != 2 || fields[1] != "kB" {
			continue
		}
		if kb, err := strconv.ParseFloat(fields[0], 64); err == nil {
			out[name] = kb * 1024
		}
	}
	if out["VmHWM"] == 0 {
		return nil, fmt.Errorf("/proc/%d/status has no VmHWM", pid)
	}
	return out, sc.Err()
}

// listenerPID returns the process listening on base's TCP port on this
// machine, found through /proc/net/tcp{,6} and the processes' sockets.
func listenerPID(base string) (int, error) {
	u, err := url.Parse(base)
	if err != nil {
		return 0, err
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return 0, fmt.Errorf("port %q: %w", port, err)
	}
	inodes := map[string]bool{}
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(table)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			if len(f) < 10 || f[3] != "0A" || !strings.HasSuffix(f[1], fmt.Sprintf(":%04X", p)) {
				continue
			}
			inodes["socket:["+f[9]+"]"] = true
		}
	}
	if len(inodes) == 0 {
		return 0, fmt.Errorf("nothing listens on port %d here", p)
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range procs {
		if link, err := os.Readlink(fd); err == nil && inodes[link] {
			return strconv.Atoi(strings.Split(fd, "/")[2])
		}
	}
	return 0, errors.New("no process of ours holds the listening socket")
}
