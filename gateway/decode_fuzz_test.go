package gateway

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"forum/commands"
	"forum/fault"
)

// FuzzDecode feeds the request decoder arbitrary bodies and content types,
// into every input shape the handlers use: it never panics, and every
// refusal is an application error that maps to a 4xx.
func FuzzDecode(f *testing.F) {
	for _, seed := range []struct{ ct, body string }{
		{"application/json", `{"nickname":"ada","email":"ada@example.com","password":"a-good-passphrase"}`},
		{"application/json; charset=utf-8", `{"title":"t","body":"b","categories":["general"]}`},
		{"", `{"value":1}`},
		{"text/plain", `{}`},
		{"application/json", `{"title":5}`},
		{"application/json", `[] {}`},
		{"application/json", `{"categories":null,"title":"\u0000"}`},
		{"application/json;;", `{"a":` + strings.Repeat("[", 1000)},
	} {
		f.Add(seed.ct, []byte(seed.body))
	}
	targets := []func() any{
		func() any { return &commands.RegisterInput{} },
		func() any { return &commands.PostInput{} },
		func() any { return &commands.PostPatch{} },
		func() any { return &messageInput{} },
		func() any { return &struct{ Login, Password string }{} },
		func() any { return &struct{ Value *int }{} },
		func() any {
			return &struct {
				UpTo string `json:"up_to"`
			}{}
		},
	}
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		for _, target := range targets {
			r := httptest.NewRequest("POST", "/api/x", strings.NewReader(string(body)))
			if contentType != "" {
				r.Header.Set("Content-Type", contentType)
			}
			err := decode(httptest.NewRecorder(), r, target())
			if err == nil {
				continue
			}
			var e *fault.Error
			if !errors.As(err, &e) {
				t.Fatalf("decode %q as %T: %v is not an application error", body, target(), err)
			}
			if s := statusOf(e.Code); s < 400 || s > 499 {
				t.Fatalf("decode %q: code %s maps to %d", body, e.Code, s)
			}
		}
	})
}
