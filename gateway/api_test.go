package gateway_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"forum/gateway"
	"forum/internal/forumtest"
	"forum/projections"
)

// scenario is one API request and what its answer must hold, in the style
// of PocketBase's API tests. Every scenario also checks what holds for every
// response: X-Content-Type-Options: nosniff, never a 500, and for an /api/
// error the JSON shape {"error": {"code", "message", "field"?}}.
type scenario struct {
	Name   string
	Method string
	URL    string
	// Body is nil for none, a string or []byte sent as is, anything else
	// marshalled as JSON.
	Body any
	// ContentType defaults to application/json when there is a body; "-"
	// sends none.
	ContentType string
	Headers     map[string]string
	Token       string // sent as a Bearer token; "" is anonymous

	ExpectedStatus     int
	ExpectedContent    []string          // substrings of the body
	NotExpectedContent []string          // strings the body must not contain
	ExpectedHeaders    map[string]string // header name → substring of its value
}

// apiReply is a response as the tests look at it.
type apiReply struct {
	Status int
	Header http.Header
	Body   []byte
}

// sendScenario makes one request to the forum.
func sendScenario(t testing.TB, base string, sc scenario) apiReply {
	t.Helper()
	var rd io.Reader
	ct := sc.ContentType
	switch b := sc.Body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	if rd != nil && ct == "" {
		ct = "application/json"
	}
	req, err := http.NewRequest(sc.Method, base+sc.URL, rd)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" && ct != "-" {
		req.Header.Set("Content-Type", ct)
	}
	if sc.Token != "" {
		req.Header.Set("Authorization", "Bearer "+sc.Token)
	}
	for k, v := range sc.Headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", sc.Method, sc.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", sc.Method, sc.URL, err)
	}
	return apiReply{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

// checkCommon checks what every response must hold.
func checkEveryResponse(t testing.TB, method, url string, r apiReply) {
	t.Helper()
	if got := r.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("%s %s: X-Content-Type-Options = %q, want nosniff", method, url, got)
	}
	if r.Status >= 500 {
		t.Errorf("%s %s: status %d: %s", method, url, r.Status, r.Body)
	}
	if r.Status >= 400 && strings.HasPrefix(url, "/api/") {
		checkErrorShape(t, method+" "+url, r)
	}
}

