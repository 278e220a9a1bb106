package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// apiClient calls the forum's HTTP API. It keeps no cookies: every authenticated call carries a
// bearer token, so many users can share one client and its connection pool.
type apiClient struct {
	base string // e.g. "http://127.0.0.1:8080", without a trailing slash
	http *http.Client
}

// newAPIClient returns a client for the forum at base whose requests time out after timeout and whose
// transport keeps up to idlePerHost idle connections, enough for the benchmark's concurrency.
func newAPIClient(base string, timeout time.Duration, idlePerHost int) *apiClient {
	tr := &http.Transport{
		Proxy:               nil, // measure the forum, not a proxy
		DialContext:         (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        idlePerHost,
		MaxIdleConnsPerHost: idlePerHost,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   true,
	}
	return &apiClient{base: base, http: &http.Client{Transport: tr, Timeout: timeout}}
}

// apiError is a non-2xx answer, with the forum's error body when it had one.
type apiError struct {
	Method, Path string
	Status       int
	Code         string        // e.g. "validation", "rate_limited"; empty when the body was not JSON
	Message      string        // the forum's message, or the start of the body
	Field        string        // the offending field, if named
	RetryAfter   time.Duration // from Retry-After, on 429
}

// Error returns e.g. `POST /api/posts: 400 validation: title is required (field title)`.
func (e *apiError) Error() string {
	s := fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, e.Code)
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Field != "" {
		s += " (field " + e.Field + ")"
	}
	return s
}

// The API's shapes, reduced to the fields the benchmark reads.
type (
	apiUser struct {
		ID       string `json:"id"`
		Nickname string `json:"nickname"`
	}
	apiPost struct {
		ID     string  `json:"id"`
		Author apiUser `json:"author"`
		Title  string  `json:"title"`
		Body   string  `json:"body"`
	}
	apiMessage struct {
		ID   string  `json:"id"`
		Seq  int64   `json:"seq"`
		From apiUser `json:"from"`
		Body string  `json:"body"`
	}
	apiCategory struct {
		Slug      string `json:"slug"`
		Name      string `json:"name"`
		PostCount int    `json:"post_count"`
	}
)

// do sends in (if not nil) as JSON with method to path, authenticated by token (if not empty), and
// decodes a 2xx answer into out (if not nil). It returns an *apiError for any other status, and a
// wrapped transport or decoding error otherwise.
func (a *apiClient) do(ctx context.Context, method, path, token string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return readAPIError(method, path, resp)
	}
	if raw, ok := out.(*[]byte); ok {
		if *raw, err = io.ReadAll(resp.Body); err != nil {
			return fmt.Errorf("read %s %s: %w", method, path, err)
		}
	} else if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return fmt.Errorf("decode %s %s: %w", method, path, err)
		}
	}
	_, _ = io.Copy(io.Discard, resp.Body) // let the connection be reused
	return nil
}

// readAPIError turns a failed response into an *apiError.
func readAPIError(method, path string, resp *http.Response) *apiError {
	e := &apiError{Method: method, Path: path, Status: resp.StatusCode}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
		e.RetryAfter = time.Duration(s) * time.Second
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Field   string `json:"field"`
		} `json:"error"`
	}
	if json.Unmarshal(raw, &body) == nil && body.Error.Code != "" {
		e.Code, e.Message, e.Field = body.Error.Code, body.Error.Message, body.Error.Field
	} else {
		e.Message = string(bytes.TrimSpace(raw[:min(len(raw), 200)]))
	}
	return e
}

// asAPIError returns the *apiError in err's chain, if any.
func asAPIError(err error) (*apiError, bool) {
	return errors.AsType[*apiError](err)
}

// statusOf returns the HTTP status of an *apiError in err's chain, or 0.
func statusOf(err error) int {
	if ae, ok := asAPIError(err); ok {
		return ae.Status
	}
	return 0
}

// isTimeout reports whether err is an expired deadline or a network timeout.
func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	ne, ok := errors.AsType[net.Error](err)
	return ok && ne.Timeout()
}

// health checks that the forum answers GET /health; it returns an error if it does not.
func (a *apiClient) health(ctx context.Context) error {
	return a.do(ctx, http.MethodGet, "/health", "", nil, nil)
}

// signup creates a user; a taken nickname or email is an *apiError with status 409.
func (a *apiClient) signup(ctx context.Context, nickname, email, password string) error {
	in := map[string]string{"nickname": nickname, "email": email, "password": password}
	return a.do(ctx, http.MethodPost, "/api/signup", "", in, nil)
}

