package gateway

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"forum/commands"
	"forum/events"
	"forum/fault"
)

// uploadOverhead is what a multipart upload may carry beside its picture
// (boundaries, part headers, other small fields).
const uploadOverhead = 64 << 10

// uploadLimit is the most a request to POST /api/uploads may send.
const uploadLimit = commands.MaxUploadBytes + uploadOverhead

// upload answers POST /api/uploads: the picture as the raw body (with its
// type as Content-Type) or as the field file of a multipart form. A
// picture the user has already (commands.Service.Upload) answers 201 with
// that upload, as a retry under the same Idempotency-Key does: either way
// the upload is the one the client now holds.
func (s *Server) upload(w http.ResponseWriter, r *http.Request, p principal) {
	release, err := s.cmd.ReceiveUpload(r.Context(), p.UserID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer release()
	data, declared, err := readUpload(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u, _, err := s.cmd.Upload(r.Context(), p.UserID, commands.UploadInput{Data: data, Declared: declared})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"upload": u})
}

// errUploadTooLarge is a picture over commands.MaxUploadBytes.
var errUploadTooLarge = fault.FieldError(fault.ETOOLARGE, "file", "a picture is at most 10 MiB")

// readUpload reads the picture of an upload and its declared type, never
// more than commands.MaxUploadBytes of it.
func readUpload(w http.ResponseWriter, r *http.Request) ([]byte, string, error) {
	if r.ContentLength > uploadLimit {
		return nil, "", errUploadTooLarge
	}
	body := http.MaxBytesReader(w, r.Body, uploadLimit)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		data, err := readCapped(body, r.ContentLength)
		return data, r.Header.Get("Content-Type"), err
	}
	r.Body = body
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, "", fault.FieldError(fault.EINVALID, "file", "the form cannot be read: "+err.Error())
	}
	for {
		part, err := mr.NextPart()
		if err != nil {
			return nil, "", uploadReadError(err, "the form has no field file")
		}
		if part.FormName() != "file" {
			continue
		}
		data, err := readCapped(part, r.ContentLength)
		return data, part.Header.Get("Content-Type"), err
	}
}

// readCapped reads r whole if it holds at most commands.MaxUploadBytes,
// into a buffer of the size hinted (the request's length, when known), so
// a picture is not copied as the buffer grows.
func readCapped(r io.Reader, hint int64) ([]byte, error) {
	buf := bytes.NewBuffer(make([]byte, 0, min(max(hint, 0), commands.MaxUploadBytes+1)+bytes.MinRead))
	_, err := buf.ReadFrom(io.LimitReader(r, commands.MaxUploadBytes+1))
	data := buf.Bytes()
	if err != nil {
		return nil, uploadReadError(err, "")
	}
	if len(data) > commands.MaxUploadBytes {
		return nil, errUploadTooLarge
	}
	if len(data) == 0 {
		return nil, fault.FieldError(fault.EINVALID, "file", "the picture is empty")
	}
	return data, nil
}

// uploadReadError is the error of a body that could not be read: too
// large, or cut short (missing: what io.EOF means here).
func uploadReadError(err error, missing string) error {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return errUploadTooLarge
	case errors.Is(err, io.EOF) && missing != "":
		return fault.FieldError(fault.EINVALID, "file", missing)
	}
	return fault.FieldError(fault.EINVALID, "file", "the picture cannot be read: "+err.Error())
}

// Header values of every picture served.
var (
	headerImmutable = []string{"public, max-age=31536000, immutable"}
	headerNoneCSP   = []string{"default-src 'none'"}
	headerBytes     = []string{"bytes"}
)

// media answers GET and HEAD /media/{id} (thumb: /media/{id}/thumb): the
// picture with its type and length, cached for good under a strong ETag
// (a picture never changes), 304 to an If-None-Match that names it; 404
// for one deleted or of an erased account. Range requests are answered as
// net/http answers them for a file (206 with one range or several as
// multipart/byteranges, 416 for none satisfiable, If-Range by the ETag).
func (s *Server) media(thumb bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		etag := `"` + id + `"`
		if thumb {
			etag = `"` + id + `-thumb"`
		}
		h := w.Header()
		h["Content-Security-Policy"] = headerNoneCSP
		if etagMatches(r.Header.Get("If-None-Match"), etag) && events.ValidID(id) {
			if _, err := s.db.Upload(r.Context(), events.UploadID(id)); err == nil {
				h.Set("ETag", etag)
				h["Cache-Control"] = headerImmutable
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		obj, err := s.cmd.ReadMedia(r.Context(), events.UploadID(id), thumb)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		h.Set("Content-Type", obj.Type)
		h.Set("ETag", etag)
		h["Cache-Control"] = headerImmutable
		if r.Header.Get("Range") == "" && r.Header.Get("If-Match") == "" && r.Header.Get("If-Unmodified-Since") == "" {
			// The whole picture, as ServeContent would answer it, in one
			// write rather than in its 32 KiB copies (see
			// BenchmarkPopularPicture).
			h["Accept-Ranges"] = headerBytes
			h.Set("Content-Length", strconv.Itoa(len(obj.Data)))
			w.WriteHeader(http.StatusOK)
			if r.Method != http.MethodHead {
				w.Write(obj.Data)
			}
			return
		}
		// ServeContent sets Content-Length, answers HEAD without the body,
		// and drops the ETag and caching from an error (a 416).
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(obj.Data))
	}
}

// setAvatar answers PUT /api/me/avatar {upload_id}.
func (s *Server) setAvatar(w http.ResponseWriter, r *http.Request, p principal) {
	var in struct {
		UploadID events.UploadID `json:"upload_id"`
	}
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if in.UploadID == "" {
		s.writeError(w, r, fault.FieldError(fault.EINVALID, "upload_id", "upload_id names one of your pictures"))
		return
	}
	s.answer(w, r, s.cmd.SetAvatar(r.Context(), p.UserID, in.UploadID))
}

// removeAvatar answers DELETE /api/me/avatar.
func (s *Server) removeAvatar(w http.ResponseWriter, r *http.Request, p principal) {
	s.answer(w, r, s.cmd.SetAvatar(r.Context(), p.UserID, ""))
}