// checkErrorShape checks that r is the JSON error of docs/API.md, with the code
// that belongs to its status.
func checkErrorShape(t testing.TB, what string, r apiReply) {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: error Content-Type = %q, want JSON", what, ct)
	}
	var e struct {
		Error map[string]any `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil || e.Error == nil {
		t.Errorf("%s: error body %s is not {\"error\": {...}}: %v", what, r.Body, err)
		return
	}
	for k, v := range e.Error {
		if list, ok := v.([]any); ok && k == "errors" {
			// Several problems at once: each is {code, message, field?} too.
			for _, p := range list {
				m, _ := p.(map[string]any)
				for pk, pv := range m {
					if s, ok := pv.(string); !ok || s == "" || (pk != "code" && pk != "message" && pk != "field") {
						t.Errorf("%s: member %q = %v of one of the errors", what, pk, pv)
					}
				}
				if len(m) == 0 || m["code"] == nil || m["message"] == nil {
					t.Errorf("%s: one of the errors is %v", what, p)
				}
			}
			continue
		}
		if s, ok := v.(string); !ok || s == "" || (k != "code" && k != "message" && k != "field") {
			t.Errorf("%s: error member %q = %v: only non-empty strings code, message and field (and a list of errors) belong there", what, k, v)
		}
	}
	code, _ := e.Error["code"].(string)
	if _, ok := e.Error["message"]; !ok {
		t.Errorf("%s: error has no message: %s", what, r.Body)
	}
	want := map[int][]string{
		400: {"validation"}, 401: {"unauthenticated"}, 403: {"forbidden"}, 404: {"not_found"},
		405: {"method_not_allowed"}, 409: {"taken", "conflict"}, 413: {"too_large"},
		415: {"unsupported_media_type"}, 429: {"rate_limited"},
	}[r.Status]
	if want != nil && !inList(want, code) {
		t.Errorf("%s: status %d with code %q, want one of %q", what, r.Status, code, want)
	}
}

func inList(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// runScenarios runs scenarios in order (later ones may rely on earlier
// ones' writes), each as a subtest.
func runScenarios(t *testing.T, f *forumtest.Forum, scenarios []scenario) {
	t.Helper()
	for _, sc := range scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			r := sendScenario(t, f.URL, sc)
			checkEveryResponse(t, sc.Method, sc.URL, r)
			if r.Status != sc.ExpectedStatus {
				t.Fatalf("%s %s: status %d, want %d: %s", sc.Method, sc.URL, r.Status, sc.ExpectedStatus, r.Body)
			}
			for _, s := range sc.ExpectedContent {
				if !bytes.Contains(r.Body, []byte(s)) {
					t.Errorf("body lacks %s: %s", s, clipBody(r.Body))
				}
			}
			for _, s := range sc.NotExpectedContent {
				if bytes.Contains(r.Body, []byte(s)) {
					t.Errorf("body has %s: %s", s, clipBody(r.Body))
				}
			}
			for k, v := range sc.ExpectedHeaders {
				if got := strings.Join(r.Header.Values(k), "\n"); !strings.Contains(got, v) {
					t.Errorf("header %s = %q, want it to contain %q", k, got, v)
				}
			}
		})
	}
}

func clipBody(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

// bodyTooBig is a JSON object past the request body limit (256 KiB).
var bodyTooBig = `{"title":"big","body":"` + strings.Repeat("a", 257<<10) + `","categories":["general"]}`

// field is the ExpectedContent that names an error's field.
func fieldIs(name string) string { return `"field":"` + name + `"` }

const isValidation = `"code":"validation"`

func TestAPIAccounts(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	alice := f.SignUp("alice")
	signup := func(nick, email, password string) map[string]any {
		return map[string]any{"nickname": nick, "email": email, "password": password}
	}
	with := func(m map[string]any, k string, v any) map[string]any { m[k] = v; return m }
	runScenarios(t, f, []scenario{
		{Name: "signup", Method: "POST", URL: "/api/signup",
			Body:           map[string]any{"nickname": "carol", "email": "carol@example.com", "password": "password-carol", "first_name": "Carol", "age": 33},
			ExpectedStatus: 201, ExpectedContent: []string{`"user":{`, `"nickname":"carol"`, `"email":"carol@example.com"`, `"first_name":"Carol"`, `"age":33`, `"created_at":"`, `"token":"`},
			NotExpectedContent: []string{"password"},
			ExpectedHeaders:    map[string]string{"Set-Cookie": "forum_session=", "Content-Type": "application/json"}},
		{Name: "signup cookie is HttpOnly and SameSite=Lax", Method: "POST", URL: "/api/signup", Body: signup("cookie", "cookie@example.com", "password-x"),
			ExpectedStatus: 201, ExpectedHeaders: map[string]string{"Set-Cookie": "HttpOnly"}},
		{Name: "signup nickname of 3", Method: "POST", URL: "/api/signup", Body: signup("abc", "abc@example.com", "q7#Lm2vx"), ExpectedStatus: 201},
		{Name: "signup nickname of 24 with _.-", Method: "POST", URL: "/api/signup", Body: signup("a_b.c-"+strings.Repeat("x", 18), "long@example.com", "q7#Lm2vx"), ExpectedStatus: 201},
		{Name: "signup nickname of 2", Method: "POST", URL: "/api/signup", Body: signup("ab", "ab@example.com", "q7#Lm2vx"),
			ExpectedStatus: 400, ExpectedContent: []string{isValidation, fieldIs("nickname")}},
		{Name: "signup nickname of 25", Method: "POST", URL: "/api/signup", Body: signup(strings.Repeat("x", 25), "x25@example.com", "q7#Lm2vx"),
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("nickname")}},
		{Name: "signup nickname with a space", Method: "POST", URL: "/api/signup", Body: signup("bad name", "bad@example.com", "q7#Lm2vx"),
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("nickname")}},
		{Name: "signup nickname not ASCII", Method: "POST", URL: "/api/signup", Body: signup("zoë", "zoe@example.com", "q7#Lm2vx"),
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("nickname")}},
		{Name: "signup missing nickname", Method: "POST", URL: "/api/signup", Body: `{"email":"m@example.com","password":"q7#Lm2vx"}`,
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("nickname")}},
		{Name: "signup empty object", Method: "POST", URL: "/api/signup", Body: `{}`, ExpectedStatus: 400, ExpectedContent: []string{isValidation, `"field":"`}},
		{Name: "signup bad email", Method: "POST", URL: "/api/signup", Body: signup("dave", "not-an-email", "q7#Lm2vx"),
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("email")}},
		{Name: "signup email without a domain dot", Method: "POST", URL: "/api/signup", Body: signup("dave", "dave@localhost", "q7#Lm2vx"),
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("email")}},
		{Name: "signup email with a display name", Method: "POST", URL: "/api/signup", Body: signup("dave", "Dave <dave@example.com>", "q7#Lm2vx"),
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("email")}},
		{Name: "signup missing email", Method: "POST", URL: "/api/signup", Body: `{"nickname":"dave","password":"q7#Lm2vx"}`,
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("email")}},
		{Name: "signup password of 7", Method: "POST", URL: "/api/signup", Body: signup("dave", "dave@example.com", "1234567"),
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("password")}},
		{Name: "signup password of 7 characters in 14 bytes", Method: "POST", URL: "/api/signup", Body: signup("dave", "dave@example.com", strings.Repeat("é", 7)),
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("password")}},
		{Name: "signup password of 8 characters", Method: "POST", URL: "/api/signup", Body: signup("eve", "eve@example.com", "éàüöçñøå"), ExpectedStatus: 201},
		{Name: "signup password of 256", Method: "POST", URL: "/api/signup", Body: signup("fay", "fay@example.com", strings.Repeat("correct horse battery staple ", 9)[:256]), ExpectedStatus: 201},
		{Name: "signup common password", Method: "POST", URL: "/api/signup", Body: signup("gil", "gil@example.com", "Password1"),
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("password"), "common"}},
		{Name: "signup password is the nickname", Method: "POST", URL: "/api/signup", Body: signup("GilbertGrape", "gg@example.com", "gilbertgrape"),
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("password")}},
		{Name: "signup password is the email", Method: "POST", URL: "/api/signup", Body: signup("gilb", "gilb@example.com", "GILB@example.com"),
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("password")}},
		{Name: "signup nickname over 256 bytes", Method: "POST", URL: "/api/signup", Body: signup(strings.Repeat("n", 300), "n@example.com", "q7#Lm2vx"),
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("nickname")}},
		{Name: "signup first name with a bidi override", Method: "POST", URL: "/api/signup", Body: with(signup("bidi", "bidi@example.com", "q7#Lm2vx"), "first_name", "evil\u202egnp.exe"),
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("first_name")}},
		{Name: "signup first name with a C1 control", Method: "POST", URL: "/api/signup", Body: with(signup("cone", "cone@example.com", "q7#Lm2vx"), "first_name", "a\u0085b"),
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("first_name")}},
		{Name: "signup password of 257", Method: "POST", URL: "/api/signup", Body: signup("gus", "gus@example.com", strings.Repeat("p", 257)),
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("password")}},
		{Name: "signup age below 0", Method: "POST", URL: "/api/signup", Body: with(signup("hal", "hal@example.com", "q7#Lm2vx"), "age", -1),
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("age")}},
		{Name: "signup nickname taken ignoring case", Method: "POST", URL: "/api/signup", Body: signup("ALICE", "other@example.com", "q7#Lm2vx"),
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"taken"`, fieldIs("nickname")}},
		{Name: "signup email taken ignoring case", Method: "POST", URL: "/api/signup", Body: signup("alice2", "Alice@Example.COM", "q7#Lm2vx"),
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"taken"`, fieldIs("email")}},
		{Name: "signup nickname of wrong type", Method: "POST", URL: "/api/signup", Body: `{"nickname":5,"email":"n@example.com","password":"q7#Lm2vx"}`,
			ExpectedStatus: 400, ExpectedContent: []string{isValidation, fieldIs("nickname")}},
		{Name: "signup age of wrong type", Method: "POST", URL: "/api/signup", Body: `{"nickname":"ivan","email":"ivan@example.com","password":"q7#Lm2vx","age":"old"}`,
			ExpectedStatus: 400, ExpectedContent: []string{isValidation, fieldIs("age")}},
		{Name: "signup malformed JSON", Method: "POST", URL: "/api/signup", Body: `{"nickname":`, ExpectedStatus: 400, ExpectedContent: []string{isValidation}},
		{Name: "signup JSON array", Method: "POST", URL: "/api/signup", Body: `[]`, ExpectedStatus: 400, ExpectedContent: []string{isValidation}},
		{Name: "signup trailing data", Method: "POST", URL: "/api/signup", Body: `{} {}`, ExpectedStatus: 400, ExpectedContent: []string{isValidation}},
		{Name: "signup empty body", Method: "POST", URL: "/api/signup", Body: "", ExpectedStatus: 400, ExpectedContent: []string{isValidation}},
		{Name: "signup wrong content type", Method: "POST", URL: "/api/signup", Body: signup("judy", "judy@example.com", "q7#Lm2vx"), ContentType: "text/plain",
			ExpectedStatus: 415, ExpectedContent: []string{`"code":"unsupported_media_type"`}},
		{Name: "signup form post", Method: "POST", URL: "/api/signup", Body: "nickname=judy", ContentType: "application/x-www-form-urlencoded", ExpectedStatus: 415},
		{Name: "signup JSON with charset", Method: "POST", URL: "/api/signup", Body: signup("judy", "judy@example.com", "q7#Lm2vx"), ContentType: "application/json; charset=utf-8",
			ExpectedStatus: 201},
		{Name: "signup without a content type is served", Method: "POST", URL: "/api/signup", Body: signup("kim", "kim@example.com", "q7#Lm2vx"), ContentType: "-",
			ExpectedStatus: 201},
		{Name: "signup over the size limit", Method: "POST", URL: "/api/signup", Body: bodyTooBig, ExpectedStatus: 413, ExpectedContent: []string{`"code":"too_large"`}},

		{Name: "signin by nickname", Method: "POST", URL: "/api/signin", Body: map[string]string{"login": "alice", "password": "password-alice"},
			ExpectedStatus: 200, ExpectedContent: []string{`"nickname":"alice"`, `"email":"alice@example.com"`, `"token":"`},
			ExpectedHeaders: map[string]string{"Set-Cookie": "forum_session="}},
		{Name: "signin by email ignoring case", Method: "POST", URL: "/api/signin", Body: map[string]string{"login": "ALICE@example.com", "password": "password-alice"},
			ExpectedStatus: 200, ExpectedContent: []string{`"nickname":"alice"`}},
		{Name: "signin wrong password", Method: "POST", URL: "/api/signin", Body: map[string]string{"login": "carol", "password": "wrong-password"},
			ExpectedStatus: 401, ExpectedContent: []string{`"code":"unauthenticated"`}},
		{Name: "signin unknown user", Method: "POST", URL: "/api/signin", Body: map[string]string{"login": "nobody", "password": "whatever-1"},
			ExpectedStatus: 401, ExpectedContent: []string{`"code":"unauthenticated"`}},
		{Name: "signin missing login", Method: "POST", URL: "/api/signin", Body: map[string]string{"password": "password-alice"},
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("login")}},
		{Name: "signin missing password", Method: "POST", URL: "/api/signin", Body: map[string]string{"login": "alice"},
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("password")}},
		{Name: "signin login of wrong type", Method: "POST", URL: "/api/signin", Body: `{"login":["alice"],"password":"x"}`,
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("login")}},
		{Name: "signin malformed JSON", Method: "POST", URL: "/api/signin", Body: `{login:alice}`, ExpectedStatus: 400},
		{Name: "signin wrong content type", Method: "POST", URL: "/api/signin", Body: `{}`, ContentType: "text/xml", ExpectedStatus: 415},

		{Name: "me", Method: "GET", URL: "/api/me", Token: alice.Token, ExpectedStatus: 200, ExpectedContent: []string{`"email":"alice@example.com"`}},
		{Name: "me anonymous", Method: "GET", URL: "/api/me", ExpectedStatus: 401, ExpectedContent: []string{`"code":"unauthenticated"`}},
		{Name: "me with a made-up token", Method: "GET", URL: "/api/me", Token: "not-a-token", ExpectedStatus: 401},
		{Name: "me with HTTP Basic", Method: "GET", URL: "/api/me", Headers: map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:password-alice"))},
			ExpectedStatus: 200, ExpectedContent: []string{`"nickname":"alice"`}},
		{Name: "me with HTTP Basic, wrong password", Method: "GET", URL: "/api/me", Headers: map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:nope"))},
			ExpectedStatus: 401},
		{Name: "me with the cookie", Method: "GET", URL: "/api/me", Headers: map[string]string{"Cookie": gateway.CookieName + "=" + alice.Token}, ExpectedStatus: 200},
		{Name: "signout anonymous", Method: "POST", URL: "/api/signout", ExpectedStatus: 401},
		{Name: "signout", Method: "POST", URL: "/api/signout", Token: alice.Token, ExpectedStatus: 204},
		{Name: "token dead after signout", Method: "GET", URL: "/api/me", Token: alice.Token, ExpectedStatus: 401},
		{Name: "cookie dead after signout", Method: "GET", URL: "/api/me", Headers: map[string]string{"Cookie": gateway.CookieName + "=" + alice.Token}, ExpectedStatus: 401},
	})
}

