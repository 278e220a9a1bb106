package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"path"
	"regexp"
	"strings"
	"testing"
)

var (
	importFrom = regexp.MustCompile(`(?m)^\s*import\s[^;]*?from\s+'([^']+)'|^\s*import\s+'([^']+)'`)
	scriptTag  = regexp.MustCompile(`<script[^>]*>`)
)

// The page loads the app as one hashed, minified file and runs no inline
// script; every module of the source tree is part of the app (reached from
// app.js), so none is shipped that nothing uses.
func TestIndexLoadsTheBundle(t *testing.T) {
	b, err := Build()
	if err != nil {
		t.Fatal(err)
	}
	index := string(b.Index.Body)
	tags := scriptTag.FindAllString(index, -1)
	want := `<script type="module" src="` + b.URL(bundleName) + `">`
	if len(tags) != 1 || tags[0] != want || !strings.HasPrefix(b.URL(bundleName), "/assets/app.bundle.") {
		t.Fatalf("index.html scripts %q, want only %s", tags, want)
	}
	if strings.Contains(index, `"/assets/app.css"`) {
		t.Error("index.html still links the unhashed stylesheet")
	}
	bundle, immutable := b.Asset(strings.TrimPrefix(b.URL(bundleName), "/assets/"))
	if bundle == nil || !immutable || bundle.Gzip == nil {
		t.Fatalf("the bundle is not served under its hashed name, gzipped: %+v", bundle)
	}
	if bytes.Contains(bundle.Body, []byte("\n  ")) || bytes.Contains(bundle.Body, []byte("from './")) {
		t.Error("the bundle is not minified, or still imports modules")
	}

	seen := map[string]bool{}
	var visit func(name string)
	visit = func(name string) {
		if seen[name] {
			return
		}
		seen[name] = true
		src, err := fs.ReadFile(Files, "assets/"+name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			return
		}
		for _, im := range importFrom.FindAllStringSubmatch(string(src), -1) {
			visit(path.Join(path.Dir(name), im[1]+im[2]))
		}
	}
	visit("app.js")
	fs.WalkDir(Files, "assets", func(p string, d fs.DirEntry, err error) error {
		if name := strings.TrimPrefix(p, "assets/"); err == nil && strings.HasSuffix(p, ".js") && !seen[name] {
			t.Errorf("%s is in the source tree but app.js does not reach it", name)
		}
		return err
	})
	if len(seen) < 20 {
		t.Errorf("only %d modules reached from app.js", len(seen))
	}
}

// Hashed names change with the content; gzipped bodies decode to the file.
func TestAssetNamesFollowTheirContent(t *testing.T) {
	if a, b := hashedName("views/feed.js", []byte("one")), hashedName("views/feed.js", []byte("two")); a == b {
		t.Errorf("two contents, one name: %s", a)
	}
	if got := hashedName("views/feed.js", []byte("one")); !regexp.MustCompile(`^views/feed\.[0-9a-f]{10}\.js$`).MatchString(got) {
		t.Errorf("hashedName = %s", got)
	}
	a := newAsset("app.js", bytes.Repeat([]byte("export const x = 1;\n"), 100))
	if a.Gzip == nil {
		t.Fatal("a compressible file has no gzipped body")
	}
	zr, err := gzip.NewReader(bytes.NewReader(a.Gzip))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(zr); !bytes.Equal(got, a.Body) {
		t.Error("the gzipped body does not decode to the file")
	}
	if newAsset("x.js", []byte("1")).Gzip != nil {
		t.Error("a body that gzip makes larger is kept gzipped")
	}
}
