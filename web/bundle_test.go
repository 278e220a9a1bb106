package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"path"
	"regexp"
	"strings"
	"testing"
)

var (
	importFrom = regexp.MustCompile(`(?m)^\s*import\s[^;]*?from\s+'([^']+)'|^\s*import\s+'([^']+)'`)
	importMap  = regexp.MustCompile(`<script type="importmap">(.*?)</script>`)
	preload    = regexp.MustCompile(`<link rel="modulepreload" href="([^"]+)">`)
	entry      = regexp.MustCompile(`<script type="module" src="([^"]+)"></script>`)
)

// Every module the app imports, at any depth, resolves through the import map
// to a hashed asset that exists, and index.html preloads all of them: a module
// added without being served, or served under a stale name, fails here.
func TestBundleResolvesTheModuleGraph(t *testing.T) {
	b, err := Build()
	if err != nil {
		t.Fatal(err)
	}
	index := string(b.Index.Body)
	m := importMap.FindStringSubmatch(index)
	if m == nil {
		t.Fatalf("index.html has no import map:\n%s", index)
	}
	sum := sha256.Sum256([]byte(m[1]))
	if want := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; b.ScriptHash != want {
		t.Errorf("ScriptHash = %s, the import map hashes to %s", b.ScriptHash, want)
	}
	var imports struct{ Imports map[string]string }
	if err := json.Unmarshal([]byte(m[1]), &imports); err != nil {
		t.Fatal(err)
	}
	preloaded := map[string]bool{}
	for _, p := range preload.FindAllStringSubmatch(index, -1) {
		preloaded[p[1]] = true
	}
	e := entry.FindStringSubmatch(index)
	if e == nil || !strings.HasPrefix(e[1], "/assets/app.") {
		t.Fatalf("index.html does not load a hashed app.js:\n%s", index)
	}
	if strings.Contains(index, `"/assets/app.css"`) {
		t.Error("index.html still links the unhashed stylesheet")
	}

	seen := map[string]bool{}
	var visit func(url string)
	visit = func(url string) {
		if seen[url] {
			return
		}
		seen[url] = true
		a, immutable := b.Asset(strings.TrimPrefix(url, "/assets/"))
		if a == nil || !immutable {
			t.Errorf("%s: no hashed asset there", url)
			return
		}
		if url != e[1] && !preloaded[url] {
			t.Errorf("%s is imported but not preloaded", url)
		}
		for _, im := range importFrom.FindAllStringSubmatch(string(a.Body), -1) {
			spec := im[1] + im[2]
			resolved := path.Join(path.Dir(url), spec) // relative to the hashed URL, as the browser does
			mapped, ok := imports.Imports[resolved]
			if !ok {
				t.Errorf("%s imports %s (%s), which the import map does not name", url, spec, resolved)
				continue
			}
			visit(mapped)
		}
	}
	visit(e[1])
	if len(seen) < 20 {
		t.Errorf("only %d modules reached from app.js", len(seen))
	}
	for url := range preloaded {
		if !seen[url] {
			t.Errorf("%s is preloaded but nothing imports it", url)
		}
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
