package projections

import (
	"context"
	"fmt"
	"strings"

	"forum/events"
)

// The purposes of a link sent by mail.
const (
	TokenVerify = "verify"
	TokenReset  = "reset"
)

// Verified says whether an account's address was verified, told to the
// account's owner only: the zero value is not told (left out of JSON, as
// in the profiles others read); the others are false and true.
type Verified int8

// The values of Verified.
const (
	VerifiedUntold Verified = iota
	VerifiedNo
	VerifiedYes
)

// MarshalJSON writes true or false.
func (v Verified) MarshalJSON() ([]byte, error) {
	if v == VerifiedYes {
		return []byte("true"), nil
	}
	return []byte("false"), nil
}

// UnmarshalJSON reads true or false.
func (v *Verified) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "true":
		*v = VerifiedYes
	case "false":
		*v = VerifiedNo
	default:
		return fmt.Errorf("email_verified: want true or false, not %s", b)
	}
	return nil
}

// MailToken is a link sent by mail, found by the hash of its token.
type MailToken struct {
	Purpose   string
	UserID    string
	Email     string
	Change    bool
	ExpiresAt string
	Used      bool
}

// insertToken keeps a link's token hash, and forgets the user's links of
// the same purpose that had expired when it was made, so each user keeps
// only the links still good (and those made while they are).
func (a *applier) insertToken(ev events.Event, purpose, user, email, hash string, change bool, expires string) error {
	if _, err := a.exec(`DELETE FROM mail_tokens WHERE user_id = ? AND purpose = ? AND expires_at < ?`, user, purpose, FormatTime(ev.Time)); err != nil {
		return err
	}
	_, err := a.exec(`INSERT OR IGNORE INTO mail_tokens(token_hash, purpose, user_id, email, change, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		hash, purpose, user, email, b2i(change), expires)
	return err
}

func (a *applier) verificationRequested(ev events.Event, d events.VerificationRequestedData) error {
	if d.Email == events.ErasedText {
		return nil // the user is erased: the link can do nothing
	}
	return a.insertToken(ev, TokenVerify, d.UserID, d.Email, d.TokenHash, d.Change, FormatTime(d.ExpiresAt))
}

// emailVerified marks the address verified, makes it the account's (a new
// address replaces the old one), and uses up every verification link of
// the account.
func (a *applier) emailVerified(_ events.Event, d events.EmailVerifiedData) error {
	if _, err := a.exec(`UPDATE mail_tokens SET used = 1 WHERE user_id = ? AND purpose = ?`, d.UserID, TokenVerify); err != nil {
		return err
	}
	if d.Email == events.ErasedText || d.Email == "" {
		return nil
	}
	_, err := a.exec(`UPDATE users SET email = ?, email_key = ?, email_verified = 1 WHERE id = ? AND erased = 0`, d.Email, strings.ToLower(d.Email), d.UserID)
	return err
}

func (a *applier) resetRequested(ev events.Event, d events.ResetRequestedData) error {
	if d.Email == events.ErasedText {
		return nil
	}
	return a.insertToken(ev, TokenReset, d.UserID, d.Email, d.TokenHash, false, FormatTime(d.ExpiresAt))
}

// passwordReset sets the new password hash, uses up every reset link of
// the account and ends all its sessions.
func (a *applier) passwordReset(_ events.Event, d events.PasswordResetData) error {
	if _, err := a.exec(`UPDATE mail_tokens SET used = 1 WHERE user_id = ? AND purpose = ?`, d.UserID, TokenReset); err != nil {
		return err
	}
	if _, err := a.exec(`UPDATE sessions SET ended = 1 WHERE user_id = ?`, d.UserID); err != nil {
		return err
	}
	if d.PasswordHash == events.ErasedText {
		return nil
	}
	_, err := a.exec(`UPDATE users SET password_hash = ? WHERE id = ? AND erased = 0`, d.PasswordHash, d.UserID)
	return err
}

// MailToken returns the link whose token hashes to hash, ENOTFOUND if none.
func (db *DB) MailToken(ctx context.Context, hash string) (MailToken, error) {
	return one(ctx, db, "link", `SELECT purpose, user_id, email, change, expires_at, used FROM mail_tokens WHERE token_hash = ?`, func(row scanner) (t MailToken, err error) {
		err = row.Scan(&t.Purpose, &t.UserID, &t.Email, &t.Change, &t.ExpiresAt, &t.Used)
		return t, err
	}, hash)
}

// Erased reports whether user's account is erased; ENOTFOUND if there is
// no such account.
func (db *DB) Erased(ctx context.Context, user events.UserID) (bool, error) {
	return one(ctx, db, "user", `SELECT erased FROM users WHERE id = ?`, func(row scanner) (erased bool, err error) {
		err = row.Scan(&erased)
		return erased, err
	}, string(user))
}
