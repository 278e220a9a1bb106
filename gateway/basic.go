package gateway

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"strings"
	"sync"
	"time"
)

// basicCache remembers HTTP Basic credentials that verified, for a minute, so
// a script sending Basic on every request does not pay a password hash each
// time. Entries are keyed by an HMAC under a per-process random key (never
// the password), bounded in number, and checked against the clock. An
// entry of a demo account serves only a client on this machine, as its
// password check would: the loopback condition holds on every use.
type basicCache struct {
	secret []byte
	ttl    time.Duration
	max    int

	mu      sync.Mutex
	entries map[[32]byte]basicEntry
}

type basicEntry struct {
	userID    string
	hash      string // the password hash they verified against: they hold while it is the account's
	expires   time.Time
	localOnly bool // serves only a client on loopback
}

func newBasicCache() *basicCache {
	secret := make([]byte, 32)
	rand.Read(secret)
	return &basicCache{secret: secret, ttl: time.Minute, max: 10000, entries: map[[32]byte]basicEntry{}}
}

// key is the cache key of a pair of credentials: an HMAC under the
// process's random key, never the password itself.
func (c *basicCache) key(login, password string) [32]byte {
	mac := hmac.New(sha256.New, c.secret)
	mac.Write([]byte(strings.ToLower(login)))
	mac.Write([]byte{0})
	mac.Write([]byte(password))
	var k [32]byte
	copy(k[:], mac.Sum(nil))
	return k
}

// lookup returns the user the credentials with key k verified as, and the
// password hash they verified against, if that was less than the TTL ago
// and, for an entry that serves only local clients, the client is local.
func (c *basicCache) lookup(k [32]byte, now time.Time, local bool) (userID, hash string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok || !now.Before(e.expires) || (e.localOnly && !local) {
		return "", "", false
	}
	return e.userID, e.hash, true
}

// forget drops the entry with key k.
func (c *basicCache) forget(k [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, k)
}

// store remembers that the credentials with key k verified as userID
// against hash (for local clients only when localOnly), dropping expired
// entries (and, if still full, any) to stay bounded.
func (c *basicCache) store(k [32]byte, userID, hash string, localOnly bool, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		for k, e := range c.entries {
			if !now.Before(e.expires) || len(c.entries) >= c.max {
				delete(c.entries, k)
			}
		}
	}
	c.entries[k] = basicEntry{userID: userID, hash: hash, expires: now.Add(c.ttl), localOnly: localOnly}
}
