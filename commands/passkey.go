package commands

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"forum/events"
	"forum/fault"
	"forum/projections"
)

// PasskeyRP is the relying party a passkey ceremony runs for: the forum as
// the browser reached it.
type PasskeyRP struct {
	// ID is the relying party's id: the forum's host name, without a port.
	ID string
	// Origin is the forum's origin, scheme://host[:port]: the one page
	// origin a ceremony is accepted from.
	Origin string
	// Name is what an authenticator shows the forum as.
	Name string
}

// MaxPasskeyNameLen bounds a passkey's name, in characters.
const MaxPasskeyNameLen = 64

// maxCredentialLen bounds the credential a browser sends, in bytes: a few
// kilobytes in practice.
const maxCredentialLen = 64 << 10

// Ceremony kinds, kept with each ceremony so an enrolment's challenge never
// finishes a sign-in, nor the other way round.
const (
	ceremonyEnrol  = "enrol"
	ceremonySignIn = "sign-in"
)

// ceremony is what a begun ceremony keeps until it finishes: for whom (an
// enrolment), at which origin, and the library's session data (the
// challenge and what the response is checked against).
type ceremony struct {
	Kind    string               `json:"kind"`
	UserID  events.UserID        `json:"user_id,omitempty"`
	Origin  string               `json:"origin"`
	Expires time.Time            `json:"expires"`
	Session webauthn.SessionData `json:"session"`
}

// CeremonyStore keeps ceremonies under way, shared by every instance: each
// is taken once (events.Ceremonies).
type CeremonyStore interface {
	Put(ctx context.Context, key string, value []byte) error
	Take(ctx context.Context, key string) ([]byte, error)
}

// passkeyState is what passkeys keep once opened: the ceremony store.
type passkeyState struct {
	mu         sync.Mutex
	ceremonies CeremonyStore
}

// ceremonyStore returns Config.Ceremonies, else the store's bucket.
func (s *Service) ceremonyStore(ctx context.Context) (CeremonyStore, error) {
	if s.Ceremonies != nil {
		return s.Ceremonies, nil
	}
	s.passkeys.mu.Lock()
	defer s.passkeys.mu.Unlock()
	if s.passkeys.ceremonies == nil {
		st, ok := s.Store.(interface {
			Ceremonies(context.Context) (*events.Ceremonies, error)
		})
		if !ok {
			return nil, fault.Errorf(fault.EUNAVAILABLE, "this forum keeps no passkeys")
		}
		c, err := st.Ceremonies(ctx)
		if err != nil {
			return nil, err
		}
		s.passkeys.ceremonies = c
	}
	return s.passkeys.ceremonies, nil
}

// ceremonyKey is where the ceremony of a challenge is kept: a hash of it,
// as a browser's response names its challenge and nothing else.
func ceremonyKey(challenge string) string {
	sum := sha256.Sum256([]byte("passkey-ceremony\x00" + challenge))
	return hex.EncodeToString(sum[:])
}

// putCeremony keeps a begun ceremony until it finishes or CeremonyTTL passes.
func (s *Service) putCeremony(ctx context.Context, c ceremony) error {
	store, err := s.ceremonyStore(ctx)
	if err != nil {
		return err
	}
	c.Expires = s.Now().Add(events.CeremonyTTL).UTC()
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("ceremony: %w", err)
	}
	return store.Put(ctx, ceremonyKey(c.Session.Challenge), b)
}

// takeCeremony returns the ceremony of kind that challenge began, and ends
// it: EINVALID (field credential) when there is none of that kind, for
// that origin (and user, for an enrolment), in force.
func (s *Service) takeCeremony(ctx context.Context, kind, challenge string, rp PasskeyRP, user events.UserID) (ceremony, error) {
	gone := fault.FieldError(fault.EINVALID, "credential", "this passkey's "+kind+" was not begun here, has expired or is finished: begin again")
	store, err := s.ceremonyStore(ctx)
	if err != nil {
		return ceremony{}, err
	}
	if challenge == "" {
		return ceremony{}, gone
	}
	b, err := store.Take(ctx, ceremonyKey(challenge))
	if errors.Is(err, events.ErrNoCeremony) {
		return ceremony{}, gone
	}
	if err != nil {
		return ceremony{}, err
	}
	var c ceremony
	if err := json.Unmarshal(b, &c); err != nil {
		return ceremony{}, fmt.Errorf("ceremony: %w", err)
	}
	if c.Kind != kind || c.UserID != user || c.Origin != rp.Origin || c.Session.RelyingPartyID != rp.ID || !s.Now().Before(c.Expires) {
		return ceremony{}, gone
	}
	return c, nil
}

