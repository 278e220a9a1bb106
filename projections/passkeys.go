package projections

import (
	"context"
	"database/sql"
	"errors"

	"forum/events"
	"forum/fault"
)

// MaxPasskeys bounds the passkeys one user keeps, decided by the commands
// against the log.
const MaxPasskeys = 20

// passkeyAdded records an enrolled passkey. A credential id enrolled
// already (by anyone) keeps its first enrolment: the second row is not
// written, and the command that wrote it finds no passkey and says so.
func (a *applier) passkeyAdded(ev events.Event, d events.PasskeyAddedData) error {
	_, err := a.exec(`INSERT OR IGNORE INTO passkeys(user_id, id, name, credential_id, credential, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		d.UserID, d.PasskeyID, d.Name, d.CredentialID, d.Credential, FormatTime(ev.Time))
	return err
}

func (a *applier) passkeyRenamed(_ events.Event, d events.PasskeyRenamedData) error {
	_, err := a.exec(`UPDATE passkeys SET name = ? WHERE user_id = ? AND id = ?`, d.Name, d.UserID, d.PasskeyID)
	return err
}

// passkeyUsed keeps the credential record a sign-in left (its signature
// counter and flags) and when it was.
func (a *applier) passkeyUsed(ev events.Event, d events.PasskeyUsedData) error {
	_, err := a.exec(`UPDATE passkeys SET credential = ?, last_used_at = ? WHERE user_id = ? AND id = ?`,
		d.Credential, FormatTime(ev.Time), d.UserID, d.PasskeyID)
	return err
}

func (a *applier) passkeyRemoved(_ events.Event, d events.PasskeyRemovedData) error {
	_, err := a.exec(`DELETE FROM passkeys WHERE user_id = ? AND id = ?`, d.UserID, d.PasskeyID)
	return err
}

// Passkey is one of a user's passkeys as they see it listed: no key
// material.
type Passkey struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	CreatedAt  string `json:"created_at"`
	LastUsedAt string `json:"last_used_at,omitempty"`
}

// PasskeyRecord is a passkey with what verifies it: the user it signs in,
// the authenticator's credential id and the credential record (JSON).
type PasskeyRecord struct {
	Passkey
	UserID       events.UserID
	CredentialID string
	Credential   string
}

const passkeyCols = `id, name, created_at, last_used_at, user_id, credential_id, credential`

func scanPasskey(s scanner) (PasskeyRecord, error) {
	var p PasskeyRecord
	err := s.Scan(&p.ID, &p.Name, &p.CreatedAt, &p.LastUsedAt, &p.UserID, &p.CredentialID, &p.Credential)
	return p, err
}

// Passkeys returns user's passkeys with their records, the oldest first.
func (db *DB) Passkeys(ctx context.Context, user events.UserID) ([]PasskeyRecord, error) {
	rows, err := db.query(ctx, `SELECT `+passkeyCols+` FROM passkeys WHERE user_id = ? ORDER BY created_at, id`, user)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PasskeyRecord
	for rows.Next() {
		p, err := scanPasskey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PasskeyByCredential returns the passkey whose authenticator's credential
// id is credentialID (base64url), ENOTFOUND if none.
func (db *DB) PasskeyByCredential(ctx context.Context, credentialID string) (PasskeyRecord, error) {
	p, err := scanPasskey(db.queryRow(ctx, `SELECT `+passkeyCols+` FROM passkeys WHERE credential_id = ?`, credentialID))
	if errors.Is(err, sql.ErrNoRows) {
		return p, fault.Errorf(fault.ENOTFOUND, "passkey not found")
	}
	return p, err
}
