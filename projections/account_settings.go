package projections

import (
	"context"
	"slices"
	"strconv"

	"forum/events"
)

// passwordChanged puts the account's new password hash in place and ends
// every session of the account but the one kept: those started later come
// after this event and stay.
func (a *applier) passwordChanged(_ events.Event, d events.PasswordChangedData) error {
	if d.PasswordHash == events.ErasedText { // the account is erased: its key is gone
		return nil
	}
	if _, err := a.exec(`UPDATE users SET password_hash = ? WHERE id = ? AND erased = 0`, d.PasswordHash, d.UserID); err != nil {
		return err
	}
	_, err := a.exec(`UPDATE sessions SET ended = 1 WHERE user_id = ? AND id != ? AND ended = 0`, d.UserID, d.KeepSessionID)
	return err
}

// profileUpdated sets the profile fields the event names; the others stay.
func (a *applier) profileUpdated(_ events.Event, d events.ProfileUpdatedData) error {
	has := func(f events.ProfileField) bool { return slices.Contains(d.Changed, f) }
	age, _ := strconv.Atoi(d.Age) // "" (none) or an erased account's text reads 0
	_, err := a.exec(`UPDATE users SET
		first_name = CASE WHEN ?1 THEN ?2 ELSE first_name END,
		last_name = CASE WHEN ?3 THEN ?4 ELSE last_name END,
		age = CASE WHEN ?5 THEN ?6 ELSE age END,
		gender = CASE WHEN ?7 THEN ?8 ELSE gender END,
		bio = CASE WHEN ?9 THEN ?10 ELSE bio END
		WHERE id = ?11 AND erased = 0`,
		b2i(has(events.ProfileFirstName)), d.FirstName, b2i(has(events.ProfileLastName)), d.LastName,
		b2i(has(events.ProfileAge)), age, b2i(has(events.ProfileGender)), d.Gender,
		b2i(has(events.ProfileBio)), d.Bio, d.UserID)
	return err
}

// preferencesSet stores the account's preferences.
func (a *applier) preferencesSet(_ events.Event, d events.PreferencesSetData) error {
	_, err := a.exec(`UPDATE users SET email_notifications = ? WHERE id = ?`, string(d.EmailNotifications), d.UserID)
	return err
}

// Preferences are a user's choices about their account.
type Preferences struct {
	EmailNotifications events.EmailNotifications `json:"email_notifications"`
}

// Preferences returns user's preferences, ENOTFOUND if there is no such user.
func (db *DB) Preferences(ctx context.Context, userID events.UserID) (Preferences, error) {
	return one(ctx, db, "user", `SELECT email_notifications FROM users WHERE id = ?`, func(row scanner) (p Preferences, err error) {
		err = row.Scan(&p.EmailNotifications)
		return p, err
	}, string(userID))
}

// PasswordHash returns the hash user's password checks against now ("" for
// an erased account), ENOTFOUND if there is no such user.
func (db *DB) PasswordHash(ctx context.Context, userID events.UserID) (string, error) {
	return one(ctx, db, "user", `SELECT password_hash FROM users WHERE id = ?`, func(row scanner) (h string, err error) {
		err = row.Scan(&h)
		return h, err
	}, string(userID))
}
