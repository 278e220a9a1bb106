package projections

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"forum/events"
)

// The read model of two factors: each user's authenticator and recovery
// codes (schemas/sql/004_totp.sql). Its secrets are the user's alone: no
// answer of the API carries them, and erasure drops them.

func (a *applier) totpStarted(_ events.Event, d events.TOTPStartedData) error {
	if d.Secret == events.ErasedText { // the account is erased: its key is gone
		return nil
	}
	_, err := a.exec(`INSERT INTO totp(user_id, pending_secret) VALUES (?1, ?2)
		ON CONFLICT(user_id) DO UPDATE SET pending_secret = ?2`, d.UserID, d.Secret)
	return err
}

func (a *applier) totpEnabled(_ events.Event, d events.TOTPEnabledData) error {
	if d.RecoveryHashes == events.ErasedText {
		return nil
	}
	if _, err := a.exec(`UPDATE totp SET secret = pending_secret, pending_secret = '', last_step = max(last_step, ?2)
		WHERE user_id = ?1 AND pending_secret != ''`, d.UserID, d.Step); err != nil {
		return err
	}
	if _, err := a.exec(`DELETE FROM totp_recovery WHERE user_id = ?`, d.UserID); err != nil {
		return err
	}
	for i, h := range strings.Fields(d.RecoveryHashes) {
		if _, err := a.exec(`INSERT OR IGNORE INTO totp_recovery(user_id, n, hash) VALUES (?, ?, ?)`, d.UserID, i+1, h); err != nil {
			return err
		}
	}
	return nil
}

func (a *applier) totpUsed(_ events.Event, d events.TOTPUsedData) error {
	if _, err := a.exec(`UPDATE totp SET last_step = max(last_step, ?2) WHERE user_id = ?1`, d.UserID, d.Step); err != nil {
		return err
	}
	if d.RecoveryCode == 0 {
		return nil
	}
	_, err := a.exec(`UPDATE totp_recovery SET used = 1 WHERE user_id = ? AND n = ?`, d.UserID, d.RecoveryCode)
	return err
}

func (a *applier) totpDisabled(_ events.Event, d events.TOTPDisabledData) error {
	return a.dropTOTP(string(d.UserID))
}

// dropTOTP forgets user's authenticator and recovery codes.
func (a *applier) dropTOTP(user string) error {
	if _, err := a.exec(`DELETE FROM totp WHERE user_id = ?`, user); err != nil {
		return err
	}
	_, err := a.exec(`DELETE FROM totp_recovery WHERE user_id = ?`, user)
	return err
}

// RecoveryCode is one of a user's recovery codes: its number (1 to 10), the
// hex SHA-256 of the code, and whether it was spent.
type RecoveryCode struct {
	N    int
	Hash string
	Used bool
}

// TOTP is a user's second factor as the read models hold it. The zero
// value is a user without one.
type TOTP struct {
	// PendingSecret is the secret of an enrolment not yet confirmed ("": none).
	PendingSecret string
	// Secret is the secret sign-ins ask a code of ("": two factors are off).
	Secret string
	// LastStep is the time step of the last code taken.
	LastStep int64
	Recovery []RecoveryCode
}

// On reports whether sign-ins of the user ask for a second factor.
func (t TOTP) On() bool { return t.Secret != "" }

// TOTP returns user's second factor: the zero TOTP for a user who has none.
func (db *DB) TOTP(ctx context.Context, user events.UserID) (TOTP, error) {
	var t TOTP
	err := db.queryRow(ctx, `SELECT pending_secret, secret, last_step FROM totp WHERE user_id = ?`, string(user)).Scan(&t.PendingSecret, &t.Secret, &t.LastStep)
	if errors.Is(err, sql.ErrNoRows) {
		return TOTP{}, nil
	}
	if err != nil || !t.On() {
		return t, err
	}
	rows, err := db.query(ctx, `SELECT n, hash, used FROM totp_recovery WHERE user_id = ? ORDER BY n`, string(user))
	if err != nil {
		return TOTP{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var c RecoveryCode
		if err := rows.Scan(&c.N, &c.Hash, &c.Used); err != nil {
			return TOTP{}, err
		}
		t.Recovery = append(t.Recovery, c)
	}
	return t, rows.Err()
}

// TOTPOn reports whether sign-ins of user ask for a second factor.
func (db *DB) TOTPOn(ctx context.Context, user events.UserID) (bool, error) {
	var on bool
	err := db.queryRow(ctx, `SELECT secret != '' FROM totp WHERE user_id = ?`, string(user)).Scan(&on)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return on, err
}
