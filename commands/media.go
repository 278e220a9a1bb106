package commands

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"forum/events"
	"forum/fault"
	"forum/projections"
)

// Upload takes a picture of owner's: recognised by its bytes (PNG, JPEG,
// GIF or WebP, agreeing with its declared type, else 415), at most
// MaxUploadBytes (413), MaxUploadPixels, MaxDecodeBytes and MaxJPEGScans
// (400, read from its header before decoding; an animated WebP: 415), within owner's quotas (UploadsADay: 429,
// UploadQuotaBytes: 413). It is decoded and encoded again with a
// thumbnail, both stored sealed under owner's key, and recorded as
// upload.created. Pictures are decoded a few at a time (MediaSlots, one
// a user) and a bounded weight at a time (MediaDecodeBytes); 503 when
// the instance is busy.
//
// A picture is stored once an owner: one whose encoding again is the same
// as one of owner's kept uploads (by its SHA-256) answers that upload, with
// created false, and stores nothing and charges no quota; but an upload
// shown nowhere and made over half of UnusedUploadTTL ago is soon swept, so
// it is not answered again and a new upload is made beside it.
func (s *Service) Upload(ctx context.Context, owner events.UserID, in UploadInput) (u projections.Upload, created bool, err error) {
	if len(in.Data) > MaxUploadBytes {
		return projections.Upload{}, false, fault.FieldError(fault.ETOOLARGE, "file", "a picture is at most 10 MiB")
	}
	typ, err := checkType(in)
	if err != nil {
		return projections.Upload{}, false, err
	}
	weight, err := checkSize(typ, in.Data)
	if err != nil {
		return projections.Upload{}, false, err
	}
	release, err := s.slots.take(ctx, string(owner))
	if err != nil {
		return projections.Upload{}, false, err
	}
	defer release()
	releaseDecode, err := s.takeDecode(ctx, weight)
	if err != nil {
		return projections.Upload{}, false, err
	}
	defer releaseDecode()
	if _, err := s.checkQuota(ctx, owner, 0); err != nil {
		return projections.Upload{}, false, err
	}
	pic, err := Reencode(typ, in.Data)
	if err != nil {
		return projections.Upload{}, false, err
	}
	sum := sha256.Sum256(pic.Data)
	hash := hex.EncodeToString(sum[:])
	for range 2 {
		if u, err := s.uploadOfHash(ctx, owner, hash); err == nil || fault.Code(err) != fault.ENOTFOUND {
			return u, false, err
		}
		quota, err := s.checkQuota(ctx, owner, int64(len(pic.Data)+len(pic.Thumb)))
		if err != nil {
			return projections.Upload{}, false, err
		}
		u, err := s.storeUpload(ctx, owner, pic, hash, quota.LastSeq)
		if !errors.Is(err, errUploadRaced) {
			return u, err == nil, err
		}
		// Another upload of owner's landed meanwhile, perhaps of the same
		// picture on another instance: once the read models hold it, that
		// one is answered, else this one is tried once more.
		if err := s.caughtUp(ctx, events.UploadCreated.Subject(string(owner))); err != nil {
			return projections.Upload{}, false, err
		}
	}
	return projections.Upload{}, false, &fault.Error{Code: fault.EUNAVAILABLE, Message: "another of your pictures was stored meanwhile; try again", RetryAfter: 1}
}

// uploadOfHash returns owner's kept upload of the picture of hash that is
// answered again (see Upload), ENOTFOUND for none.
func (s *Service) uploadOfHash(ctx context.Context, owner events.UserID, hash string) (projections.Upload, error) {
	return s.DB.UploadOfHash(ctx, owner, hash, s.Now().Add(-UnusedUploadTTL/2))
}

// caughtUp waits until the read models hold the latest event on subject.
func (s *Service) caughtUp(ctx context.Context, subject string) error {
	ev, err := s.Store.Last(ctx, subject)
	if errors.Is(err, events.ErrNoEvent) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.wait(ctx, ev.Seq)
}

// errUploadRaced is storeUpload's answer when another upload of the same
// owner landed after the one its quota counted.
var errUploadRaced = errors.New("another upload landed meanwhile")

// checkQuota returns what owner has used of their quotas, or the error of
// one that adding a picture of adding bytes would pass.
func (s *Service) checkQuota(ctx context.Context, owner events.UserID, adding int64) (projections.UploadQuota, error) {
	q, err := s.DB.UploadQuota(ctx, owner, s.Now().Add(-24*time.Hour))
	switch {
	case err != nil:
		return q, err
	case q.Today >= s.UploadsADay:
		return q, &fault.Error{Code: fault.ERATELIMITED, Message: fmt.Sprintf("at most %d pictures a day; try again tomorrow", s.UploadsADay), RetryAfter: 3600}
	case q.Bytes+adding > s.UploadQuotaBytes:
		return q, fault.FieldError(fault.ETOOLARGE, "file", fmt.Sprintf("your pictures take the %d MiB you have", s.UploadQuotaBytes>>20))
	}
	return q, nil
}

