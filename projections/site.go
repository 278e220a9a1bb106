package projections

import "context"

// DefaultSiteName is the forum's name until its owner gives it another.
const DefaultSiteName = "Forum"

// SiteName returns the forum's name, as mail and pages show it: the one
// place that says it.
func (db *DB) SiteName(context.Context) string { return DefaultSiteName }
