package events_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
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
			elapsed, lat := parallel(b, 32, func(n int64) error {
				_, err := s.Append(context.Background(), events.RoomCreated.Subject(fmt.Sprint("r", n)), env, events.WithMsgID(fmt.Sprint(name, n)))
				return err
			})
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