// storeUpload stores pic's objects and records the upload, unless another
// upload of owner's landed after lastSeq (their latest the quota counted):
// then the objects go and it answers errUploadRaced.
func (s *Service) storeUpload(ctx context.Context, owner events.UserID, pic Picture, hash string, lastSeq uint64) (projections.Upload, error) {
	m, err := s.media(ctx)
	if err != nil {
		return projections.Upload{}, err
	}
	id := s.NewID()
	if err := m.Put(ctx, string(owner), id, pic.Data); err != nil {
		return projections.Upload{}, err
	}
	if err := m.Put(ctx, string(owner), thumbName(id), pic.Thumb); err != nil {
		s.dropObjects(ctx, m, id)
		return projections.Upload{}, err
	}
	d := events.UploadCreatedData{UploadID: events.UploadID(id), OwnerID: owner, ContentType: events.MediaType(pic.Type), Size: int64(len(pic.Data)),
		Width: pic.Width, Height: pic.Height, ThumbType: events.MediaType(pic.ThumbType), ThumbSize: int64(len(pic.Thumb)),
		ThumbWidth: pic.ThumbWidth, ThumbHeight: pic.ThumbHeight, Hash: hash}
	subject := events.UploadCreated.Subject(string(owner))
	ack, err := s.emit(ctx, events.UploadCreated, string(owner), string(owner), d, events.ExpectLastSeqOn(subject, lastSeq))
	if errors.Is(err, events.ErrConflict) {
		s.dropObjects(ctx, m, id)
		return projections.Upload{}, errUploadRaced
	}
	if ack.Duplicate {
		// A retry of a write that landed: the first attempt's picture stays.
		s.dropObjects(ctx, m, id)
		if err := s.original(ctx, ack, &d); err != nil {
			return projections.Upload{}, err
		}
		id = string(d.UploadID)
	}
	if err != nil {
		return projections.Upload{}, withID(err, id)
	}
	return s.DB.Upload(ctx, events.UploadID(id))
}

// dropObjects deletes an upload's objects, as far as it can: what stays is
// sealed, and nothing names it.
func (s *Service) dropObjects(ctx context.Context, m MediaStore, id string) {
	for _, name := range []string{id, thumbName(id)} {
		if err := m.Delete(context.WithoutCancel(ctx), name); err != nil {
			s.Logger.Warn("a picture's object stays", "object", name, "err", err)
		}
	}
}

// MediaObject is a picture as it is served.
type MediaObject struct {
	Type string
	Data []byte
}

// mediaOpenTimeout bounds the reading and opening of one picture.
const mediaOpenTimeout = 30 * time.Second

// ReadMedia returns an upload's picture (or its thumbnail), opened with its
// owner's key: ENOTFOUND for an upload deleted, of an erased owner, or
// whose key is gone. The read models are asked first, every time, so a
// picture kept open in memory is never served past its deletion or its
// owner's erasure on this instance; one not in memory is opened once for
// all the requests that want it meanwhile.
func (s *Service) ReadMedia(ctx context.Context, id events.UploadID, thumb bool) (MediaObject, error) {
	if !events.ValidID(string(id)) {
		return MediaObject{}, fault.Errorf(fault.ENOTFOUND, "picture not found")
	}
	u, err := s.DB.Upload(ctx, id)
	if fault.Code(err) == fault.ENOTFOUND {
		s.mediaCache.drop(string(id), thumbName(string(id)))
	}
	if err != nil {
		return MediaObject{}, err
	}
	name, typ := string(id), u.ContentType
	if thumb {
		name, typ = thumbName(name), u.ThumbType
	}
	if obj, ok := s.mediaCache.get(name); ok {
		return obj, nil
	}
	v, err, _ := s.mediaOpening.Do(name, func() (any, error) {
		m, err := s.media(ctx)
		if err != nil {
			return nil, err
		}
		// Shared by the requests waiting: the first one's going does not end it.
		octx, cancel := context.WithTimeout(context.WithoutCancel(ctx), mediaOpenTimeout)
		defer cancel()
		data, err := m.Get(octx, u.OwnerID, name)
		if err != nil {
			return nil, err
		}
		obj := MediaObject{Type: typ, Data: data}
		s.mediaCache.put(name, obj)
		return obj, nil
	})
	if errors.Is(err, events.ErrKeyGone) || errors.Is(err, events.ErrNoMedia) {
		return MediaObject{}, fault.Errorf(fault.ENOTFOUND, "picture not found")
	}
	if err != nil {
		return MediaObject{}, err
	}
	return v.(MediaObject), nil
}

