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
	known, err := db.categorySlugs(ctx)
	if err != nil {
		return "", err
	}
	for _, s := range slugs {
		if !known[s] {
			return s, nil
		}
	}
	return "", nil
}

// categorySlugs returns the set of category slugs (do not change it), kept
// in memory until a category commits (memo.go): every post checks its
// categories, and categories are few and change seldom.
func (db *DB) categorySlugs(ctx context.Context) (map[string]bool, error) {
	slugs, gen, ok := db.memo.categories.get(struct{}{})
	if ok {
		return slugs, nil
	}
	rows, err := db.query(ctx, `SELECT slug FROM categories`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	slugs = map[string]bool{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		slugs[s] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	db.memo.categories.put(gen, struct{}{}, slugs)
	return slugs, nil
}
