package events

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Personal data in events (email, profile fields, the text of posts,
// comments and messages) is sealed: encrypted with AES-GCM under a data key
// of the user it belongs to. The keys live outside the stream, in the
// key-value bucket FORUM_KEYS, one entry a user. Destroying a user's key
// (securely erasing its message from the bucket's stream) makes every copy
// of their data in the log unreadable: crypto-shredding.

// KeysBucket is the key-value bucket of the users' data keys.
const KeysBucket = "FORUM_KEYS"

// sealedPrefix starts a sealed value: "sealed:" + base64url(nonce ‖
// ciphertext). A value without it was written in clear (before sealing).
const sealedPrefix = "sealed:"

// ErrKeyGone is what opening a value of an erased user gives.
var ErrKeyGone = errors.New("the data key of this user is destroyed")

// maxKeysKept bounds the keys a Keyring keeps in memory.
const maxKeysKept = 100000

// Keyring seals and opens users' personal data. It keeps the ciphers of
// the keys it has read (and which users have no key), bounded.
type Keyring struct {
	kv     jetstream.KeyValue
	stream jetstream.Stream

	mu    sync.RWMutex
	aeads map[string]cipher.AEAD // nil value: the user has no key (erased)
}

// Keys returns the store's keyring, opening (making it on first use) the
// bucket of data keys.
func (s *Store) Keys(ctx context.Context) (*Keyring, error) {
	s.keysOnce.Do(func() { s.keys, s.keysErr = OpenKeyring(ctx, s) })
	return s.keys, s.keysErr
}

// kvStream makes or updates the stream of a key-value bucket, one value a
// key, with cfg's description and limits (the rest is every bucket's), for
// a bucket the key-value API cannot make as it must be.
func (s *Store) kvStream(ctx context.Context, bucket string, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	cfg.Name = "KV_" + bucket
	cfg.Subjects = []string{"$KV." + bucket + ".>"}
	cfg.MaxMsgsPerSubject = 1
	if cfg.MaxMsgs == 0 {
		cfg.MaxMsgs = -1
	}
	cfg.MaxConsumers = -1
	cfg.Storage = jetstream.FileStorage
	cfg.Replicas = s.replicas
	cfg.AllowRollup, cfg.AllowDirect = true, true
	cfg.Duplicates = 2 * time.Minute
	return s.js.CreateOrUpdateStream(ctx, cfg)
}

// OpenKeyring opens a keyring of its own on the store's bucket of data keys.
func OpenKeyring(ctx context.Context, s *Store) (*Keyring, error) {
	// The bucket's stream is made here rather than by the key-value API,
	// which makes its streams refuse deleting single messages: this one
	// must allow it, for Destroy to erase a key's message securely.
	st, err := s.kvStream(ctx, KeysBucket, jetstream.StreamConfig{
		Description: "Each user's data key: destroying one erases their personal data from the log.",
		MaxBytes:    -1,
		MaxMsgSize:  1024,
		Discard:     jetstream.DiscardNew,
	})
	if err != nil {
		return nil, fmt.Errorf("keys bucket's stream: %w", err)
	}
	kv, err := s.js.KeyValue(ctx, KeysBucket)
	if err != nil {
		return nil, fmt.Errorf("keys bucket: %w", err)
	}
	return &Keyring{kv: kv, stream: st, aeads: map[string]cipher.AEAD{}}, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// keep remembers user's cipher (nil: no key), forgetting everything past the bound.
func (k *Keyring) keep(user string, a cipher.AEAD) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.aeads) >= maxKeysKept {
		clear(k.aeads)
	}
	k.aeads[user] = a
}