// mkPost creates a post as c and returns it.
func mkPost(c *forumtest.Client, title string, categories ...string) projections.Post {
	c.F.T.Helper()
	if len(categories) == 0 {
		categories = []string{"general"}
	}
	var out struct{ Post projections.Post }
	c.MustDo("POST", "/api/posts", map[string]any{"title": title, "body": "Body of " + title, "categories": categories}, http.StatusCreated, &out)
	return out.Post
}

// mkComment comments on a post as c and returns the comment.
func mkComment(c *forumtest.Client, postID, body string) projections.Comment {
	c.F.T.Helper()
	var out struct{ Comment projections.Comment }
	c.MustDo("POST", "/api/posts/"+postID+"/comments", map[string]any{"body": body}, http.StatusCreated, &out)
	return out.Comment
}

// unknownID has the shape of an id but names nothing.
const unknownID = "0000000000000000000000000z"

func TestAPIPosts(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	alice, bob := f.SignUp("alice"), f.SignUp("bob")
	tok := alice.Token
	p := mkPost(alice, "First post", "general", "help")
	post := func(title, body string, cats ...string) map[string]any {
		return map[string]any{"title": title, "body": body, "categories": cats}
	}
	hugeCursor := base64.RawURLEncoding.EncodeToString([]byte("18446744073709551615"))
	runScenarios(t, f, []scenario{
		{Name: "create", Method: "POST", URL: "/api/posts", Token: tok, Body: post("Hello", "World", "general"),
			ExpectedStatus: 201, ExpectedContent: []string{`"post":{`, `"title":"Hello"`, `"body":"World"`, `"categories":["general"]`,
				`"author":{"id":"` + alice.User.ID + `","nickname":"alice"`, `"likes":0`, `"dislikes":0`, `"comment_count":0`, `"my_vote":0`, `"created_at":"`, `"deleted":false`, `"edited_at":null`},
			NotExpectedContent: []string{"email"}},
		{Name: "create anonymous", Method: "POST", URL: "/api/posts", Body: post("Hello", "World", "general"), ExpectedStatus: 401},
		{Name: "create stores text as typed", Method: "POST", URL: "/api/posts", Token: tok, Body: post("<b>bold</b> & 'quotes'", "<script>alert(1)</script>", "general"),
			ExpectedStatus: 201, ExpectedContent: []string{`"title":"<b>bold</b> & 'quotes'"`, `"body":"<script>alert(1)</script>"`}},
		{Name: "title of 200 characters in 400 bytes", Method: "POST", URL: "/api/posts", Token: tok, Body: post(strings.Repeat("é", 200), "b", "general"), ExpectedStatus: 201},
		{Name: "title of 201 characters", Method: "POST", URL: "/api/posts", Token: tok, Body: post(strings.Repeat("t", 201), "b", "general"),
			ExpectedStatus: 400, ExpectedContent: []string{isValidation, fieldIs("title")}},
		{Name: "title of 201 multibyte characters", Method: "POST", URL: "/api/posts", Token: tok, Body: post(strings.Repeat("日", 201), "b", "general"),
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("title")}},
		{Name: "title empty", Method: "POST", URL: "/api/posts", Token: tok, Body: post("", "b", "general"), ExpectedStatus: 400, ExpectedContent: []string{fieldIs("title")}},
		{Name: "title only spaces", Method: "POST", URL: "/api/posts", Token: tok, Body: post("   ", "b", "general"), ExpectedStatus: 400, ExpectedContent: []string{fieldIs("title")}},
		{Name: "title with a control character", Method: "POST", URL: "/api/posts", Token: tok, Body: post("a\x00b", "b", "general"), ExpectedStatus: 400, ExpectedContent: []string{fieldIs("title")}},
		{Name: "title missing", Method: "POST", URL: "/api/posts", Token: tok, Body: `{"body":"b","categories":["general"]}`, ExpectedStatus: 400, ExpectedContent: []string{fieldIs("title")}},
		{Name: "title of wrong type", Method: "POST", URL: "/api/posts", Token: tok, Body: `{"title":5,"body":"b","categories":["general"]}`,
			ExpectedStatus: 400, ExpectedContent: []string{isValidation, fieldIs("title")}},
		{Name: "body of 20000 characters in 60000 bytes", Method: "POST", URL: "/api/posts", Token: tok, Body: post("long", strings.Repeat("日", 20000), "general"), ExpectedStatus: 201},
		{Name: "body of 20001 characters", Method: "POST", URL: "/api/posts", Token: tok, Body: post("long", strings.Repeat("b", 20001), "general"),
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("body")}},
		{Name: "body empty", Method: "POST", URL: "/api/posts", Token: tok, Body: post("t", "", "general"), ExpectedStatus: 400, ExpectedContent: []string{fieldIs("body")}},
		{Name: "body missing", Method: "POST", URL: "/api/posts", Token: tok, Body: `{"title":"t","categories":["general"]}`, ExpectedStatus: 400, ExpectedContent: []string{fieldIs("body")}},
		{Name: "body of wrong type", Method: "POST", URL: "/api/posts", Token: tok, Body: `{"title":"t","body":{"text":"b"},"categories":["general"]}`,
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("body")}},
		{Name: "no categories", Method: "POST", URL: "/api/posts", Token: tok, Body: post("t", "b"), ExpectedStatus: 400, ExpectedContent: []string{fieldIs("categories")}},
		{Name: "categories missing", Method: "POST", URL: "/api/posts", Token: tok, Body: `{"title":"t","body":"b"}`, ExpectedStatus: 400, ExpectedContent: []string{fieldIs("categories")}},
		{Name: "categories null", Method: "POST", URL: "/api/posts", Token: tok, Body: `{"title":"t","body":"b","categories":null}`, ExpectedStatus: 400, ExpectedContent: []string{fieldIs("categories")}},
		{Name: "five categories", Method: "POST", URL: "/api/posts", Token: tok, Body: post("t", "b", "general", "help", "development", "showcase", "off-topic"),
			ExpectedStatus: 201, ExpectedContent: []string{`"categories":["general","help","development","showcase","off-topic"]`}},
		{Name: "six categories", Method: "POST", URL: "/api/posts", Token: tok, Body: post("t", "b", "general", "help", "development", "showcase", "off-topic", "feedback"),
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("categories")}},
		{Name: "repeated categories count once", Method: "POST", URL: "/api/posts", Token: tok, Body: post("t", "b", "help", "help", "general", "help"),
			ExpectedStatus: 201, ExpectedContent: []string{`"categories":["help","general"]`}},
		{Name: "unknown category", Method: "POST", URL: "/api/posts", Token: tok, Body: post("t", "b", "general", "no-such-category"),
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("categories"), "no-such-category"}},
		{Name: "unknown category named in whole characters", Method: "POST", URL: "/api/posts", Token: tok, Body: post("t", "b", "a"+strings.Repeat("é", 50)),
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("categories"), `\"a` + strings.Repeat("é", 39) + `…\"`}, NotExpectedContent: []string{`\ufffd`, "\ufffd"}},
		{Name: "category of wrong type", Method: "POST", URL: "/api/posts", Token: tok, Body: `{"title":"t","body":"b","categories":"general"}`,
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("categories")}},
		{Name: "category element of wrong type", Method: "POST", URL: "/api/posts", Token: tok, Body: `{"title":"t","body":"b","categories":[1]}`,
			ExpectedStatus: 400, ExpectedContent: []string{isValidation}},
		{Name: "malformed JSON", Method: "POST", URL: "/api/posts", Token: tok, Body: `{"title":"t",`, ExpectedStatus: 400, ExpectedContent: []string{isValidation}},
		{Name: "not JSON at all", Method: "POST", URL: "/api/posts", Token: tok, Body: "title=t", ExpectedStatus: 400},
		{Name: "wrong content type", Method: "POST", URL: "/api/posts", Token: tok, Body: post("t", "b", "general"), ContentType: "text/plain",
			ExpectedStatus: 415, ExpectedContent: []string{`"code":"unsupported_media_type"`}},
		{Name: "over the size limit", Method: "POST", URL: "/api/posts", Token: tok, Body: bodyTooBig, ExpectedStatus: 413, ExpectedContent: []string{`"code":"too_large"`}},

		{Name: "get", Method: "GET", URL: "/api/posts/" + p.ID, ExpectedStatus: 200,
			ExpectedContent: []string{`"id":"` + p.ID + `"`, `"title":"First post"`, `"categories":["general","help"]`, `"seq":` + strconv.FormatUint(p.Seq, 10)}},
		{Name: "get unknown", Method: "GET", URL: "/api/posts/" + unknownID, ExpectedStatus: 404, ExpectedContent: []string{`"code":"not_found"`}},
		{Name: "get malformed id", Method: "GET", URL: "/api/posts/not-an-id", ExpectedStatus: 404, ExpectedContent: []string{`"code":"not_found"`}},
		{Name: "list", Method: "GET", URL: "/api/posts", ExpectedStatus: 200, ExpectedContent: []string{`"items":[{`, `"next":null`, `"seq":`}},
		{Name: "list bad limit", Method: "GET", URL: "/api/posts?limit=ten", ExpectedStatus: 400, ExpectedContent: []string{fieldIs("limit")}},
		{Name: "list negative limit", Method: "GET", URL: "/api/posts?limit=-1", ExpectedStatus: 400, ExpectedContent: []string{fieldIs("limit")}},
		{Name: "list huge limit is capped", Method: "GET", URL: "/api/posts?limit=100000000", ExpectedStatus: 200},
		{Name: "list bad cursor", Method: "GET", URL: "/api/posts?cursor=garbage!", ExpectedStatus: 400, ExpectedContent: []string{fieldIs("cursor")}},
		{Name: "list cursor past int64", Method: "GET", URL: "/api/posts?cursor=" + hugeCursor, ExpectedStatus: 400, ExpectedContent: []string{fieldIs("cursor")}},
		{Name: "list unknown category is empty", Method: "GET", URL: "/api/posts?category=nope", ExpectedStatus: 200, ExpectedContent: []string{`"items":[]`, `"next":null`}},
		{Name: "list by an unknown author is empty", Method: "GET", URL: "/api/posts?author=" + unknownID, ExpectedStatus: 200, ExpectedContent: []string{`"items":[]`}},
		{Name: "categories", Method: "GET", URL: "/api/categories", ExpectedStatus: 200,
			ExpectedContent: []string{`"items":[{"slug":"general","name":"General","post_count":`, `"slug":"feedback"`, `"seq":`}},
		{Name: "my_vote is the reader's", Method: "PUT", URL: "/api/posts/" + p.ID + "/vote", Token: bob.Token, Body: map[string]int{"value": 1},
			ExpectedStatus: 200, ExpectedContent: []string{`{"likes":1,"dislikes":0,"my_vote":1}`}},
		{Name: "get as the voter", Method: "GET", URL: "/api/posts/" + p.ID, Token: bob.Token, ExpectedStatus: 200, ExpectedContent: []string{`"likes":1`, `"my_vote":1`}},
		{Name: "get as someone else", Method: "GET", URL: "/api/posts/" + p.ID, Token: tok, ExpectedStatus: 200, ExpectedContent: []string{`"likes":1`, `"my_vote":0`}},
	})

	// Post counts of categories follow creation.
	var cats projections.Page[projections.Category]
	f.Anon().MustDo("GET", "/api/categories", nil, http.StatusOK, &cats)
	counts := map[string]int{}
	for _, c := range cats.Items {
		counts[c.Slug] = c.PostCount
	}
	// general: First post, Hello, text as typed, 200 é, long, five, repeated = 7;
	// help: First post, five, repeated = 3; feedback: none.
	if want := map[string]int{"general": 7, "help": 3, "development": 1, "feedback": 0}; counts["general"] != want["general"] ||
		counts["help"] != want["help"] || counts["development"] != want["development"] || counts["feedback"] != want["feedback"] {
		t.Errorf("category post counts = %v, want %v", counts, want)
	}
	if len(cats.Items) < 6 {
		t.Errorf("%d categories, want at least 6", len(cats.Items))
	}
}

