package projections

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

// Every reader connection held by a read transaction, each running a query
// not prepared yet: none may wait for another connection to prepare on.
func TestReadTransactionsDoNotWaitForAConnectionToPrepare(t *testing.T) {
	db, _, err := OpenDB(filepath.Join(t.TempDir(), "read.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n := max(4, 2*runtime.NumCPU()) // the reader pool's size
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var inside, wg sync.WaitGroup
	inside.Add(n)
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := db.read(ctx, func(tx readTx) error {
				inside.Done()
				inside.Wait() // every connection is held now
				var v int
				return tx.QueryRowContext(ctx, fmt.Sprintf("SELECT %d + 1", i)).Scan(&v)
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("read: %v", err)
		}
	}
}
