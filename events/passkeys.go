package events

// Passkeys: a user's WebAuthn credentials, each a sign-in of its own. A
// user's passkey events share one subject (forum.passkey.USER), so each is
// decided against the user's latest: the bound on their number, a rename
// or removal, and the signature counter of a sign-in hold under
// concurrency.
const (
	PasskeyAdded   Type = "passkey.added"
	PasskeyRenamed Type = "passkey.renamed"
	PasskeyUsed    Type = "passkey.used"
	PasskeyRemoved Type = "passkey.removed"
)

// PasskeyAddedData is the payload of passkey.added: UserID enrolled a
// passkey, PasskeyID, named Name. CredentialID is the authenticator's id of
// the credential (base64url), Credential the credential record as the
// WebAuthn library keeps it (JSON: public key, flags, signature counter,
// authenticator model, transports). The public key is not secret, but the
// credential's id and the record tie an authenticator to a person, so the
// name, the id and the record are sealed under the user's key: erasure
// makes them unreadable in every copy of the log.
type PasskeyAddedData struct {
	UserID       UserID `json:"user_id"`
	PasskeyID    string `json:"passkey_id"`
	Name         string `json:"name"`
	CredentialID string `json:"credential_id"`
	Credential   string `json:"credential"`
}

// Personal seals the passkey's name, credential id and record under its
// user's key.
func (d *PasskeyAddedData) Personal(string) (string, []*string) {
	return string(d.UserID), []*string{&d.Name, &d.CredentialID, &d.Credential}
}

// Credentials returns the key material, left out of exports: an export lists
// the passkey by id and name.
func (d *PasskeyAddedData) Credentials() []*string { return []*string{&d.CredentialID, &d.Credential} }

// PasskeyRenamedData is the payload of passkey.renamed: UserID named their
// passkey PasskeyID Name.
type PasskeyRenamedData struct {
	UserID    UserID `json:"user_id"`
	PasskeyID string `json:"passkey_id"`
	Name      string `json:"name"`
}

// Personal seals the new name under its user's key.
func (d *PasskeyRenamedData) Personal(string) (string, []*string) {
	return string(d.UserID), []*string{&d.Name}
}

// PasskeyUsedData is the payload of passkey.used: UserID signed in with the
// passkey PasskeyID, whose credential record is now Credential (its
// signature counter and flags as the assertion left them, which the next
// sign-in is checked against).
type PasskeyUsedData struct {
	UserID     UserID `json:"user_id"`
	PasskeyID  string `json:"passkey_id"`
	Credential string `json:"credential"`
}

// Personal seals the credential record under its user's key.
func (d *PasskeyUsedData) Personal(string) (string, []*string) {
	return string(d.UserID), []*string{&d.Credential}
}

// Credentials returns the key material, left out of exports.
func (d *PasskeyUsedData) Credentials() []*string { return []*string{&d.Credential} }

// PasskeyRemovedData is the payload of passkey.removed: UserID removed their
// passkey PasskeyID, which signs nobody in any more.
type PasskeyRemovedData struct {
	UserID    UserID `json:"user_id"`
	PasskeyID string `json:"passkey_id"`
}
