package gateway_test

import (
	"net/http"
	"testing"

	"forum/internal/forumtest"
)

// BenchmarkPasskeySignIn measures a whole passkey sign-in over HTTP: begin
// (a ceremony kept in the shared bucket), the authenticator's signature,
// and finish (the ceremony taken, the assertion verified, passkey.used and
// session.started appended and applied).
func BenchmarkPasskeySignIn(b *testing.B) {
	f := forumtest.Start(b, forumtest.Options{Empty: true})
	ann := byName(f.SignUp("ann"))
	key := newSoftKey(b)
	enrol(ann, key, "Laptop")
	anon := &forumtest.Client{F: ann.F}
	b.ResetTimer()
	for range b.N {
		anon.MustDo("POST", "/api/signin/passkey/finish", key.get(beginSignIn(ann), origin(ann), 1), http.StatusOK, nil)
	}
}