// aead returns user's cipher; create makes a key if the user has none.
func (k *Keyring) aead(ctx context.Context, user string, create bool) (cipher.AEAD, error) {
	k.mu.RLock()
	a, known := k.aeads[user]
	k.mu.RUnlock()
	if known && (a != nil || !create) {
		if a == nil {
			return nil, ErrKeyGone
		}
		return a, nil
	}
	e, err := k.kv.Get(ctx, user)
	switch {
	case err == nil:
		a, err := newAEAD(e.Value())
		if err != nil {
			return nil, fmt.Errorf("data key of %s: %w", user, err)
		}
		k.keep(user, a)
		return a, nil
	case !errors.Is(err, jetstream.ErrKeyNotFound) && !errors.Is(err, jetstream.ErrKeyDeleted):
		return nil, unavailable("data key", err)
	case !create:
		k.keep(user, nil)
		return nil, ErrKeyGone
	}
	key := make([]byte, 32)
	rand.Read(key)
	if _, err := k.kv.Create(ctx, user, key); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return k.aead(ctx, user, false) // made by another instance just now
		}
		return nil, unavailable("make a data key", err)
	}
	a, err = newAEAD(key)
	if err != nil {
		return nil, err
	}
	k.keep(user, a)
	return a, nil
}

// Seal encrypts value under user's key (made on first use); "" stays "".
func (k *Keyring) Seal(ctx context.Context, user, value string) (string, error) {
	if value == "" || k == nil {
		return value, nil
	}
	a, err := k.aead(ctx, user, true)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, a.NonceSize(), a.NonceSize()+len(value)+a.Overhead())
	rand.Read(nonce)
	out := a.Seal(nonce, nonce, []byte(value), []byte(user))
	return sealedPrefix + base64.RawURLEncoding.EncodeToString(out), nil
}

// Open decrypts a sealed value of user's; a value written in clear comes
// back as it is. ErrKeyGone when the user's key is destroyed.
func (k *Keyring) Open(ctx context.Context, user, value string) (string, error) {
	if !strings.HasPrefix(value, sealedPrefix) {
		return value, nil
	}
	if k == nil {
		return "", ErrKeyGone
	}
	a, err := k.aead(ctx, user, false)
	if err != nil {
		return "", err
	}
	raw, err := base64.RawURLEncoding.DecodeString(value[len(sealedPrefix):])
	if err != nil || len(raw) < a.NonceSize() {
		return "", fmt.Errorf("sealed value of %s: malformed", user)
	}
	plain, err := a.Open(nil, raw[:a.NonceSize()], raw[a.NonceSize():], []byte(user))
	if err != nil {
		return "", fmt.Errorf("sealed value of %s: %w", user, err)
	}
	return string(plain), nil
}

// Sealed reports whether a value is sealed.
func Sealed(value string) bool { return strings.HasPrefix(value, sealedPrefix) }

// Destroy destroys user's key: its message in the bucket's stream is
// securely erased (overwritten on disk, not only marked deleted), then the
// key is purged from the bucket. What was sealed under it cannot be read
// again, anywhere. The key itself is never read for this: only where its
// message is.
func (k *Keyring) Destroy(ctx context.Context, user string) error {
	seq, err := k.keySeq(ctx, user)
	if err != nil {
		return unavailable("erase a data key", err)
	}
	if seq != 0 {
		if err := k.stream.SecureDeleteMsg(ctx, seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
			return unavailable("erase a data key", err)
		}
	}
	if err := k.kv.Purge(ctx, user); err != nil {
		return unavailable("purge a data key", err)
	}
	k.Forget(user)
	return nil
}

// kvOperation is the header of the key-value bucket's delete and purge markers.
const kvOperation = "KV-Operation"

