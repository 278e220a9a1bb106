package events

import "time"

// Event types of an account's e-mail address and password, and of the mail
// the outbox sent because of them.
const (
	// VerificationRequested: a link to verify an address was made for an
	// account (at sign-up, or for a new address replacing the account's).
	VerificationRequested Type = "verification.requested"
	// EmailVerified: an account's address was verified (and, for a new
	// address, replaced the old one). Its subject is the link's token hash,
	// so a token is used once.
	EmailVerified Type = "email.verified"
	// ResetRequested: a link to reset an account's password was made.
	ResetRequested Type = "reset.requested"
	// PasswordReset: an account's password was set through a reset link,
	// ending every session of the account. Its subject is the link's token
	// hash, so a token is used once.
	PasswordReset Type = "password.reset"
	// MailSent: the outbox handed a mail to the mail server (or wrote it
	// to a file). It names the event that caused it, never the mail's text.
	MailSent Type = "mail.sent"
)

// MailKind names what a mail is for.
type MailKind string

// The kinds of mail.
const (
	MailVerify MailKind = "verify"
	MailReset  MailKind = "reset"
)

// VerificationRequestedData is the payload of verification.requested. Token
// is the link's secret, sealed under the user's key so that the outbox can
// write it into the mail while the log never holds it in clear (and the
// user's erasure destroys it); TokenHash, its SHA-256 in hex, is what a
// verification is checked against.
type VerificationRequestedData struct {
	UserID    string    `json:"user_id"`
	Email     string    `json:"email"`
	Token     string    `json:"token"`
	TokenHash string    `json:"token_hash"`
	ExpiresAt time.Time `json:"expires_at"`
	// Change is true for a new address that replaces the account's once
	// verified; false for the account's own address (sign-up).
	Change bool `json:"change,omitempty"`
}

// Personal seals the address and the token under the user's key.
func (d *VerificationRequestedData) Personal(string) (string, []*string) {
	return d.UserID, []*string{&d.Email, &d.Token}
}

// Credentials returns the link's token and its hash: left out of exports.
func (d *VerificationRequestedData) Credentials() []*string {
	return []*string{&d.Token, &d.TokenHash}
}

// EmailVerifiedData is the payload of email.verified: Email is the address
// verified, which is the account's from then on. TokenHash names the link
// used (empty for an account the forum counts as verified, the demo's).
type EmailVerifiedData struct {
	UserID    string `json:"user_id"`
	Email     string `json:"email"`
	TokenHash string `json:"token_hash,omitempty"`
}

// Personal seals the address under the user's key.
func (d *EmailVerifiedData) Personal(string) (string, []*string) {
	return d.UserID, []*string{&d.Email}
}

// Credentials returns the link's token hash: left out of exports.
func (d *EmailVerifiedData) Credentials() []*string { return []*string{&d.TokenHash} }

// ResetRequestedData is the payload of reset.requested:
// Token is the link's secret sealed under the user's key, as in
// VerificationRequestedData, and Email the address it is sent to.
type ResetRequestedData struct {
	UserID    string    `json:"user_id"`
	Email     string    `json:"email"`
	Token     string    `json:"token"`
	TokenHash string    `json:"token_hash"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Personal seals the address and the token under the user's key.
func (d *ResetRequestedData) Personal(string) (string, []*string) {
	return d.UserID, []*string{&d.Email, &d.Token}
}

// Credentials returns the link's token and its hash: left out of exports.
func (d *ResetRequestedData) Credentials() []*string {
	return []*string{&d.Token, &d.TokenHash}
}

// PasswordResetData is the payload of password.reset. PasswordHash is the
// new password's argon2id hash, never the password.
type PasswordResetData struct {
	UserID       string `json:"user_id"`
	TokenHash    string `json:"token_hash"`
	PasswordHash string `json:"password_hash"`
}

// Personal seals the password hash under the user's key.
func (d *PasswordResetData) Personal(string) (string, []*string) {
	return d.UserID, []*string{&d.PasswordHash}
}

// Credentials returns the password hash and the link's token hash: left
// out of exports.
func (d *PasswordResetData) Credentials() []*string {
	return []*string{&d.PasswordHash, &d.TokenHash}
}

// MailSentData is the payload of mail.sent: the mail of kind Kind caused by
// the event CauseID (at CauseSeq) was handed on, with Message-ID MessageID.
type MailSentData struct {
	UserID    string   `json:"user_id"`
	Kind      MailKind `json:"kind"`
	CauseID   string   `json:"cause_id"`
	CauseSeq  uint64   `json:"cause_seq"`
	MessageID string   `json:"message_id"`
}