func TestAPICommentsAndVotes(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	alice, bob := f.SignUp("alice"), f.SignUp("bob")
	p := mkPost(alice, "Post", "general")
	c := mkComment(bob, p.ID, "A comment")
	runScenarios(t, f, []scenario{
		{Name: "comment", Method: "POST", URL: "/api/posts/" + p.ID + "/comments", Token: alice.Token, Body: map[string]string{"body": "Thanks!"},
			ExpectedStatus: 201, ExpectedContent: []string{`"comment":{`, `"post_id":"` + p.ID + `"`, `"body":"Thanks!"`, `"nickname":"alice"`, `"likes":0`, `"my_vote":0`, `"deleted":false`}},
		{Name: "comment anonymous", Method: "POST", URL: "/api/posts/" + p.ID + "/comments", Body: map[string]string{"body": "x"}, ExpectedStatus: 401},
		{Name: "comment empty", Method: "POST", URL: "/api/posts/" + p.ID + "/comments", Token: alice.Token, Body: map[string]string{"body": ""},
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("body")}},
		{Name: "comment missing body", Method: "POST", URL: "/api/posts/" + p.ID + "/comments", Token: alice.Token, Body: `{}`,
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("body")}},
		{Name: "comment of 10000 characters", Method: "POST", URL: "/api/posts/" + p.ID + "/comments", Token: alice.Token, Body: map[string]string{"body": strings.Repeat("ü", 10000)},
			ExpectedStatus: 201},
		{Name: "comment of 10001 characters", Method: "POST", URL: "/api/posts/" + p.ID + "/comments", Token: alice.Token, Body: map[string]string{"body": strings.Repeat("c", 10001)},
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("body")}},
		{Name: "comment of wrong type", Method: "POST", URL: "/api/posts/" + p.ID + "/comments", Token: alice.Token, Body: `{"body":true}`,
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("body")}},
		{Name: "comment malformed", Method: "POST", URL: "/api/posts/" + p.ID + "/comments", Token: alice.Token, Body: `{"body":"x"`, ExpectedStatus: 400},
		{Name: "comment wrong content type", Method: "POST", URL: "/api/posts/" + p.ID + "/comments", Token: alice.Token, Body: `{"body":"x"}`, ContentType: "text/html", ExpectedStatus: 415},
		{Name: "comment too large", Method: "POST", URL: "/api/posts/" + p.ID + "/comments", Token: alice.Token, Body: bodyTooBig, ExpectedStatus: 413},
		{Name: "comment on an unknown post", Method: "POST", URL: "/api/posts/" + unknownID + "/comments", Token: alice.Token, Body: map[string]string{"body": "x"}, ExpectedStatus: 404},
		{Name: "comment on a malformed id", Method: "POST", URL: "/api/posts/x/comments", Token: alice.Token, Body: map[string]string{"body": "x"}, ExpectedStatus: 404},
		{Name: "list comments", Method: "GET", URL: "/api/posts/" + p.ID + "/comments", ExpectedStatus: 200,
			ExpectedContent: []string{`"items":[{"id":"` + c.ID + `"`, `"body":"Thanks!"`, `"next":null`, `"seq":`}},
		{Name: "list comments of an unknown post", Method: "GET", URL: "/api/posts/" + unknownID + "/comments", ExpectedStatus: 404},
		{Name: "list comments of a malformed id", Method: "GET", URL: "/api/posts/%20/comments", ExpectedStatus: 404},
		{Name: "list comments bad cursor", Method: "GET", URL: "/api/posts/" + p.ID + "/comments?cursor=AAAA", ExpectedStatus: 400, ExpectedContent: []string{fieldIs("cursor")}},
		{Name: "list comments bad limit", Method: "GET", URL: "/api/posts/" + p.ID + "/comments?limit=1.5", ExpectedStatus: 400, ExpectedContent: []string{fieldIs("limit")}},
		{Name: "get comment", Method: "GET", URL: "/api/comments/" + c.ID, ExpectedStatus: 200, ExpectedContent: []string{`"comment":{"id":"` + c.ID + `"`, `"body":"A comment"`}},
		{Name: "get unknown comment", Method: "GET", URL: "/api/comments/" + unknownID, ExpectedStatus: 404},
		{Name: "get malformed comment id", Method: "GET", URL: "/api/comments/abc", ExpectedStatus: 404},
		{Name: "comment_count", Method: "GET", URL: "/api/posts/" + p.ID, ExpectedStatus: 200, ExpectedContent: []string{`"comment_count":3`}},

		{Name: "like", Method: "PUT", URL: "/api/posts/" + p.ID + "/vote", Token: bob.Token, Body: map[string]int{"value": 1},
			ExpectedStatus: 200, ExpectedContent: []string{`{"likes":1,"dislikes":0,"my_vote":1}`}},
		{Name: "like again keeps one like", Method: "PUT", URL: "/api/posts/" + p.ID + "/vote", Token: bob.Token, Body: map[string]int{"value": 1},
			ExpectedStatus: 200, ExpectedContent: []string{`{"likes":1,"dislikes":0,"my_vote":1}`}},
		{Name: "dislike replaces the like", Method: "PUT", URL: "/api/posts/" + p.ID + "/vote", Token: bob.Token, Body: map[string]int{"value": -1},
			ExpectedStatus: 200, ExpectedContent: []string{`{"likes":0,"dislikes":1,"my_vote":-1}`}},
		{Name: "another reader likes", Method: "PUT", URL: "/api/posts/" + p.ID + "/vote", Token: alice.Token, Body: map[string]int{"value": 1},
			ExpectedStatus: 200, ExpectedContent: []string{`{"likes":1,"dislikes":1,"my_vote":1}`}},
		{Name: "zero withdraws", Method: "PUT", URL: "/api/posts/" + p.ID + "/vote", Token: bob.Token, Body: map[string]int{"value": 0},
			ExpectedStatus: 200, ExpectedContent: []string{`{"likes":1,"dislikes":0,"my_vote":0}`}},
		{Name: "zero again is a no-op", Method: "PUT", URL: "/api/posts/" + p.ID + "/vote", Token: bob.Token, Body: map[string]int{"value": 0},
			ExpectedStatus: 200, ExpectedContent: []string{`{"likes":1,"dislikes":0,"my_vote":0}`}},
		{Name: "vote 2", Method: "PUT", URL: "/api/posts/" + p.ID + "/vote", Token: bob.Token, Body: map[string]int{"value": 2},
			ExpectedStatus: 400, ExpectedContent: []string{isValidation, fieldIs("value")}},
		{Name: "vote -2", Method: "PUT", URL: "/api/posts/" + p.ID + "/vote", Token: bob.Token, Body: map[string]int{"value": -2},
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("value")}},
		{Name: "vote as a string", Method: "PUT", URL: "/api/posts/" + p.ID + "/vote", Token: bob.Token, Body: `{"value":"1"}`,
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("value")}},
		{Name: "vote as a fraction", Method: "PUT", URL: "/api/posts/" + p.ID + "/vote", Token: bob.Token, Body: `{"value":0.5}`,
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("value")}},
		{Name: "vote as a boolean", Method: "PUT", URL: "/api/posts/" + p.ID + "/vote", Token: bob.Token, Body: `{"value":true}`,
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("value")}},
		{Name: "vote missing value", Method: "PUT", URL: "/api/posts/" + p.ID + "/vote", Token: bob.Token, Body: `{}`,
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("value")}},
		{Name: "vote null", Method: "PUT", URL: "/api/posts/" + p.ID + "/vote", Token: bob.Token, Body: `{"value":null}`,
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("value")}},
		{Name: "vote huge", Method: "PUT", URL: "/api/posts/" + p.ID + "/vote", Token: bob.Token, Body: `{"value":1e400}`, ExpectedStatus: 400},
		{Name: "vote malformed", Method: "PUT", URL: "/api/posts/" + p.ID + "/vote", Token: bob.Token, Body: `value=1`, ExpectedStatus: 400},
		{Name: "vote wrong content type", Method: "PUT", URL: "/api/posts/" + p.ID + "/vote", Token: bob.Token, Body: `{"value":1}`, ContentType: "text/plain", ExpectedStatus: 415},
		{Name: "vote anonymous", Method: "PUT", URL: "/api/posts/" + p.ID + "/vote", Body: map[string]int{"value": 1}, ExpectedStatus: 401},
		{Name: "vote on an unknown post", Method: "PUT", URL: "/api/posts/" + unknownID + "/vote", Token: bob.Token, Body: map[string]int{"value": 1}, ExpectedStatus: 404},
		{Name: "vote on a malformed post id", Method: "PUT", URL: "/api/posts/nope/vote", Token: bob.Token, Body: map[string]int{"value": 1}, ExpectedStatus: 404},
		{Name: "post votes in the post", Method: "GET", URL: "/api/posts/" + p.ID, Token: alice.Token, ExpectedStatus: 200,
			ExpectedContent: []string{`"likes":1`, `"dislikes":0`, `"my_vote":1`}},

		{Name: "like a comment", Method: "PUT", URL: "/api/comments/" + c.ID + "/vote", Token: alice.Token, Body: map[string]int{"value": 1},
			ExpectedStatus: 200, ExpectedContent: []string{`{"likes":1,"dislikes":0,"my_vote":1}`}},
		{Name: "like a comment again", Method: "PUT", URL: "/api/comments/" + c.ID + "/vote", Token: alice.Token, Body: map[string]int{"value": 1},
			ExpectedStatus: 200, ExpectedContent: []string{`{"likes":1,"dislikes":0,"my_vote":1}`}},
		{Name: "dislike a comment", Method: "PUT", URL: "/api/comments/" + c.ID + "/vote", Token: bob.Token, Body: map[string]int{"value": -1},
			ExpectedStatus: 200, ExpectedContent: []string{`{"likes":1,"dislikes":1,"my_vote":-1}`}},
		{Name: "comment vote 3", Method: "PUT", URL: "/api/comments/" + c.ID + "/vote", Token: bob.Token, Body: map[string]int{"value": 3},
			ExpectedStatus: 400, ExpectedContent: []string{fieldIs("value")}},
		{Name: "comment vote anonymous", Method: "PUT", URL: "/api/comments/" + c.ID + "/vote", Body: map[string]int{"value": 1}, ExpectedStatus: 401},
		{Name: "vote on an unknown comment", Method: "PUT", URL: "/api/comments/" + unknownID + "/vote", Token: bob.Token, Body: map[string]int{"value": 1}, ExpectedStatus: 404},
		{Name: "vote on a post id as a comment", Method: "PUT", URL: "/api/comments/" + p.ID + "/vote", Token: bob.Token, Body: map[string]int{"value": 1}, ExpectedStatus: 404},
		{Name: "comment votes in the list", Method: "GET", URL: "/api/posts/" + p.ID + "/comments", Token: bob.Token, ExpectedStatus: 200,
			ExpectedContent: []string{`"id":"` + c.ID + `"`, `"likes":1,"dislikes":1,"my_vote":-1`}},
	})
}