// relyingParty returns the WebAuthn relying party rp: EINVALID when the
// forum was reached at an address that cannot be one (an IP address).
func (s *Service) relyingParty(rp PasskeyRP) (*webauthn.WebAuthn, error) {
	if err := protocol.ValidateRPID(rp.ID); err != nil {
		return nil, fault.Errorf(fault.EINVALID, "passkeys need the forum reached by its name (localhost, or the host of its public URL), not %q", rp.ID)
	}
	name := rp.Name
	if name == "" {
		name = rp.ID
	}
	timeout := webauthn.TimeoutConfig{Enforce: true, Timeout: events.CeremonyTTL, TimeoutUVD: events.CeremonyTTL}
	w, err := webauthn.New(&webauthn.Config{
		RPID: rp.ID, RPDisplayName: name, RPOrigins: []string{rp.Origin},
		Timeouts: webauthn.TimeoutsConfig{Login: timeout, Registration: timeout},
	})
	if err != nil {
		return nil, fault.Errorf(fault.EINVALID, "passkeys cannot be used at %s: %v", rp.Origin, err)
	}
	return w, nil
}

// passkeyUser is an account as the WebAuthn library sees it.
type passkeyUser struct {
	id     events.UserID
	handle []byte
	name   string
	creds  []webauthn.Credential
}

func (u *passkeyUser) WebAuthnID() []byte                         { return u.handle }
func (u *passkeyUser) WebAuthnName() string                       { return u.name }
func (u *passkeyUser) WebAuthnDisplayName() string                { return u.name }
func (u *passkeyUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// userHandle returns the user handle of user's passkeys: an HMAC of their
// id under the forum's secret, the same for all of them and stable for
// the account's life, which tells nobody without the secret whose it is.
func (s *Service) userHandle(ctx context.Context, user events.UserID) ([]byte, error) {
	return s.secretMAC(ctx, "passkey-user-handle:"+string(user))
}

// passkeyAccount returns user as the library sees them, with their passkeys
// (records as the read models keep them).
func (s *Service) passkeyAccount(ctx context.Context, user events.UserID) (*passkeyUser, []projections.PasskeyRecord, error) {
	acct, err := s.DB.Account(ctx, user)
	if err != nil {
		return nil, nil, err
	}
	handle, err := s.userHandle(ctx, user)
	if err != nil {
		return nil, nil, err
	}
	records, err := s.DB.Passkeys(ctx, user)
	if err != nil {
		return nil, nil, err
	}
	u := &passkeyUser{id: user, handle: handle, name: acct.Nickname}
	for _, r := range records {
		var c webauthn.Credential
		if err := json.Unmarshal([]byte(r.Credential), &c); err != nil {
			continue // unreadable (its owner's key is gone): signs nobody in
		}
		u.creds = append(u.creds, c)
	}
	return u, records, nil
}

// BeginPasskeyEnrolment begins enrolling a passkey for user at rp: it
// returns the creation options for navigator.credentials.create (a
// discoverable credential, user verification preferred, none of the
// user's passkeys again). ECONFLICT when they have MaxPasskeys already.
func (s *Service) BeginPasskeyEnrolment(ctx context.Context, user events.UserID, rp PasskeyRP) (*protocol.CredentialCreation, error) {
	w, err := s.relyingParty(rp)
	if err != nil {
		return nil, err
	}
	u, records, err := s.passkeyAccount(ctx, user)
	if err != nil {
		return nil, err
	}
	if len(records) >= projections.MaxPasskeys {
		return nil, fault.Errorf(fault.ECONFLICT, "at most %d passkeys: remove one first", projections.MaxPasskeys)
	}
	required := true
	creation, session, err := w.BeginRegistration(u,
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementRequired, RequireResidentKey: &required,
			UserVerification: protocol.VerificationPreferred,
		}),
		webauthn.WithExclusions(webauthn.Credentials(u.creds).CredentialDescriptors()),
		webauthn.WithExtensions(webauthn.WithExtensionCredProps()),
		webauthn.WithRegistrationOrigin(rp.Origin),
	)
	if err != nil {
		return nil, fmt.Errorf("begin passkey enrolment: %w", err)
	}
	if err := s.putCeremony(ctx, ceremony{Kind: ceremonyEnrol, UserID: user, Origin: rp.Origin, Session: *session}); err != nil {
		return nil, err
	}
	return creation, nil
}

