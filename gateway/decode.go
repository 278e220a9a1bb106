package gateway

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"forum/fault"
	"forum/projections"
)

// maxBody bounds a request body (a 20,000-character post is at most 80 KB).
const maxBody = 256 << 10

// decode reads a JSON request body into v: 413 past maxBody, 415 for another
// content type, 400 for malformed JSON or trailing data.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return &fault.Error{Code: "unsupported_media_type", Message: "send JSON with Content-Type: application/json"}
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	err := dec.Decode(v)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return fault.Errorf(fault.ETOOLARGE, "the request body is larger than %d KiB", maxBody>>10)
	case errors.Is(err, io.EOF):
		return fault.Errorf(fault.EINVALID, "the request body is empty; send a JSON object")
	case err != nil:
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return fault.FieldError(fault.EINVALID, typeErr.Field, typeErr.Field+" has the wrong type")
		}
		return fault.Errorf(fault.EINVALID, "the request body is not valid JSON")
	}
	if dec.More() {
		return fault.Errorf(fault.EINVALID, "the request body has data after the JSON object")
	}
	return nil
}

// queryInt reads an optional integer query parameter (0 when absent).
func queryInt(r *http.Request, name string) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fault.FieldError(fault.EINVALID, name, name+" must be a positive whole number")
	}
	return n, nil
}

// pageRequest reads the ?limit= and ?cursor= of a list.
func pageRequest(r *http.Request) (projections.PageRequest, error) {
	limit, err := queryInt(r, "limit")
	return projections.PageRequest{Limit: limit, Cursor: r.URL.Query().Get("cursor")}, err
}
