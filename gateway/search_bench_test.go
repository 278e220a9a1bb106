package gateway_test

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"forum/internal/forumtest"
)

// seededBody is post i of the recipe that once made a prefix unsearchable:
// 19,997 characters of distinct words "zqzq" + base36(i*5000+j) on 4 digits.
func seededBody(i int) string {
	var b strings.Builder
	for j := 0; b.Len()+9 <= 19997+1; j++ {
		if j > 0 {
			b.WriteByte(' ')
		}
		n := strconv.FormatInt(int64(i*5000+j), 36)
		b.WriteString("zqzq" + strings.Repeat("0", 4-len(n)) + n)
	}
	return b.String()
}

// BenchmarkSearchOverHTTP measures one search end to end, its answer
// assembled and sent: GET /api/search through the real gateway over the
// recipe (4 users of 10 posts here), a page of 100. It reports the size of
// the answer (answer-KiB).
func BenchmarkSearchOverHTTP(b *testing.B) {
	f := forumtest.Start(b, forumtest.Options{})
	for u := range 4 {
		c := f.SignUp(fmt.Sprintf("attacker%d", u))
		for i := range 10 {
			c.MustDo("POST", "/api/posts", map[string]any{"title": "zqzq", "body": seededBody(u*10 + i), "categories": []string{"general"}}, http.StatusCreated, nil)
		}
	}
	for _, q := range []string{"zqzq", "zqz", "zq"} {
		b.Run("q="+q, func(b *testing.B) {
			size := 0
			for b.Loop() {
				resp, err := http.Get(f.URL + "/api/search?limit=100&q=" + q)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("search %q: %d", q, resp.StatusCode)
				}
				size = int(n)
			}
			b.ReportMetric(float64(size)/1024, "answer-KiB")
		})
	}
}