// checkPasskeyName validates a passkey's name: 1 to MaxPasskeyNameLen
// characters, on one line.
func checkPasskeyName(name string) error {
	if err := checkText("name", name, 1, MaxPasskeyNameLen); err != nil {
		return err
	}
	if strings.ContainsAny(name, "\r\n\t") {
		return fault.FieldError(fault.EINVALID, "name", "a passkey's name is one line")
	}
	return nil
}

// FinishPasskeyEnrolment finishes an enrolment user began at rp with the
// credential the browser made (navigator.credentials.create, as JSON) and
// keeps the passkey, named name ("" names it "Passkey N"). EINVALID (field
// credential) for a credential that does not parse or verify, or whose
// challenge is not one of user's enrolments in force (each finishes once);
// EINVALID (field name) for a bad name; ECONFLICT for a credential
// enrolled already, or past MaxPasskeys.
func (s *Service) FinishPasskeyEnrolment(ctx context.Context, user events.UserID, rp PasskeyRP, credential []byte, name string) (projections.Passkey, error) {
	name = strings.TrimSpace(name)
	if name != "" {
		if err := checkPasskeyName(name); err != nil {
			return projections.Passkey{}, err
		}
	}
	if len(credential) > maxCredentialLen {
		return projections.Passkey{}, fault.FieldError(fault.EINVALID, "credential", fmt.Sprintf("a credential is at most %d KiB", maxCredentialLen>>10))
	}
	w, err := s.relyingParty(rp)
	if err != nil {
		return projections.Passkey{}, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(credential)
	if err != nil {
		return projections.Passkey{}, fault.FieldError(fault.EINVALID, "credential", "the credential is not one navigator.credentials.create makes: "+protocolDetails(err))
	}
	cer, err := s.takeCeremony(ctx, ceremonyEnrol, parsed.Response.CollectedClientData.Challenge, rp, user)
	if err != nil {
		return projections.Passkey{}, err
	}
	u, _, err := s.passkeyAccount(ctx, user)
	if err != nil {
		return projections.Passkey{}, err
	}
	cred, err := w.CreateCredential(u, cer.Session, parsed)
	if err != nil {
		return projections.Passkey{}, fault.FieldError(fault.EINVALID, "credential", "the credential does not verify: "+protocolDetails(err))
	}
	// The attestation is not checked against any authority ("none" is
	// asked for): keeping it would only grow every event.
	cred.Attestation = webauthn.CredentialAttestation{}
	record, err := json.Marshal(cred)
	if err != nil {
		return projections.Passkey{}, fmt.Errorf("passkey record: %w", err)
	}
	credID := base64.RawURLEncoding.EncodeToString(cred.ID)
	id := s.NewID()
	err = s.decideOwn(ctx, events.PasskeyAdded, user, func() (events.Type, any, error) {
		records, err := s.DB.Passkeys(ctx, user)
		if err != nil {
			return "", nil, err
		}
		if len(records) >= projections.MaxPasskeys {
			return "", nil, fault.Errorf(fault.ECONFLICT, "at most %d passkeys: remove one first", projections.MaxPasskeys)
		}
		if _, err := s.DB.PasskeyByCredential(ctx, credID); err == nil {
			return "", nil, fault.Errorf(fault.ECONFLICT, "this passkey is enrolled already")
		} else if fault.Code(err) != fault.ENOTFOUND {
			return "", nil, err
		}
		n := name
		if n == "" {
			n = fmt.Sprintf("Passkey %d", len(records)+1)
		}
		return events.PasskeyAdded, events.PasskeyAddedData{UserID: user, PasskeyID: id, Name: n, CredentialID: credID, Credential: string(record)}, nil
	})
	if err != nil {
		return projections.Passkey{}, err
	}
	// Of two enrolments of one credential racing on two instances, the
	// first in the log holds it; the read models ignore the other.
	p, err := s.DB.PasskeyByCredential(ctx, credID)
	if err != nil || p.ID != id {
		return projections.Passkey{}, fault.Errorf(fault.ECONFLICT, "this passkey is enrolled already")
	}
	return p.Passkey, nil
}

// protocolDetails returns what the WebAuthn library says went wrong.
func protocolDetails(err error) string {
	var perr *protocol.Error
	if errors.As(err, &perr) && perr.Details != "" {
		return perr.Details
	}
	return err.Error()
}

// RenamePasskey names user's passkey id name: ENOTFOUND unless it is
// theirs, EINVALID for a bad name. The same name again changes nothing.
func (s *Service) RenamePasskey(ctx context.Context, user events.UserID, id, name string) (projections.Passkey, error) {
	if err := checkID("passkey", id); err != nil {
		return projections.Passkey{}, err
	}
	name = strings.TrimSpace(name)
	if err := checkPasskeyName(name); err != nil {
		return projections.Passkey{}, err
	}
	err := s.decideOwn(ctx, events.PasskeyRenamed, user, func() (events.Type, any, error) {
		p, err := s.ownPasskey(ctx, user, id)
		if err != nil || p.Name == name {
			return "", nil, err
		}
		return events.PasskeyRenamed, events.PasskeyRenamedData{UserID: user, PasskeyID: id, Name: name}, nil
	})
	if err != nil {
		return projections.Passkey{}, err
	}
	p, err := s.ownPasskey(ctx, user, id)
	return p.Passkey, err
}

// RemovePasskey removes user's passkey id, which then signs nobody in:
// ENOTFOUND unless it is theirs.
func (s *Service) RemovePasskey(ctx context.Context, user events.UserID, id string) error {
	if err := checkID("passkey", id); err != nil {
		return err
	}
	return s.decideOwn(ctx, events.PasskeyRemoved, user, func() (events.Type, any, error) {
		if _, err := s.ownPasskey(ctx, user, id); err != nil {
			return "", nil, err
		}
		return events.PasskeyRemoved, events.PasskeyRemovedData{UserID: user, PasskeyID: id}, nil
	})
}

// ownPasskey returns user's passkey id, ENOTFOUND if they have none such.
func (s *Service) ownPasskey(ctx context.Context, user events.UserID, id string) (projections.PasskeyRecord, error) {
	records, err := s.DB.Passkeys(ctx, user)
	if err != nil {
		return projections.PasskeyRecord{}, err
	}
	for _, p := range records {
		if p.ID == id {
			return p, nil
		}
	}
	return projections.PasskeyRecord{}, fault.Errorf(fault.ENOTFOUND, "passkey not found")
}

// BeginPasskeySignIn begins a sign-in with a passkey at rp: it returns the
// request options for navigator.credentials.get, naming no credential (the
// authenticator offers the passkeys it holds for the forum) and requiring
// user verification: the passkey is then both factors, something held and
// something known or been.
func (s *Service) BeginPasskeySignIn(ctx context.Context, rp PasskeyRP) (*protocol.CredentialAssertion, error) {
	w, err := s.relyingParty(rp)
	if err != nil {
		return nil, err
	}
	assertion, session, err := w.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired), webauthn.WithLoginOrigin(rp.Origin))
	if err != nil {
		return nil, fmt.Errorf("begin passkey sign-in: %w", err)
	}
	if err := s.putCeremony(ctx, ceremony{Kind: ceremonySignIn, Origin: rp.Origin, Session: *session}); err != nil {
		return nil, err
	}
	return assertion, nil
}

