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

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"forum/events"
)

// BenchmarkAppend measures Store.Append, 32 writers each waiting for its
// ack, beside the raw limits of the same embedded server in the same run:
// the library's synchronous publish from 32 goroutines (raw-sync) and its
// asynchronous publish with 4,096 acks in flight from one (raw-async). It
// reports appends/s, and for Append the ratio to each raw limit.
func BenchmarkAppend(b *testing.B) {
	s, err := events.OpenStore(context.Background(), events.StoreConfig{Dir: filepath.Join(b.TempDir(), "js")})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	env, err := events.New("x", events.RoomCreated, time.Now(), "", events.RoomCreatedData{Room: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	data := []byte(`{"id":"x","type":"room.created","version":1,"time":"2026-01-01T00:00:00Z","data":{"room":"bench"}}`)
	var n atomic.Int64
	subject := func() string { return events.RoomCreated.Subject(fmt.Sprint("r", n.Add(1))) }
	rates := map[string]float64{}
	run := func(name string, fn func(b *testing.B) (time.Duration, []time.Duration)) {
		b.Run(name, func(b *testing.B) {
			elapsed, lat := fn(b)
			rate := float64(b.N) / elapsed.Seconds()
			rates[name] = rate
			b.ReportMetric(rate, "appends/s")
			if len(lat) > 0 {
				sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			}
			if name == "append" && rates["raw-sync"] > 0 {
				b.ReportMetric(rate/rates["raw-sync"], "x-raw-sync")
				b.ReportMetric(rate/rates["raw-async"], "x-raw-async")
			}
		})
	}
	jsc, err := jetstream.New(s.Conn(), jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		b.Fatal(err)
	}
	run("raw-sync", func(b *testing.B) (time.Duration, []time.Duration) {
		return parallel(b, 32, func(i int64) error {
			msg := nats.NewMsg(subject())
			msg.Data = data
			_, err := jsc.PublishMsg(context.Background(), msg, jetstream.WithMsgID(fmt.Sprint("rs", i)))
			return err
		})
	})
	run("raw-async", func(b *testing.B) (time.Duration, []time.Duration) {
		start := time.Now()
		for i := range b.N {
			msg := nats.NewMsg(subject())
			msg.Data = data
			if _, err := jsc.PublishMsgAsync(msg, jetstream.WithMsgID(fmt.Sprint("ra", i))); err != nil {
				b.Fatal(err)
			}
		}
		select {
		case <-jsc.PublishAsyncComplete():
		case <-time.After(time.Minute):
			b.Fatal("async acks did not all arrive within a minute")
		}
		return time.Since(start), nil
	})
	run("append", func(b *testing.B) (time.Duration, []time.Duration) {
		return parallel(b, 32, func(i int64) error {
			_, err := s.Append(context.Background(), subject(), env, events.WithMsgID(fmt.Sprint("ap", i)))
			return err
		})
	})
}

// parallel runs fn b.N times from workers goroutines and returns the time
// it took and the latency of each call.
func parallel(b *testing.B, workers int, fn func(i int64) error) (time.Duration, []time.Duration) {
	var next atomic.Int64
	var mu sync.Mutex
	lat := make([]time.Duration, 0, b.N)
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				t0 := time.Now()
				if err := fn(i); err != nil {
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
	return time.Since(start), lat
}
