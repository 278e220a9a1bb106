package gateway_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"forum/internal/forumtest"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkCreatePost measures post creation end to end: POST /api/posts
// over HTTP through the real gateway, answered once the event is in
// JetStream and projected. It reports posts/s and the latency percentiles
// of single requests (p50-ms, p99-ms).
func BenchmarkCreatePost(b *testing.B) {
	base := forumtest.Start(b, forumtest.Options{}).URL
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 512, MaxConnsPerHost: 512}}
	post := func(method, path, token string, body any) (int, []byte) {
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return 0, []byte(err.Error())
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, out
	}
	var tokens []string
	for i := range 64 {
		nick := fmt.Sprintf("bench%02d", i)
		status, out := post("POST", "/api/signup", "", map[string]string{"nickname": nick, "email": nick + "@example.com", "password": "password-" + nick})
		var in struct{ Token string }
		if status != http.StatusCreated || json.Unmarshal(out, &in) != nil {
			b.Fatalf("signup: %d %s", status, out)
		}
		tokens = append(tokens, in.Token)
	}
	b.SetParallelism(8) // 8 × GOMAXPROCS concurrent writers
	var next, failed atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		token := tokens[int(next.Add(1))%len(tokens)]
		mine := make([]time.Duration, 0, 1024)
		for i := 0; pb.Next(); i++ {
			t0 := time.Now()
			status, out := post("POST", "/api/posts", token, map[string]any{
				"title": fmt.Sprintf("Benchmark post %d", i), "body": "A post made by the end-to-end benchmark.", "categories": []string{"general"},
			})
			mine = append(mine, time.Since(t0))
			if status != http.StatusCreated {
				if failed.Add(1) == 1 {
					b.Errorf("create post: %d %s", status, out)
				}
			}
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "posts/s")
	if len(lat) > 0 {
		slices.Sort(lat)
		at := func(q float64) float64 {
			return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Microseconds()) / 1e3
		}
		b.ReportMetric(at(0.50), "p50-ms")
		b.ReportMetric(at(0.99), "p99-ms")
	}
}
