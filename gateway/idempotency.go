package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"time"

	"forum/commands"
	"forum/events"
	"forum/fault"
)

// IdempotencyHeader names the key a client gives a write it may retry.
const IdempotencyHeader = "Idempotency-Key"

// idempotent makes every write with an Idempotency-Key happen once: the same
// user sending the same key again within 10 minutes, on any instance, gets
// the first attempt's status and body (an answer over MaxKeptAnswer is not
// kept: the retry is answered anew, its events deduplicated by the log); the
// same key with another request answers 409. The answers are kept in the log's key-value bucket; the
// events a write appends carry message ids derived from user and key, so a
// retry of an attempt that got no answer (503) finds what it stored.
func (s *Server) idempotent(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get(IdempotencyHeader)
		p, signedIn := principalOf(r)
		if key == "" || r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		if len(key) > 64 {
			s.writeError(w, r, fault.FieldError(fault.EINVALID, "Idempotency-Key", "an Idempotency-Key is 1 to 64 characters"))
			return
		}
		if !signedIn { // sign-up and sign-in: nobody to scope the key to
			next.ServeHTTP(w, r)
			return
		}
		a, err := s.newAttempt(w, r, string(p.UserID), key)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		prev, gone, err := a.claim(r.Context())
		if gone {
			return
		}
		if err == nil && prev == nil {
			s.perform(w, r, next, a)
			return
		}
		s.answerClaimed(w, r, a, prev, err)
	})
}

// attempt is one write under an Idempotency-Key.
type attempt struct {
	responses   *events.Responses
	user, key   string
	k           string // where its answer is kept: the user and key, hashed
	fingerprint string // the request: method, URI and body, hashed
}

// newAttempt reads r's body (and puts it back) to fingerprint the request;
// it fails if the body is too large or the answers cannot be reached.
func (s *Server) newAttempt(w http.ResponseWriter, r *http.Request, user, key string) (*attempt, error) {
	limit := int64(maxBody)
	if r.URL.Path == "/api/uploads" {
		limit = uploadLimit // a picture: what readUpload reads anyway
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return nil, fault.Errorf(fault.ETOOLARGE, "the request body is larger than %d KiB", limit>>10)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	responses, err := s.responses(r.Context())
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(user + "\x00" + key))
	fp := sha256.Sum256([]byte(r.Method + " " + r.URL.RequestURI() + "\x00" + string(body)))
	return &attempt{responses: responses, user: user, key: key, k: hex.EncodeToString(sum[:]), fingerprint: hex.EncodeToString(fp[:])}, nil
}

// claim claims the key for this attempt: nil when it is ours, else what an
// earlier attempt left. An attempt of the same request under way is waited
// for, up to 5 s; gone says ctx ended meanwhile (the client went away).
func (a *attempt) claim(ctx context.Context) (prev *events.Response, gone bool, err error) {
	prev, err = a.responses.Claim(ctx, a.k, a.fingerprint)
	for deadline := time.Now().Add(5 * time.Second); err == nil && prev != nil && prev.Pending && prev.Fingerprint == a.fingerprint && time.Now().Before(deadline); {
		// Another attempt is under way: wait for its answer.
		select {
		case <-ctx.Done():
			return nil, true, nil
		case <-time.After(100 * time.Millisecond):
		}
		if prev, err = a.responses.Get(ctx, a.k); err == nil && prev == nil {
			prev, err = a.responses.Claim(ctx, a.k, a.fingerprint) // it gave up: our turn
		}
	}
	return prev, false, err
}

// answerClaimed answers a key another attempt holds: with its answer once
// it has one, else with a conflict or a 503.
func (s *Server) answerClaimed(w http.ResponseWriter, r *http.Request, a *attempt, prev *events.Response, err error) {
	switch {
	case err != nil:
		s.writeError(w, r, err)
		return
	case prev.Fingerprint != a.fingerprint:
		s.writeError(w, r, fault.FieldError(fault.ECONFLICT, "Idempotency-Key", "this Idempotency-Key was used for another request"))
		return
	case prev.Pending:
		s.writeError(w, r, &fault.Error{Code: fault.EUNAVAILABLE, Message: "the first attempt with this Idempotency-Key is still under way", RetryAfter: 1})
		return
	}
	if prev.ContentType != "" {
		w.Header().Set("Content-Type", prev.ContentType)
	}
	// Kept sealed under the user's key, like their data in the log.
	body, err := s.cmd.Keys.Open(r.Context(), a.user, string(prev.Body))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Idempotent-Replayed", "true")
	w.WriteHeader(prev.Status)
	w.Write([]byte(body))
}

// perform runs the write the key is claimed for, and keeps its answer for
// a retry, or releases the key when there is none worth keeping.
func (s *Server) perform(w http.ResponseWriter, r *http.Request, next http.Handler, a *attempt) {
	rec := &recorder{ResponseWriter: w}
	next.ServeHTTP(rec, r.WithContext(commands.WithIdempotencyKey(r.Context(), events.UserID(a.user), a.key)))
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
	defer cancel()
	var err error
	if rec.status >= 500 || rec.status == 0 || rec.over {
		// No definite answer, or one too large to keep: a retry does
		// the write again, and the events it appends carry the first
		// attempt's message ids, so the log stores them once.
		err = a.responses.Release(ctx, a.k)
	} else {
		var sealed string
		if sealed, err = s.cmd.Keys.Seal(ctx, a.user, rec.body.String()); err == nil {
			err = a.responses.Complete(ctx, a.k, events.Response{Fingerprint: a.fingerprint, Status: rec.status, ContentType: rec.Header().Get("Content-Type"), Body: []byte(sealed)})
		}
	}
	if err != nil {
		s.log.Warn("idempotency record", "err", err)
	}
}

// responses opens the bucket of answers on first use.
func (s *Server) responses(ctx context.Context) (*events.Responses, error) {
	s.respMu.Lock()
	defer s.respMu.Unlock()
	if s.resp == nil {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		r, err := s.store.Responses(ctx)
		if err != nil {
			return nil, &fault.Error{Code: fault.EUNAVAILABLE, Message: "the forum cannot store writes right now; try again shortly", RetryAfter: 2}
		}
		s.resp = r
	}
	return s.resp, nil
}

// MaxKeptAnswer is the largest answer kept for a retry, in bytes; a larger
// one is not kept.
const MaxKeptAnswer = 64 << 10

// recorder passes a response through while keeping its status and body,
// up to MaxKeptAnswer (over says the body was larger).
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
	over   bool
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if r.over = r.over || r.body.Len()+len(b) > MaxKeptAnswer; !r.over {
		r.body.Write(b)
	} else {
		r.body.Reset()
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