func TestAPIUsers(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	alice, bob := f.SignUp("alice"), f.SignUp("bob")
	p := mkPost(alice, "One", "general")
	mkPost(alice, "Two", "help")
	mkComment(bob, p.ID, "hi")
	runScenarios(t, f, []scenario{
		{Name: "profile", Method: "GET", URL: "/api/users/" + alice.User.ID, ExpectedStatus: 200,
			ExpectedContent:    []string{`"user":{"id":"` + alice.User.ID + `","nickname":"alice","created_at":"`, `"post_count":2`, `"comment_count":0`, `"online":false`},
			NotExpectedContent: []string{"email"}},
		{Name: "profile of a commenter", Method: "GET", URL: "/api/users/" + bob.User.ID, Token: alice.Token, ExpectedStatus: 200,
			ExpectedContent: []string{`"post_count":0`, `"comment_count":1`}, NotExpectedContent: []string{"bob@example.com"}},
		{Name: "own profile has the email", Method: "GET", URL: "/api/users/" + alice.User.ID, Token: alice.Token, ExpectedStatus: 200,
			ExpectedContent: []string{`"email":"alice@example.com"`, `"post_count":2`}},
		{Name: "unknown user", Method: "GET", URL: "/api/users/" + unknownID, ExpectedStatus: 404, ExpectedContent: []string{`"code":"not_found"`}},
		{Name: "malformed user id", Method: "GET", URL: "/api/users/alice", ExpectedStatus: 404, ExpectedContent: []string{`"code":"not_found"`}},
		{Name: "malformed user id with odd characters", Method: "GET", URL: "/api/users/%27%3B--", ExpectedStatus: 404},
		{Name: "posts by author", Method: "GET", URL: "/api/posts?author=" + alice.User.ID, ExpectedStatus: 200,
			ExpectedContent: []string{`"title":"Two"`, `"title":"One"`}},
	})
}

