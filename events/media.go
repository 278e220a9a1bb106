package events

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"

	"github.com/nats-io/nats.go/jetstream"
)

// MediaBucket is the object store of uploaded pictures: each object sealed
// under its uploader's data key, so erasing the account makes it unreadable
// on every instance and in every copy of the bucket. The operator login
// cannot reach it (its account holds the mirror of the log alone).
const MediaBucket = "FORUM_MEDIA"

// ErrNoMedia is what Media.Get gives for an object that is not stored.
var ErrNoMedia = errors.New("no such media object")

// Media is the store's bucket of uploaded pictures.
type Media struct {
	os   jetstream.ObjectStore
	keys *Keyring
}

// Media returns the store's bucket of pictures, made on first use with the
// stream's replicas.
func (s *Store) Media(ctx context.Context) (*Media, error) {
	s.mediaMu.Lock()
	defer s.mediaMu.Unlock()
	if s.media != nil {
		return s.media, nil
	}
	keys, err := s.Keys(ctx)
	if err != nil {
		return nil, err
	}
	obs, err := s.js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: MediaBucket,
		Description: "Uploaded pictures, each sealed under its uploader's data key.",
		Storage:     jetstream.FileStorage, Replicas: s.replicas})
	if err != nil {
		return nil, unavailable("media bucket", err)
	}
	s.media = &Media{os: obs, keys: keys}
	return s.media, nil
}

// sealingKey is the metadata entry of an object that names how it is
// sealed: sealedChunked (SealChunked), or none for the objects stored
// before, sealed whole (SealBytes).
const (
	sealingKey    = "sealing"
	sealedChunked = "chunked-2"
)

// Put stores data as the object name, sealed under owner's key a chunk at
// a time (SealChunked) as the bucket takes it.
func (m *Media) Put(ctx context.Context, owner, name string, data []byte) error {
	sealed, err := m.keys.SealChunked(ctx, owner, name, data)
	if err != nil {
		return err
	}
	meta := jetstream.ObjectMeta{Name: name, Metadata: map[string]string{sealingKey: sealedChunked}}
	if _, err := m.os.Put(ctx, meta, sealed); err != nil {
		return unavailable("store a picture", err)
	}
	return nil
}

// PutWhole stores data as the object name sealed whole under owner's key,
// as objects were stored before they were sealed in chunks: for tests that
// such objects are still served.
func (m *Media) PutWhole(ctx context.Context, owner, name string, data []byte) error {
	sealed, err := m.keys.SealBytes(ctx, owner, name, data)
	if err != nil {
		return err
	}
	if _, err := m.os.PutBytes(ctx, name, sealed); err != nil {
		return unavailable("store a picture", err)
	}
	return nil
}

// Get returns the object name opened with owner's key, a chunk at a time
// as it is read (or whole, for an object stored before chunks): ErrNoMedia
// when it is not stored, ErrKeyGone when owner is erased.
func (m *Media) Get(ctx context.Context, owner, name string) ([]byte, error) {
	r, err := m.os.Get(ctx, name)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, ErrNoMedia
	}
	if err != nil {
		return nil, unavailable("read a picture", err)
	}
	defer r.Close()
	info, err := r.Info()
	if err != nil {
		return nil, unavailable("read a picture", err)
	}
	if info.Metadata[sealingKey] == sealedChunked {
		return m.keys.OpenChunked(ctx, owner, name, r, int(min(info.Size, 1<<30)))
	}
	sealed, err := io.ReadAll(r)
	if err != nil {
		return nil, unavailable("read a picture", err)
	}
	return m.keys.OpenBytes(ctx, owner, name, sealed)
}

// Raw returns the object name as it is stored (sealed), for tests that
// check nobody can read it.
func (m *Media) Raw(ctx context.Context, name string) ([]byte, error) {
	b, err := m.os.GetBytes(ctx, name)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, ErrNoMedia
	}
	return b, err
}

// Names returns the names of the objects stored, for tests that count them.
func (m *Media) Names(ctx context.Context) ([]string, error) {
	infos, err := m.os.List(ctx)
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil, nil
	}
	if err != nil {
		return nil, unavailable("list the pictures", err)
	}
	names := make([]string, len(infos))
	for i, info := range infos {
		names[i] = info.Name
	}
	return names, nil
}

// Delete removes the object name; one already gone is no error.
func (m *Media) Delete(ctx context.Context, name string) error {
	if err := m.os.Delete(ctx, name); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
		return unavailable("delete a picture", err)
	}
	return nil
}

// SealBytes encrypts data under user's key (made on first use), bound to
// name: nonce ‖ ciphertext, which OpenBytes opens for that user and name alone.
func (k *Keyring) SealBytes(ctx context.Context, user, name string, data []byte) ([]byte, error) {
	if k == nil {
		return nil, fmt.Errorf("seal %s: no keyring", name)
	}
	a, err := k.aead(ctx, user, true)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, a.NonceSize(), a.NonceSize()+len(data)+a.Overhead())
	rand.Read(nonce)
	return a.Seal(nonce, nonce, data, []byte(user+"\x00"+name)), nil
}

// OpenBytes opens what SealBytes sealed for user and name; ErrKeyGone when
// user's key is destroyed.
func (k *Keyring) OpenBytes(ctx context.Context, user, name string, sealed []byte) ([]byte, error) {
	if k == nil {
		return nil, ErrKeyGone
	}
	a, err := k.aead(ctx, user, false)
	if err != nil {
		return nil, err
	}
	if len(sealed) < a.NonceSize() {
		return nil, fmt.Errorf("sealed object %s: malformed", name)
	}
	plain, err := a.Open(nil, sealed[:a.NonceSize()], sealed[a.NonceSize():], []byte(user+"\x00"+name))
	if err != nil {
		return nil, fmt.Errorf("sealed object %s: %w", name, err)
	}
	return plain, nil
}