// SetAvatar shows one of user's uploads as their avatar; "" removes it.
// ENOTFOUND for an upload that is not kept, EFORBIDDEN for another's.
func (s *Service) SetAvatar(ctx context.Context, user events.UserID, upload events.UploadID) error {
	acct, err := s.DB.User(ctx, user)
	if err != nil {
		return err
	}
	if upload == "" {
		if acct.AvatarURL == nil {
			return nil
		}
		_, err := s.emit(ctx, events.AvatarSet, string(user), string(user), events.AvatarSetData{UserID: user})
		return err
	}
	if !events.ValidID(string(upload)) {
		return fault.FieldError(fault.ENOTFOUND, "upload_id", "picture not found")
	}
	u, err := s.DB.Upload(ctx, upload)
	if fault.Code(err) == fault.ENOTFOUND {
		return fault.FieldError(fault.ENOTFOUND, "upload_id", "picture not found")
	} else if err != nil {
		return err
	}
	if u.OwnerID != string(user) {
		return fault.FieldError(fault.EFORBIDDEN, "upload_id", "an avatar is a picture of your own")
	}
	guard, err := s.keptUploadGuard(ctx, upload)
	if err != nil {
		return err
	}
	_, err = s.emit(ctx, events.AvatarSet, string(user), string(user), events.AvatarSetData{UserID: user, UploadID: upload}, guard)
	if errors.Is(err, events.ErrConflict) {
		return fault.Errorf(fault.ECONFLICT, "the picture was deleted")
	}
	return err
}

// keptUploadGuard returns the condition of a write that needs upload kept:
// no deletion of it in the log, or only a sweep's that the read models
// made void (a body came to show the upload first: projections'
// uploadDeleted), once they have applied it and still keep the upload.
func (s *Service) keptUploadGuard(ctx context.Context, upload events.UploadID) (events.AppendOption, error) {
	subject := events.UploadDeleted.Subject(string(upload))
	last, err := s.Store.Last(ctx, subject)
	if errors.Is(err, events.ErrNoEvent) {
		return unlessDeleted(subject), nil
	}
	if err != nil {
		return nil, err
	}
	var d events.UploadDeletedData
	if err := last.Payload(&d); err != nil {
		return nil, err
	}
	if d.Reason == events.UploadUnused {
		if err := s.Projector.WaitFor(ctx, last.Seq); err != nil {
			return nil, err
		}
		if _, err := s.DB.Upload(ctx, upload); err == nil {
			return events.ExpectLastSeqOn(subject, last.Seq), nil
		}
	}
	return nil, fault.Errorf(fault.ECONFLICT, "the picture was deleted")
}

// SweepUploads deletes the uploads that nothing has shown within
// UnusedUploadTTL, up to limit of them: an upload.deleted each (at most
// one an upload, whichever instance sweeps: it lands only while the upload's
// delete subject is empty), then its objects. It returns how many it
// deleted.
func (s *Service) SweepUploads(ctx context.Context, limit int) (int, error) {
	unused, err := s.DB.UnusedUploads(ctx, s.Now().Add(-UnusedUploadTTL), limit)
	if err != nil {
		return 0, err
	}
	m, err := s.media(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, u := range unused {
		beforeSweep(u.ID)
		d := events.UploadDeletedData{UploadID: events.UploadID(u.ID), OwnerID: events.UserID(u.OwnerID), Reason: events.UploadUnused}
		ack, err := s.emit(ctx, events.UploadDeleted, u.ID, "", d, unlessDeleted(events.UploadDeleted.Subject(u.ID)), events.WithMsgID("upload.deleted:"+u.ID))
		switch {
		case errors.Is(err, events.ErrConflict), err == nil && ack.Duplicate: // another instance swept it
			continue // and drops its objects
		case err != nil:
			return n, err
		}
		// The deletion is void if a body came to show the upload first
		// (projections: uploadDeleted): its objects stay.
		if _, err := s.DB.Upload(ctx, events.UploadID(u.ID)); err == nil {
			continue
		} else if fault.Code(err) != fault.ENOTFOUND {
			return n, err
		}
		n++
		s.dropObjects(ctx, m, u.ID)
	}
	return n, nil
}

// beforeSweep runs before the sweep deletes an upload it found unused:
// tests make a body show it then, as one written on another instance.
var beforeSweep = func(id string) {}

// SweepUploadsEvery sweeps unused uploads now and then every period until
// ctx ends.
func (s *Service) SweepUploadsEvery(ctx context.Context, period time.Duration) {
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		for {
			n, err := s.SweepUploads(ctx, 100)
			if err != nil {
				s.Logger.Warn("sweeping unused pictures", "err", err)
			}
			if err != nil || n < 100 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