func TestAPIRoutingAndHeaders(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	alice := f.SignUp("alice")
	p := mkPost(alice, "Post", "general")
	runScenarios(t, f, []scenario{
		{Name: "unknown api path", Method: "GET", URL: "/api/nope", ExpectedStatus: 404, ExpectedContent: []string{`"code":"not_found"`}},
		{Name: "unknown nested api path", Method: "POST", URL: "/api/posts/" + p.ID + "/nope", Token: alice.Token, Body: `{}`, ExpectedStatus: 404},
		{Name: "api root", Method: "GET", URL: "/api/", ExpectedStatus: 404},
		{Name: "wrong method on categories", Method: "DELETE", URL: "/api/categories", Token: alice.Token, ExpectedStatus: 405,
			ExpectedContent: []string{`"code":"method_not_allowed"`}, ExpectedHeaders: map[string]string{"Allow": "GET"}},
		{Name: "wrong method on a post", Method: "POST", URL: "/api/posts/" + p.ID, Token: alice.Token, Body: `{}`, ExpectedStatus: 405,
			ExpectedHeaders: map[string]string{"Allow": "GET, HEAD, PATCH, DELETE"}},
		{Name: "wrong method on signup", Method: "GET", URL: "/api/signup", ExpectedStatus: 405, ExpectedHeaders: map[string]string{"Allow": "POST"}},
		{Name: "wrong method on the feed", Method: "PUT", URL: "/api/posts", Token: alice.Token, Body: `{}`, ExpectedStatus: 405,
			ExpectedHeaders: map[string]string{"Allow": "GET, HEAD, POST"}},
		{Name: "wrong method on a vote", Method: "POST", URL: "/api/posts/" + p.ID + "/vote", Token: alice.Token, Body: `{"value":1}`, ExpectedStatus: 405,
			ExpectedHeaders: map[string]string{"Allow": "PUT"}},
		{Name: "HEAD of a GET route", Method: "HEAD", URL: "/api/categories", ExpectedStatus: 200},
		{Name: "health", Method: "GET", URL: "/health", ExpectedStatus: 200, ExpectedContent: []string{"OK"}},
		{Name: "api health", Method: "GET", URL: "/api/health", ExpectedStatus: 200,
			ExpectedContent: []string{`"status":"ok"`, `"stream_seq":`, `"projection_seq":`, `"lag":`, `"nats":"embedded"`}},
		{Name: "metrics", Method: "GET", URL: "/metrics", ExpectedStatus: 200, ExpectedContent: []string{"forum_http_requests_total"}},
		{Name: "asset", Method: "GET", URL: "/assets/app.js", ExpectedStatus: 200},
		{Name: "missing asset", Method: "GET", URL: "/assets/no-such-file.js", ExpectedStatus: 404},
		{Name: "unknown page", Method: "GET", URL: "/no/such/page", ExpectedStatus: 404},
	})

	// Pages: the SPA with a CSP whose script policy has no 'unsafe-inline'.
	for _, page := range []string{"/", "/c/general", "/posts/" + p.ID, "/new", "/new-topic", "/signin", "/signup", "/users/" + alice.User.ID,
		"/chat", "/chat/" + alice.User.ID, "/rooms", "/rooms/general"} {
		r := sendScenario(t, f.URL, scenario{Method: "GET", URL: page})
		checkEveryResponse(t, "GET", page, r)
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
			t.Errorf("GET %s = %d %q, want 200 text/html", page, r.Status, r.Header.Get("Content-Type"))
		}
		scriptPolicy := cspDirective(r.Header.Get("Content-Security-Policy"), "script-src")
		if scriptPolicy == "" {
			scriptPolicy = cspDirective(r.Header.Get("Content-Security-Policy"), "default-src")
		}
		if scriptPolicy == "" || strings.Contains(scriptPolicy, "'unsafe-inline'") {
			t.Errorf("GET %s: Content-Security-Policy %q: script policy %q must exist without 'unsafe-inline'", page, r.Header.Get("Content-Security-Policy"), scriptPolicy)
		}
	}
}

