package main

import (
	"fmt"
	"net/http"
	"testing"
)

// TestBrowserAccountSettings signs up with three fields (the rest folded
// under "More about you"), writes a profile and a bio in settings and sees
// the bio on the profile, changes the password (a wrong current one shows
// beside its field and signs nobody out; the right one ends the other
// sessions) and signs in with the new one, and sets the mail preference;
// sign-up and settings are axe-clean, settings at 375 px too.
func TestBrowserAccountSettings(t *testing.T) {
	browser := startChromium(t)
	e := newBrowserEnv(t, browser)
	p := e.newTab("ada")

	p.open("/signup", "signup")
	if eval[bool](p, `document.getElementById('more-about-you').open`) {
		t.Error("the optional fields are unfolded")
	}
	axeClean(t, p, "sign-up")
	p.typeInto(`#signup-form [name=nickname]`, "ada")
	p.fill(`#signup-form [name=email]`, "ada@example.com")
	p.fill(`#signup-form [name=password]`, password("ada"))
	p.click(`#signup-form button[type=submit]`)
	p.waitView("feed")
	p.waitJS("the signed-in header", `document.querySelector('#account .me')?.textContent === 'ada'`)
	id := eval[string](p, `fetch('/api/me').then((r) => r.json()).then((b) => b.user.id)`)
	// Another session of ada's, to be ended by the password change.
	var other account
	e.srv.mustDo("POST", "/api/signin", "", map[string]any{"login": "ada", "password": password("ada")}, http.StatusOK, &other)

	p.open("/settings", "settings")
	axeClean(t, p, "settings")
	p.waitJS("two sessions listed", `document.querySelectorAll('#session-list .session').length === 2`)
	const bio = "Poetical scientist.\nNotes on the <Analytical Engine> & **looms**."
	p.typeInto(`#profile-form [name=first_name]`, "Ada")
	p.fill(`#profile-form [name=bio]`, bio)
	p.click(`#profile-form button[type=submit]`)
	p.waitJS("the profile saved", `document.getElementById('profile-status').textContent === 'Your profile is saved.'`)
	// A bio over 1,000 characters is refused beside its field.
	eval[bool](p, `(() => { const b = document.querySelector('#profile-form [name=bio]'); b.removeAttribute('maxlength'); b.value = 'x'.repeat(1001); return true; })()`)
	p.click(`#profile-form button[type=submit]`)
	p.waitJS("the bio refused", `!!document.querySelector('#profile-form .field-error[data-field=bio]:not([hidden])')`)

	p.open("/users/"+id, "profile")
	p.waitJS("the bio on the profile", fmt.Sprintf(`document.getElementById('profile-bio')?.textContent === %q`, bio))
	if got := eval[int](p, `document.querySelector('#profile-bio').children.length`); got != 0 {
		t.Errorf("the bio is rendered as HTML: %d elements", got)
	}

	// The password: a wrong current one, then the right one.
	const fresh = "a brand new secret"
	p.open("/settings", "settings")
	p.fill(`#password-form [name=current_password]`, "not my password")
	p.fill(`#password-form [name=password]`, fresh)
	p.click(`#password-form button[type=submit]`)
	p.waitJS("the wrong password beside its field", `document.querySelector('#password-form .field-error[data-field=current_password]')?.textContent === 'wrong password'`)
	if got := p.text(`#account .me`); got != "ada" {
		t.Errorf("a wrong current password signed the app out: header %q", got)
	}
	p.clear(`#password-form [name=current_password]`)
	p.fill(`#password-form [name=current_password]`, password("ada"))
	p.click(`#password-form button[type=submit]`)
	p.waitJS("the password changed", `document.getElementById('password-status').textContent.startsWith('Your password is changed.')`)
	p.waitJS("one session left", `document.querySelectorAll('#session-list .session').length === 1`)
	if status, _ := e.srv.do("GET", "/api/me", other.Token, nil); status != http.StatusUnauthorized {
		t.Errorf("ada's other session after the change: %d, want 401", status)
	}

	// Notifications.
	p.click(`#mail-weekly`)
	p.click(`#notifications-form button[type=submit]`)
	p.waitJS("the preference saved", `document.getElementById('notifications-status').textContent === 'Saved.'`)
	if got := eval[string](p, `fetch('/api/me').then((r) => r.json()).then((b) => b.preferences.email_notifications)`); got != "weekly" {
		t.Errorf("the preference: %q", got)
	}

	p.setWidth(375)
	p.open("/settings", "settings")
	p.waitJS("the sessions listed", `document.querySelectorAll('#session-list .session').length === 1`)
	if !eval[bool](p, `document.getElementById('mail-weekly').checked`) {
		t.Error("settings do not show the preference set")
	}
	axeClean(t, p, "settings at 375 px")
	p.screenshot("settings-account")

	// Signed out, the new password signs in through the form.
	p.click(`#signout`)
	p.waitJS("the signed-out header", `!document.getElementById('signout') && !!document.querySelector('#account a[href="/signin"]')`)
	p.open("/signin", "signin")
	p.typeInto(`#signin-form [name=login]`, "ada")
	p.typeInto(`#signin-form [name=password]`, fresh)
	p.click(`#signin-form button[type=submit]`)
	p.waitView("feed")
	p.waitJS("signed in again", `document.querySelector('#account .me')?.textContent === 'ada'`)
}
