package events

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// SecretsBucket is the key-value bucket of the forum's own secrets: made
// once per forum (the first instance to ask writes them; every instance on
// the same NATS reads the same), never in the log, and not readable by the
// operator login.
const SecretsBucket = "FORUM_SECRETS"

// claimSecretKey names the secret that claim subjects hash values with.
const claimSecretKey = "claims"

// ClaimSecret returns the forum's secret for claim subjects (SecretClaimKey),
// making it on first use: the first writer wins and everyone reads theirs.
func (s *Store) ClaimSecret(ctx context.Context) ([]byte, error) {
	kv, err := s.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: SecretsBucket,
		Description: "The forum's own secrets: what claim subjects are hashed with.",
		History:     1, MaxValueSize: 1024, Storage: jetstream.FileStorage, Replicas: s.replicas})
	if err != nil {
		return nil, unavailable("secrets bucket", err)
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	if _, err := kv.Create(ctx, claimSecretKey, secret); err == nil {
		return secret, nil
	} else if !errors.Is(err, jetstream.ErrKeyExists) {
		return nil, unavailable("make the claim secret", err)
	}
	e, err := kv.Get(ctx, claimSecretKey)
	if err != nil {
		return nil, unavailable("read the claim secret", err)
	}
	if len(e.Value()) != 32 {
		return nil, fmt.Errorf("claim secret: %d bytes, want 32", len(e.Value()))
	}
	return e.Value(), nil
}

// SecretClaimKey returns the subject key that holds the claims on one
// unique value: the kind and an HMAC-SHA256 of the lowercased value under
// the forum's secret, so that nobody without it can tell from the log
// whether a guessed email or nickname was ever claimed. (ClaimKey, without
// a secret, is how forums made before it named their claims.)
func SecretClaimKey(secret []byte, kind, value string) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(kind + ":" + strings.ToLower(value)))
	return kind + "." + hex.EncodeToString(mac.Sum(nil)[:16])
}
