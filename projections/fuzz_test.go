package projections

import "testing"

// FuzzCursor feeds the cursor parsers arbitrary strings: they never panic,
// what they accept is a positive sequence that encodes back to the same
// cursor, and a part cursor names its part.
func FuzzCursor(f *testing.F) {
	for _, c := range []string{"", *encodeCursor(1), *encodeCursor(1 << 62), "MTIz", "LTE", "OTIyMzM3MjAzNjg1NDc3NTgwOA", "!!", *encodePartCursor("c", "12"), *encodePartCursor("u", "ada\x00id")} {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, c string) {
		if seq, err := decodeCursor(c); err == nil && c != "" {
			if seq == 0 || seq > 1<<63-1 {
				t.Fatalf("decodeCursor(%q) = %d", c, seq)
			}
			if back := *encodeCursor(seq); back != c {
				// Only the canonical spelling of a number is ours.
				if s2, err := decodeCursor(back); err != nil || s2 != seq {
					t.Fatalf("cursor %q → %d → %q", c, seq, back)
				}
			}
		}
		if _, err := decodeBefore(c); err != nil && c == "" {
			t.Fatal("the empty cursor is refused")
		}
		if part, key, err := decodePartCursor(c); err == nil && c != "" {
			if len(part) != 1 || *encodePartCursor(part, key) != c {
				t.Fatalf("part cursor %q → %q %q", c, part, key)
			}
		}
	})
}
