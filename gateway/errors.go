package gateway

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"forum/commands"
	"forum/fault"
)

// statusOf maps an application error code to its HTTP status.
func statusOf(code string) int {
	switch code {
	case fault.EINVALID:
		return http.StatusBadRequest
	case fault.EUNAUTHENTICATED, fault.ESECONDFACTOR:
		return http.StatusUnauthorized
	case fault.EFORBIDDEN, fault.ESUSPENDED:
		return http.StatusForbidden
	case fault.ENOTFOUND:
		return http.StatusNotFound
	case fault.ETAKEN, fault.ECONFLICT:
		return http.StatusConflict
	case fault.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case fault.ERATELIMITED:
		return http.StatusTooManyRequests
	case fault.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	case "unsupported_media_type":
		return http.StatusUnsupportedMediaType
	case "method_not_allowed":
		return http.StatusMethodNotAllowed
	case EMISDIRECTED:
		return http.StatusMisdirectedRequest
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	// Errors lists every problem when there are several (the first is the
	// one above).
	Errors []errorDetail `json:"errors,omitempty"`
	// Until is when a suspension ends (code suspended).
	Until string `json:"until,omitempty"`
	// Ticket is the ticket of a sign-in that asks for a second factor
	// (code second_factor).
	Ticket string `json:"ticket,omitempty"`
}

// writeError writes err as the JSON error of docs/API.md. Application errors
// carry their code; anything else is internal: logged here, and the client
// gets no detail.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var stored *commands.Stored
	if errors.As(err, &stored) {
		// In the log, not yet in this instance's read models: it will appear.
		writeJSON(w, http.StatusAccepted, storedAnswer{ID: stored.ID, Seq: stored.Seq, Status: "stored"})
		return
	}
	if r.Context().Err() != nil && errors.Is(err, r.Context().Err()) {
		// The client went away (or its deadline passed): nobody reads the
		// answer, and nothing went wrong here.
		s.log.Debug("request ended by its client", "method", r.Method, "path", r.URL.Path, "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	var e *fault.Error
	if !errors.As(err, &e) {
		s.log.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		e = &fault.Error{Code: fault.EINTERNAL, Message: "something went wrong on our side; please try again"}
	}
	if e.Code == fault.EUNAVAILABLE || e.Code == fault.ERATELIMITED {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, e.RetryAfter)))
	}
	detail := errorDetail{Code: e.Code, Message: e.Message, Field: e.Field, Ticket: e.Ticket}
	if e.Until != nil {
		detail.Until = e.Until.UTC().Format(time.RFC3339)
	}
	for _, p := range e.Problems {
		detail.Errors = append(detail.Errors, errorDetail{Code: p.Code, Message: p.Message, Field: p.Field})
	}
	writeJSON(w, statusOf(e.Code), errorBody{detail})
}

// rateLimited writes a 429 with Retry-After in whole seconds (at least 1).
func rateLimited(w http.ResponseWriter, retryAfterSeconds int) {
	w.Header().Set("Retry-After", strconv.Itoa(max(1, retryAfterSeconds)))
	writeJSON(w, http.StatusTooManyRequests, errorBody{errorDetail{Code: fault.ERATELIMITED, Message: "too many requests; slow down and try again shortly"}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	jsonEncoder(w).Encode(v)
}

// jsonEncoder encodes answers as the API writes them: "<", ">" and "&" as they are.
func jsonEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}