// cspDirective returns the value of one directive of a CSP, "" if absent.
func cspDirective(csp, name string) string {
	for _, d := range strings.Split(csp, ";") {
		d = strings.TrimSpace(d)
		if d == name || strings.HasPrefix(d, name+" ") {
			return strings.TrimSpace(strings.TrimPrefix(d, name))
		}
	}
	return ""
}

func TestCrossSiteRequests(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	alice := f.SignUp("alice")
	p := mkPost(alice, "Post", "general")
	foreign := map[string]string{"Origin": "https://evil.example"}
	own := map[string]string{"Origin": f.URL}
	newPost := map[string]any{"title": "t", "body": "b", "categories": []string{"general"}}
	runScenarios(t, f, []scenario{
		{Name: "foreign POST", Method: "POST", URL: "/api/posts", Token: alice.Token, Headers: foreign, Body: newPost,
			ExpectedStatus: 403, ExpectedContent: []string{`"code":"forbidden"`}},
		{Name: "foreign POST with the cookie", Method: "POST", URL: "/api/posts", Headers: map[string]string{"Origin": "https://evil.example", "Cookie": gateway.CookieName + "=" + alice.Token},
			Body: newPost, ExpectedStatus: 403},
		{Name: "foreign signup", Method: "POST", URL: "/api/signup", Headers: foreign, Body: map[string]string{"nickname": "mallory", "email": "m@example.com", "password": "q7#Lm2vx"},
			ExpectedStatus: 403},
		{Name: "foreign PUT", Method: "PUT", URL: "/api/posts/" + p.ID + "/vote", Token: alice.Token, Headers: foreign, Body: map[string]int{"value": 1}, ExpectedStatus: 403},
		{Name: "foreign PATCH", Method: "PATCH", URL: "/api/posts/" + p.ID, Token: alice.Token, Headers: foreign, Body: map[string]string{"title": "x"}, ExpectedStatus: 403},
		{Name: "foreign DELETE", Method: "DELETE", URL: "/api/posts/" + p.ID, Token: alice.Token, Headers: foreign, ExpectedStatus: 403},
		{Name: "null origin", Method: "POST", URL: "/api/posts", Token: alice.Token, Headers: map[string]string{"Origin": "null"}, Body: newPost, ExpectedStatus: 403},
		{Name: "foreign GET is served", Method: "GET", URL: "/api/posts/" + p.ID, Headers: foreign, ExpectedStatus: 200},
		{Name: "own origin POST", Method: "POST", URL: "/api/posts", Token: alice.Token, Headers: own, Body: newPost, ExpectedStatus: 201},
		{Name: "no origin POST", Method: "POST", URL: "/api/posts", Token: alice.Token, Body: newPost, ExpectedStatus: 201},
	})

	// --allowed-origins lets a named origin in, and only that one.
	gw := forumtest.NewGateway(gateway.Config{Commands: f.Cmds, DB: f.DB, Projector: f.Proj, Store: f.Store, AllowedOrigins: []string{"https://app.example/"}})
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		origin string
		want   int
	}{{"https://app.example", 201}, {"https://app.example.evil", 403}, {"http://app.example", 403}} {
		r := sendScenario(t, srv.URL, scenario{Method: "POST", URL: "/api/posts", Token: alice.Token, Headers: map[string]string{"Origin": tc.origin}, Body: newPost})
		checkEveryResponse(t, "POST", "/api/posts", r)
		if r.Status != tc.want {
			t.Errorf("allowed origins: Origin %s: status %d, want %d: %s", tc.origin, r.Status, tc.want, r.Body)
		}
	}
}

func TestRateLimits(t *testing.T) {
	t.Parallel()
	for _, on := range []bool{true, false} {
		t.Run(fmt.Sprintf("rateLimits=%v", on), func(t *testing.T) {
			t.Parallel()
			f := forumtest.Start(t, forumtest.Options{RateLimits: on})
			// Writes: 40 at once, then 10 a second. 200 bad sign-ups in a row
			// are far quicker than the 16 s the bucket would need.
			var limited *apiReply
			for i := 0; i < 200 && limited == nil; i++ {
				r := sendScenario(t, f.URL, scenario{Method: "POST", URL: "/api/signup", Body: `{}`})
				checkEveryResponse(t, "POST", "/api/signup", r)
				if r.Status == http.StatusTooManyRequests {
					limited = &r
				} else if r.Status != http.StatusBadRequest {
					t.Fatalf("bad signup: status %d: %s", r.Status, r.Body)
				}
			}
			// Reads: 200 at once, then 50 a second.
			var readLimited *apiReply
			for i := 0; i < 1000 && readLimited == nil; i++ {
				r := sendScenario(t, f.URL, scenario{Method: "GET", URL: "/api/categories"})
				checkEveryResponse(t, "GET", "/api/categories", r)
				if r.Status == http.StatusTooManyRequests {
					readLimited = &r
				}
			}
			if !on {
				if limited != nil || readLimited != nil {
					t.Fatal("rate limited with rate limits off")
				}
				return
			}
			for name, r := range map[string]*apiReply{"writes": limited, "reads": readLimited} {
				if r == nil {
					t.Errorf("%s: never rate limited", name)
					continue
				}
				if n, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || n < 1 {
					t.Errorf("%s: Retry-After = %q, want whole seconds >= 1", name, r.Header.Get("Retry-After"))
				}
			}
		})
	}
}

