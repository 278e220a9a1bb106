// Package web holds the single-page app, embedded into the binary.
package web

import "embed"

// Files holds index.html, served for every app route, and the assets/ tree, served under /assets/.
//
//go:embed index.html assets
var Files embed.FS
