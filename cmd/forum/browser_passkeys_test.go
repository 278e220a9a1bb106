package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// TestBrowserPasskeys enrols a passkey in headless Chromium, with the
// DevTools protocol's virtual authenticator (CTAP2, resident keys, user
// verification), and signs in with it alone: through the app's own buttons,
// and through the client helper called from page script.
func TestBrowserPasskeys(t *testing.T) {
	browser := startChromium(t)
	e := newBrowserEnv(t, browser)
	// A relying party is a name, never an IP address: the tab reaches the
	// forum as localhost.
	_, port, err := net.SplitHostPort(e.srv.HTTP)
	if err != nil {
		t.Fatal(err)
	}
	e.base = "http://localhost:" + port
	ada := signUp(e.srv, "ada")
	p := e.newTab("ada")
	auth := p.virtualAuthenticator()

	p.signIn("ada")
	p.open("/settings", "settings")
	p.typeInto(`#add-passkey-form [name=name]`, "Laptop")
	p.click(`#add-passkey-form button[type=submit]`)
	p.waitJS("the passkey listed", `[...document.querySelectorAll('#passkey-list .passkey-name')].map((el) => el.textContent).join() === 'Laptop'`)
	axeClean(t, p, "settings with a passkey")

	creds := p.credentials(auth)
	if len(creds) != 1 || !creds[0].IsResidentCredential || len(creds[0].UserHandle) == 0 || creds[0].RpID != "localhost" {
		t.Fatalf("the authenticator holds %+v, want one discoverable credential for localhost", creds)
	}
	var list struct {
		Items []struct {
			ID, Name   string
			LastUsedAt string `json:"last_used_at"`
		} `json:"items"`
	}
	e.srv.mustDo("GET", "/api/me/passkeys", ada.Token, nil, http.StatusOK, &list)
	if len(list.Items) != 1 || list.Items[0].Name != "Laptop" || list.Items[0].LastUsedAt != "" {
		t.Fatalf("ada's passkeys: %+v", list.Items)
	}

	// Signed out, the passkey alone signs her in: no nickname, no password.
	p.click(`#signout`)
	p.waitJS("the signed-out header", `!document.getElementById('signout') && !!document.querySelector('#account a[href="/signin"]')`)
	p.open("/signin", "signin")
	p.click(`#passkey-signin`)
	p.waitView("feed")
	p.waitJS("the signed-in header", `document.querySelector('#account .me')?.textContent === 'ada'`)
	e.srv.mustDo("GET", "/api/me/passkeys", ada.Token, nil, http.StatusOK, &list)
	if len(list.Items) != 1 || list.Items[0].LastUsedAt == "" {
		t.Fatalf("after a sign-in with it, ada's passkeys: %+v", list.Items)
	}

	// The client helper, from page script. The authenticator that holds a
	// passkey of ada's is excluded from enrolling another.
	const enrolFromScript = `import('/assets/passkeys.js').then((m) => m.addPasskey('From script')).then((k) => k.name, (err) => err.name)`
	if got := eval[string](p, enrolFromScript); got != "InvalidStateError" {
		t.Fatalf("the same authenticator enrolled again: %q", got)
	}
	// Another authenticator enrols a second passkey, then signs in alone.
	p.removeAuthenticator(auth)
	auth = p.virtualAuthenticator()
	if got := eval[string](p, enrolFromScript); got != "From script" {
		t.Fatalf("the helper enrolled %q", got)
	}
	if n := len(p.credentials(auth)); n != 1 {
		t.Fatalf("the new authenticator holds %d credentials, want 1", n)
	}
	e.srv.mustDo("GET", "/api/me/passkeys", ada.Token, nil, http.StatusOK, &list)
	if len(list.Items) != 2 || list.Items[1].Name != "From script" {
		t.Fatalf("ada's passkeys: %+v", list.Items)
	}
	eval[chromedp.Void](p, `fetch('/api/signout', {method: 'POST', credentials: 'same-origin'}).then((r) => { if (!r.ok) throw new Error(r.status); })`)
	if got := eval[int](p, `fetch('/api/me', {credentials: 'same-origin'}).then((r) => r.status)`); got != http.StatusUnauthorized {
		t.Fatalf("signed out, /api/me answers %d", got)
	}
	raw := eval[string](p, `import('/assets/passkeys.js').then((m) => m.signInWithPasskey()).then((a) => JSON.stringify(a))`)
	var signed account
	if err := json.Unmarshal([]byte(raw), &signed); err != nil || signed.User.ID != ada.User.ID || signed.Token == "" {
		t.Fatalf("the helper signed in as %s (%v)", raw, err)
	}
	if got := eval[string](p, `fetch('/api/me', {credentials: 'same-origin'}).then((r) => r.json()).then((b) => b.user.nickname)`); got != "ada" {
		t.Fatalf("after the helper's sign-in, the session is %q's", got)
	}
}

// virtualAuthenticator gives the tab a CTAP2 authenticator of its own that
// keeps discoverable credentials and verifies its user at once.
func (p *tab) virtualAuthenticator() webauthn.AuthenticatorID {
	p.t.Helper()
	var id webauthn.AuthenticatorID
	p.do("add a virtual authenticator", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return err
		}
		res, err := cdp.Call(ctx, t, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21, Transport: webauthn.AuthenticatorTransportInternal,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
		}})
		id = res.AuthenticatorID
		return err
	}))
	return id
}

// removeAuthenticator takes the tab's virtual authenticator id away, with
// the credentials it holds.
func (p *tab) removeAuthenticator(id webauthn.AuthenticatorID) {
	p.t.Helper()
	p.do("remove the virtual authenticator", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, webauthn.RemoveVirtualAuthenticator, webauthn.RemoveVirtualAuthenticatorParams{AuthenticatorID: id})
		return err
	}))
}

// credentials returns what the tab's virtual authenticator holds.
func (p *tab) credentials(id webauthn.AuthenticatorID) []*webauthn.Credential {
	p.t.Helper()
	var creds []*webauthn.Credential
	p.do("read the authenticator's credentials", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		res, err := cdp.Call(ctx, t, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: id})
		creds = res.Credentials
		return err
	}))
	return creds
}