// FinishPasskeySignIn finishes a sign-in begun at rp with the assertion the
// browser made (navigator.credentials.get, as JSON) and starts a session
// for the passkey's user. EINVALID (field credential) for an assertion
// that does not parse, or whose challenge is not a sign-in in force (each
// finishes once); EUNAUTHENTICATED for a passkey the forum does not know,
// an assertion that does not verify, or a signature counter that did not
// move forward (the passkey may have been copied: refused, as the
// WebAuthn specification lets a relying party decide).
func (s *Service) FinishPasskeySignIn(ctx context.Context, rp PasskeyRP, assertion []byte, userAgent string) (Session, error) {
	if len(assertion) > maxCredentialLen {
		return Session{}, fault.FieldError(fault.EINVALID, "credential", fmt.Sprintf("a credential is at most %d KiB", maxCredentialLen>>10))
	}
	w, err := s.relyingParty(rp)
	if err != nil {
		return Session{}, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(assertion)
	if err != nil {
		return Session{}, fault.FieldError(fault.EINVALID, "credential", "the credential is not one navigator.credentials.get makes: "+protocolDetails(err))
	}
	cer, err := s.takeCeremony(ctx, ceremonySignIn, parsed.Response.CollectedClientData.Challenge, rp, "")
	if err != nil {
		return Session{}, err
	}
	var known *projections.PasskeyRecord
	var lookupErr error
	found, cred, err := w.ValidatePasskeyLogin(func(rawID, userHandle []byte) (webauthn.User, error) {
		p, err := s.DB.PasskeyByCredential(ctx, base64.RawURLEncoding.EncodeToString(rawID))
		if err != nil {
			lookupErr = err
			return nil, err
		}
		u, _, err := s.passkeyAccount(ctx, p.UserID)
		if err != nil {
			lookupErr = err
			return nil, err
		}
		if !bytes.Equal(userHandle, u.handle) {
			lookupErr = fault.Errorf(fault.ENOTFOUND, "passkey not found")
			return nil, lookupErr
		}
		known = &p
		return u, nil
	}, cer.Session, parsed)
	switch {
	case lookupErr != nil && fault.Code(lookupErr) != fault.ENOTFOUND:
		return Session{}, lookupErr
	case known == nil:
		return Session{}, fault.Errorf(fault.EUNAUTHENTICATED, "this passkey is not known here: sign in another way")
	case err != nil:
		return Session{}, fault.Errorf(fault.EUNAUTHENTICATED, "the passkey did not verify: %s", protocolDetails(err))
	}
	user := found.(*passkeyUser).id
	copied := fault.Errorf(fault.EUNAUTHENTICATED, "this passkey's signature counter went backwards, so it may have been copied: sign in another way and remove it")
	if cred.Authenticator.CloneWarning {
		s.Logger.Warn("passkey sign-in refused: signature counter did not move forward", "user", user, "passkey", known.ID)
		return Session{}, copied
	}
	record, err := json.Marshal(cred)
	if err != nil {
		return Session{}, fmt.Errorf("passkey record: %w", err)
	}
	// The counter is checked again against the latest record in the log,
	// so two sign-ins racing with one counter value do not both pass.
	err = s.decideOwn(ctx, events.PasskeyUsed, user, func() (events.Type, any, error) {
		p, err := s.ownPasskey(ctx, user, known.ID)
		if fault.Code(err) == fault.ENOTFOUND {
			return "", nil, fault.Errorf(fault.EUNAUTHENTICATED, "this passkey is not known here: sign in another way")
		} else if err != nil {
			return "", nil, err
		}
		var latest webauthn.Credential
		if err := json.Unmarshal([]byte(p.Credential), &latest); err != nil {
			return "", nil, fmt.Errorf("passkey record: %w", err)
		}
		if (latest.Authenticator.SignCount != 0 || cred.Authenticator.SignCount != 0) && cred.Authenticator.SignCount <= latest.Authenticator.SignCount {
			return "", nil, copied
		}
		return events.PasskeyUsed, events.PasskeyUsedData{UserID: user, PasskeyID: known.ID, Credential: string(record)}, nil
	})
	if err != nil {
		var st *Stored
		if !errors.As(err, &st) {
			return Session{}, err
		}
	}
	return s.StartSession(ctx, user, userAgent)
}
