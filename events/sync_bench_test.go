package events_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"forum/events"
)

// BenchmarkAppendSync measures acknowledged appends with the embedded
// store syncing every write (always) and every two minutes (interval),
// side by side in one run: 32 writers, each waiting for its ack. It
// reports appends/s and the p50 and p99 latency of one append.
func BenchmarkAppendSync(b *testing.B) {
	for _, always := range []bool{false, true} {
		name := map[bool]string{false: "interval", true: "always"}[always]
		b.Run(name, func(b *testing.B) {
			s, err := events.OpenStore(context.Background(), events.StoreConfig{Dir: filepath.Join(b.TempDir(), "js"), SyncAlways: always})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			env, err := events.New("x", events.RoomCreated, time.Now(), "", events.RoomCreatedData{Room: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			var next atomic.Int64
			var mu sync.Mutex
			var lat []time.Duration
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for range 32 {
				wg.Go(func() {
					for {
						n := next.Add(1)
						if n > int64(b.N) {
							return
						}
						t0 := time.Now()
						if _, err := s.Append(context.Background(), events.RoomCreated.Subject(fmt.Sprint("r", n)), env, events.WithMsgID(fmt.Sprint(name, n))); err != nil {
							b.Error(err)
							return
						}
						d := time.Since(t0)
						mu.Lock()
						lat = append(lat, d)
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			if len(lat) > 0 {
				b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "appends/s")
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			}
		})
	}
}