// keySeq returns the sequence of the message that holds user's key in the
// bucket's stream (0: none), read through a consumer that delivers headers
// only: the key's bytes do not travel.
func (k *Keyring) keySeq(ctx context.Context, user string) (uint64, error) {
	cons, err := k.stream.CreateConsumer(ctx, jetstream.ConsumerConfig{
		FilterSubject:     "$KV." + KeysBucket + "." + user,
		DeliverPolicy:     jetstream.DeliverLastPerSubjectPolicy,
		AckPolicy:         jetstream.AckNonePolicy,
		HeadersOnly:       true,
		MemoryStorage:     true,
		InactiveThreshold: 10 * time.Second,
	})
	if err != nil {
		return 0, fmt.Errorf("find the data key of %s: %w", user, err)
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		k.stream.DeleteConsumer(dctx, cons.CachedInfo().Name)
	}()
	if cons.CachedInfo().NumPending == 0 {
		return 0, nil
	}
	batch, err := cons.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		return 0, fmt.Errorf("find the data key of %s: %w", user, err)
	}
	for msg := range batch.Messages() {
		meta, err := msg.Metadata()
		if err != nil {
			return 0, fmt.Errorf("find the data key of %s: %w", user, err)
		}
		if msg.Headers().Get(kvOperation) != "" {
			return 0, nil // a delete or purge marker: no key
		}
		return meta.Sequence.Stream, nil
	}
	if err := batch.Error(); err != nil {
		return 0, fmt.Errorf("find the data key of %s: %w", user, err)
	}
	return 0, fmt.Errorf("find the data key of %s: no answer", user)
}

// Forget drops what the keyring keeps of user (after their erasure, seen
// in the log by another instance).
func (k *Keyring) Forget(user string) {
	if k == nil {
		return
	}
	k.keep(user, nil)
}

// Personal is a payload that holds personal data: whose it is (actor: who
// made the event, the owner of an edit) and the fields that hold it. Those
// fields are sealed when the event is written and opened when it is read.
// A payload's Personal method sits beside its struct (types.go).
type Personal interface {
	Personal(actor string) (owner string, fields []*string)
}

// ErasedText is what a field of an erased user reads as.
const ErasedText = "[deleted]"

// beforeSeal moves the age into a field that can be sealed (AgeSealed).
func (d *UserRegisteredData) beforeSeal() {
	if d.Age != 0 && d.AgeSealed == "" {
		d.AgeSealed, d.Age = fmt.Sprint(d.Age), 0
	}
}

// SealPayload seals the personal fields of a payload (a pointer to it).
func (k *Keyring) SealPayload(ctx context.Context, actor string, payload any) error {
	p, ok := payload.(Personal)
	if !ok || k == nil {
		return nil
	}
	if b, ok := payload.(interface{ beforeSeal() }); ok {
		b.beforeSeal()
	}
	owner, fields := p.Personal(actor)
	for _, f := range fields {
		if Sealed(*f) {
			continue
		}
		v, err := k.Seal(ctx, owner, *f)
		if err != nil {
			return err
		}
		*f = v
	}
	return nil
}

// OpenPayload opens the personal fields of a payload (a pointer to it); the
// fields of an erased user read as ErasedText (empty ones stay empty), and
// erased is true.
func (k *Keyring) OpenPayload(ctx context.Context, actor string, payload any) (erased bool, err error) {
	p, ok := payload.(Personal)
	if !ok {
		return false, nil
	}
	owner, fields := p.Personal(actor)
	for _, f := range fields {
		v, err := k.Open(ctx, owner, *f)
		if errors.Is(err, ErrKeyGone) {
			erased = true
			if *f != "" {
				v = ErasedText
			}
		} else if err != nil {
			return false, err
		}
		*f = v
	}
	return erased, nil
}

// Preload reads every key of the bucket into the keyring (up to its bound)
// in one pass: a rebuild then opens sealed values without a round trip a user.
func (k *Keyring) Preload(ctx context.Context) error {
	if k == nil {
		return nil
	}
	w, err := k.kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return unavailable("read the data keys", err)
	}
	defer w.Stop()
	n := 0
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e, ok := <-w.Updates():
			if !ok || e == nil {
				return nil // every key read
			}
			a, err := newAEAD(e.Value())
			if err != nil {
				continue
			}
			if n++; n > maxKeysKept {
				return nil
			}
			k.keep(e.Key(), a)
		}
	}
}
