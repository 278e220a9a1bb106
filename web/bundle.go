package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"path"
	"strings"
)

// An Asset is one file of the app, ready to serve: its bytes, the same
// bytes gzipped (nil when that does not make it smaller), and a strong
// validator derived from its content.
type Asset struct {
	Name        string // path under /assets/, with its content hash: "views/feed.3f2a9c01d4.js"
	ContentType string
	Body        []byte
	Gzip        []byte
	ETag        string // quoted; the gzipped variant adds "-gz" inside the quotes
}

// A Bundle is the app as served, built once at start-up from the embedded
// files, with no build step: the modules are joined into one file (bundleJS),
// so the browser fetches the whole app in one request, and every asset gets a
// URL that holds its content hash, so it can be cached for good.
type Bundle struct {
	Index *Asset

	hashed map[string]*Asset // by hashed name
	plain  map[string]*Asset // by the name in the source tree
}

// Asset finds an asset under /assets/ by its hashed name; immutable says
// whether the name held the content hash (and so may be cached for good).
// The plain name still answers, for links made before a release.
func (b *Bundle) Asset(name string) (a *Asset, immutable bool) {
	if a := b.hashed[name]; a != nil {
		return a, true
	}
	return b.plain[name], false
}

// URL is where an asset of the source tree is served: "/assets/<hashed name>".
func (b *Bundle) URL(name string) string {
	if a := b.plain[name]; a != nil {
		return "/assets/" + a.Name
	}
	return "/assets/" + name
}

// Build prepares the embedded app for serving.
func Build() (*Bundle, error) { return build(Files) }

func build(files fs.FS) (*Bundle, error) {
	b := &Bundle{hashed: map[string]*Asset{}, plain: map[string]*Asset{}}
	err := fs.WalkDir(files, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "assets/")
		a := newAsset(hashedName(name, body), body)
		b.hashed[a.Name] = a
		b.plain[name] = a
		return nil
	})
	if err != nil {
		return nil, err
	}
	js, err := bundleJS(files)
	if err != nil {
		return nil, err
	}
	a := newAsset(hashedName(bundleName, js), js)
	b.hashed[a.Name] = a
	b.plain[bundleName] = a
	index, err := fs.ReadFile(files, "index.html")
	if err != nil {
		return nil, err
	}
	index, err = b.rewriteIndex(index)
	if err != nil {
		return nil, err
	}
	b.Index = newAsset("index.html", index)
	return b, nil
}

// entryScript is how index.html loads the app; the rewrite loads the
// bundle of it (bundleJS) from its hashed URL instead.
const entryScript = `<script type="module" src="/assets/app.js"></script>`

// IslandMark is where index.html may carry the answers its first view
// needs (the gateway puts them there), so that they come with the page.
const IslandMark = "<!--preloaded-->"

func (b *Bundle) rewriteIndex(index []byte) ([]byte, error) {
	if !bytes.Contains(index, []byte(entryScript)) {
		return nil, fmt.Errorf("web: index.html does not load the app with %s", entryScript)
	}
	index = bytes.Replace(index, []byte(entryScript), []byte(`<script type="module" src="`+b.URL(bundleName)+`"></script>`), 1)
	for name := range b.plain {
		if !strings.HasSuffix(name, ".js") {
			index = bytes.ReplaceAll(index, []byte(`"/assets/`+name+`"`), []byte(`"`+b.URL(name)+`"`))
		}
	}
	return index, nil
}

// hashedName puts the first 10 hex digits of the content's SHA-256 before the
// extension: "views/feed.js" becomes "views/feed.3f2a9c01d4.js".
func hashedName(name string, body []byte) string {
	sum := sha256.Sum256(body)
	ext := path.Ext(name)
	return strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:5]) + ext
}

func newAsset(name string, body []byte) *Asset {
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	if strings.HasSuffix(name, ".js") {
		ctype = "text/javascript; charset=utf-8" // mime's table varies by system
	}
	sum := sha256.Sum256(body)
	a := &Asset{Name: name, ContentType: ctype, Body: body, ETag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(body)
	zw.Close()
	if gz.Len() < len(body) {
		a.Gzip = gz.Bytes()
	}
	return a
}