// signin signs login in and returns the user and a bearer token; wrong credentials are a 401 *apiError.
func (a *apiClient) signin(ctx context.Context, login, password string) (apiUser, string, error) {
	var out struct {
		User  apiUser `json:"user"`
		Token string  `json:"token"`
	}
	in := map[string]string{"login": login, "password": password}
	if err := a.do(ctx, http.MethodPost, "/api/signin", "", in, &out); err != nil {
		return apiUser{}, "", err
	}
	if out.User.ID == "" || out.Token == "" {
		return apiUser{}, "", fmt.Errorf("POST /api/signin: answer lacks user.id or token")
	}
	return out.User, out.Token, nil
}

// categories lists the forum's categories.
func (a *apiClient) categories(ctx context.Context) ([]apiCategory, error) {
	var out struct {
		Items []apiCategory `json:"items"`
	}
	if err := a.do(ctx, http.MethodGet, "/api/categories", "", nil, &out); err != nil {
		return nil, err
	}
	return out.Items, nil
}

// createPost creates a post in one category as the user of token and returns it.
func (a *apiClient) createPost(ctx context.Context, token, title, body, category string) (apiPost, error) {
	in := map[string]any{"title": title, "body": body, "categories": []string{category}}
	var out struct {
		Post apiPost `json:"post"`
	}
	err := a.do(ctx, http.MethodPost, "/api/posts", token, in, &out)
	return out.Post, err
}

// listPosts fetches one page of the newest posts, starting at cursor ("" for the first page), and
// returns how many items it held and the next cursor ("" at the end).
func (a *apiClient) listPosts(ctx context.Context, token string, limit int, cursor string) (int, string, error) {
	path, raw, err := a.listPage(ctx, token, limit, cursor)
	if err != nil {
		return 0, "", err
	}
	return scanPage(path, raw)
}

// listPage fetches one page of the newest posts and returns its path and bytes.
func (a *apiClient) listPage(ctx context.Context, token string, limit int, cursor string) (string, []byte, error) {
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	var raw []byte
	path := "/api/posts?" + q.Encode()
	err := a.do(ctx, http.MethodGet, path, token, nil, &raw)
	return path, raw, err
}

// pageIDs returns the ids of the posts of a feed page, in order (none if it cannot be read).
func pageIDs(raw []byte) []string {
	var page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if json.Unmarshal(raw, &page) != nil {
		return nil
	}
	ids := make([]string, len(page.Items))
	for i, p := range page.Items {
		ids[i] = p.ID
	}
	return ids
}

// streamSeq returns the stream sequence the forum's read models are at, from a feed page's seq.
func (a *apiClient) streamSeq(ctx context.Context) (uint64, error) {
	var page struct {
		Seq uint64 `json:"seq"`
	}
	err := a.do(ctx, http.MethodGet, "/api/posts?limit=1", "", nil, &page)
	return page.Seq, err
}

// scanPage reads a feed page's item count and next cursor without decoding it, so that the readers'
// own work stays small beside the server's: each post has one "my_vote" key, and the page ends with
// "next". In JSON a quote inside a string is escaped, so `":` follows keys only; no post text can
// fake either.
func scanPage(path string, raw []byte) (int, string, error) {
	i := bytes.LastIndex(raw, []byte(`"next":`))
	if i < 0 || !bytes.HasPrefix(raw, []byte(`{"items":[`)) {
		return 0, "", fmt.Errorf("decode GET %s: not a page: %.200s", path, raw)
	}
	n := bytes.Count(raw[:i], []byte(`"my_vote":`))
	rest := raw[i+len(`"next":`):]
	if bytes.HasPrefix(rest, []byte("null")) {
		return n, "", nil
	}
	var next string
	end := bytes.IndexByte(rest[1:], '"')
	if len(rest) == 0 || rest[0] != '"' || end < 0 {
		return 0, "", fmt.Errorf("decode GET %s: bad next: %.100s", path, rest)
	}
	next = string(rest[1 : 1+end]) // cursors are base64url: no escapes
	return n, next, nil
}

// metrics reads GET /metrics and returns its unlabelled samples by metric name.
func (a *apiClient) metrics(ctx context.Context) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.base+"/metrics", nil)
	if err != nil {
		return nil, fmt.Errorf("GET /metrics: %w", err)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET /metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, readAPIError(http.MethodGet, "/metrics", resp)
	}
	m, err := parseMetrics(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("GET /metrics: %w", err)
	}
	return m, nil
}