// Failed sign-ins are throttled per (login, address) and per address, never
// per account alone: nobody can lock a victim out from elsewhere, and the
// answers are the same whether or not an account exists.
func TestSignInThrottling(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{}) // rate limits off: the throttling of failed sign-ins stays on
	f.SignUp("alice")
	f.SignUp("bob")
	signin := func(from, login, password string) int {
		t.Helper()
		status, body := f.Anon().From(from).Do("POST", "/api/signin", map[string]string{"login": login, "password": password})
		if status != http.StatusOK && status != http.StatusUnauthorized && status != http.StatusTooManyRequests {
			t.Fatalf("sign-in as %s from %s: %d %s", login, from, status, body)
		}
		return status
	}
	failures := func(from, login string) []int {
		var got []int
		for range 12 {
			got = append(got, signin(from, login, "wrong-password"))
		}
		return got
	}
	want := []int{401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 429, 429}
	if got := failures("127.0.0.2", "alice"); !slices.Equal(got, want) {
		t.Errorf("failures as alice: %v, want %v", got, want)
	}
	if got := signin("127.0.0.2", "alice", "password-alice"); got != http.StatusTooManyRequests {
		t.Errorf("the right password from the throttled address: %d, want 429", got)
	}
	// No lockout: the right password from another address signs in.
	if got := signin("127.0.0.3", "alice", "password-alice"); got != http.StatusOK {
		t.Errorf("alice from another address: %d, want 200", got)
	}
	// An account that does not exist answers exactly the same.
	if got := failures("127.0.0.2", "nobody"); !slices.Equal(got, want) {
		t.Errorf("failures as nobody: %v, want %v (as for an account that exists)", got, want)
	}
	// The email has a budget of its own: it tells nothing of the nickname.
	if got := signin("127.0.0.2", "alice@example.com", "wrong-password"); got != http.StatusUnauthorized {
		t.Errorf("alice's email after her nickname was throttled: %d, want 401", got)
	}
	// Per address across logins: one address trying many accounts is stopped.
	var last int
	for i := range 40 {
		last = signin("127.0.0.4", fmt.Sprintf("user%d", i), "wrong-password")
	}
	if last != http.StatusTooManyRequests || signin("127.0.0.4", "bob", "password-bob") != http.StatusTooManyRequests {
		t.Errorf("40 logins tried from one address: last %d, want 429 for every login", last)
	}
	if got := signin("127.0.0.5", "bob", "password-bob"); got != http.StatusOK {
		t.Errorf("bob from another address: %d, want 200", got)
	}
	hc := forumtest.HTTPFrom("127.0.0.2")
	req, _ := http.NewRequest("POST", f.URL+"/api/signin", strings.NewReader(`{"login":"alice","password":"wrong-password"}`))
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if n, err := strconv.Atoi(resp.Header.Get("Retry-After")); resp.StatusCode != 429 || err != nil || n < 1 {
		t.Errorf("throttled: %d, Retry-After %q; want 429 with whole seconds >= 1", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// Too long to be a login or password: 400 before any work.
	for _, body := range []map[string]string{{"login": strings.Repeat("a", 257), "password": "x"}, {"login": "alice", "password": strings.Repeat("p", 257)}} {
		if status, _ := f.Anon().From("127.0.0.6").Do("POST", "/api/signin", body); status != http.StatusBadRequest {
			t.Errorf("sign-in with a %d-byte login and %d-byte password: %d, want 400", len(body["login"]), len(body["password"]), status)
		}
	}
}

// TestGarbageNeverFails throws odd paths, queries and bodies at every
// route: none may answer 500, and every /api/ error keeps the JSON shape.
func TestGarbageNeverFails(t *testing.T) {
	t.Parallel()
	f := forumtest.Start(t, forumtest.Options{})
	alice, bob := f.SignUp("alice"), f.SignUp("bob")
	p := mkPost(alice, "Post", "general")
	c := mkComment(alice, p.ID, "Comment")
	mkComment(bob, p.ID, "Another")

	paths := []string{
		"/api/posts", "/api/posts/" + p.ID, "/api/posts/" + p.ID + "/comments", "/api/posts/" + p.ID + "/vote",
		"/api/comments/" + c.ID, "/api/comments/" + c.ID + "/vote", "/api/users/" + bob.User.ID, "/api/signup", "/api/signin",
		"/api/me", "/api/categories", "/api/contacts", "/api/chats/" + bob.User.ID + "/messages", "/api/chats/" + bob.User.ID + "/read",
		"/api/rooms", "/api/rooms/general/messages",
		// From here on, odd paths and queries.
		"/api/posts/%00", "/api/posts/" + strings.Repeat("a", 5000), "/api/users/..%2f..%2fetc%2fpasswd", "/api/posts/%ff%fe/comments",
		"/api/rooms/UPPER/messages", "/api/rooms/" + strings.Repeat("r", 40) + "/messages", "/api/chats/" + alice.User.ID + "/messages",
		"/api/posts?limit=1e9", "/api/posts?limit=99999999999999999999999", "/api/posts?cursor=%ff%fe", "/api/posts?cursor=" + base64.RawURLEncoding.EncodeToString([]byte("-5")),
		"/api/posts?cursor=" + base64.RawURLEncoding.EncodeToString([]byte("0")), "/api/posts?category=%00&author=%27&liked_by=x&disliked_by=y",
		"/api/posts/" + p.ID + "/comments?cursor=" + base64.RawURLEncoding.EncodeToString([]byte("99999999999999999999")),
		"/api/rooms/general/messages?cursor=" + base64.RawURLEncoding.EncodeToString([]byte("9223372036854775808")),
		"/api/chats/" + bob.User.ID + "/messages?limit=-0", "/api/posts?limit=0x10", "/api/%2e%2e/health",
	}
	routes := slices.Index(paths, "/api/posts/%00")
	bodies := []string{
		"", "null", "[]", `"string"`, "1", "true", "{", "}", `{"title":null,"body":null,"categories":null}`,
		`{"categories":[null]}`, `{"categories":[["general"]]}`, `{"value":1e400}`, `{"value":-0}`, `{"value":"💥"}`,
		`{"body":"\ud800"}`, "{\"body\":\"\xff\xfe\"}", `{"up_to":5}`, `{"up_to":"` + c.ID + `"}`, `{"body":"x","client_id":{}}`,
		`{"title":"t","body":"b","categories":["general"],"title":"again"}`, strings.Repeat("[", 20000) + strings.Repeat("]", 20000),
		`{"login":"alice","password":"` + strings.Repeat("x", 100000) + `"}`, `{"nickname":"a","email":"@","password":"` + strings.Repeat("\u0000", 300) + `"}`,
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 10 {
		b := make([]byte, rng.IntN(300))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		bodies = append(bodies, string(b))
	}
	methods := []string{"GET", "POST", "PUT", "PATCH", "DELETE"}
	for pi, path := range paths {
		for _, method := range methods {
			for i, body := range bodies {
				if method == "GET" && i > 0 {
					break // GET bodies are ignored; once is enough
				}
				if pi >= routes && i >= 3 {
					break // odd paths and queries: a few bodies suffice
				}
				toks := []string{bob.Token}
				if method == "GET" {
					toks = append(toks, "")
				}
				for _, tok := range toks {
					sc := scenario{Method: method, URL: path, Token: tok}
					if method != "GET" {
						sc.Body = body
					}
					r := sendScenario(t, f.URL, sc)
					checkEveryResponse(t, method, path, r)
					if r.Status == http.StatusOK || r.Status == http.StatusCreated || r.Status == http.StatusNoContent {
						continue
					}
					if r.Status < 400 && r.Status != http.StatusMovedPermanently && r.Status != http.StatusTemporaryRedirect {
						t.Errorf("%s %s %.40q: status %d", method, path, body, r.Status)
					}
				}
			}
		}
		if t.Failed() {
			return
		}
	}
	// The forum still works afterwards.
	mkPost(alice, "Still here", "general")
}

// jsonBody is v as a JSON request body.
func jsonBody(v any) *strings.Reader {
	b, _ := json.Marshal(v)
	return strings.NewReader(string(b))
}

// doJSON sends req, fails unless the status is want, and decodes the body
// into out.
func doJSON(t *testing.T, req *http.Request, want int, out any) *http.Response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d: %s", req.Method, req.URL.Path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatal(err)
		}
	}
	return resp
}
