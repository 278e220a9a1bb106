package projections

import (
	"context"

	"forum/events"
)

// Category is a category with its number of (undeleted) posts.
type Category struct {
	Slug      string `json:"slug"`
	Name      string `json:"name"`
	PostCount int    `json:"post_count"`
}

func (a *applier) categoryCreated(_ events.Event, d events.CategoryCreatedData) error {
	_, err := a.exec(`INSERT OR IGNORE INTO categories(slug, name, position) VALUES (?, ?, ?)`, d.Slug, d.Name, d.Position)
	return err
}

const categoriesQuery = `SELECT slug, name, post_count FROM categories ORDER BY position, slug`

// Categories returns every category in its configured order.
func (db *DB) Categories(ctx context.Context) (Page[Category], error) {
	return readList(ctx, db, list[Category]{
		query: categoriesQuery,
		scan: func(row scanner) (c Category, err error) {
			err = row.Scan(&c.Slug, &c.Name, &c.PostCount)
			return c, err
		},
	})
}

// MissingCategory returns the first of slugs that names no category, "" if all do.
func (db *DB) MissingCategory(ctx context.Context, slugs []string) (string, error) {
	for _, s := range slugs {
		var n int
		if err := db.queryRow(ctx, `SELECT count(*) FROM categories WHERE slug = ?`, s).Scan(&n); err != nil {
			return "", err
		}
		if n == 0 {
			return s, nil
		}
	}
	return "", nil
}
