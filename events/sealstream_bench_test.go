package events_test

import (
	"testing"

	"forum/internal/forumtest"
)

// BenchmarkMediaPut stores and reads back a picture of 9.7 MiB, sealed
// whole (as before chunks) and in chunks: B/op is what each allocates, the
// picture's sealed copy included for the whole one.
func BenchmarkMediaPut(b *testing.B) {
	c := forumtest.NewCore(b, forumtest.Options{Empty: true})
	ctx := forumtest.Context(b)
	m, err := c.Store.Media(ctx)
	if err != nil {
		b.Fatal(err)
	}
	data := make([]byte, 9_700_000)
	for i := range data {
		data[i] = byte(i * 31)
	}
	for _, way := range []struct {
		name string
		put  func() error
	}{
		{"whole", func() error { return m.PutWhole(ctx, "u1", "pic", data) }},
		{"chunked", func() error { return m.Put(ctx, "u1", "pic", data) }},
	} {
		b.Run(way.name+"/put", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := way.put(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(way.name+"/get", func(b *testing.B) {
			if err := way.put(); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Get(ctx, "u1", "pic"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
