// Package schemas holds the SQL of the read models and a golden example of
// every event type and version, all embedded into the binary. The read models
// are disposable: when this SQL changes, the forum rebuilds them from the
// stream into a fresh file rather than migrating data by hand.
package schemas

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"sort"
)

//go:embed sql/*.sql
var sqlFiles embed.FS

//go:embed events/*.json
var Events embed.FS

// SQL returns the read-model schema files in the order they are applied.
func SQL() ([]string, error) {
	names, err := fs.Glob(sqlFiles, "sql/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]string, 0, len(names))
	for _, n := range names {
		b, err := sqlFiles.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, string(b))
	}
	return out, nil
}

// Version returns a hash of the schema SQL and of projectorVersion (the
// version of the apply functions, bumped when they change what they write).
// A read-model file with another version is rebuilt from the stream.
func Version(projectorVersion int) (string, error) {
	files, err := SQL()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, f := range files {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	h.Write([]byte{byte(projectorVersion)})
	return hex.EncodeToString(h.Sum(nil)[:12]), nil
}
