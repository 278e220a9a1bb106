package commands

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"forum/events"
	"forum/fault"
	"forum/projections"
)

// Two factors: an authenticator app's one-time codes (TOTP, RFC 6238: 30 s
// steps, 6 digits, SHA-1, what every such app reads), and ten recovery
// codes, each good once. A user's TOTP events share one subject
// (forum.totp.<user>): each is decided against the last, so two sign-ins
// racing with one code, or a ticket used twice, land once.

const (
	// SiteName is the issuer an authenticator app shows beside the account.
	SiteName = "Forum"
	// RecoveryCodeCount is how many recovery codes an enrolment gives.
	RecoveryCodeCount = 10
	// TicketTTL is how long a sign-in's ticket for its second factor lasts.
	TicketTTL = 5 * time.Minute

	totpPeriod = 30
	// totpSkew is how many steps before or after the current one a code
	// may be of, for clocks that drift.
	totpSkew = 1
	// maxTicketLen bounds a ticket read, in bytes.
	maxTicketLen = 256
)

var totpOpts = hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// TOTPEnrolment is what an enrolment shows once: the secret, and the
// otpauth:// URL an authenticator app reads (as a QR code) to add it.
type TOTPEnrolment struct {
	Secret string `json:"secret"`
	URL    string `json:"otpauth_url"`
}

// totpSubject is the subject all of user's TOTP events share.
func totpSubject(user events.UserID) string { return events.TOTPStarted.Subject(string(user)) }

// decideTOTP appends the event decide returns, decided against user's
// second factor as the read models hold it once they include the latest
// TOTP event of user, on the condition that none landed meanwhile (then
// decide runs again). It returns where the event landed (nothing when
// decide appends none).
func (s *Service) decideTOTP(ctx context.Context, user events.UserID, decide func(projections.TOTP) (events.Type, any, error)) (events.Ack, error) {
	subject := totpSubject(user)
	for range ownAttempts {
		seq, err := s.lastOn(ctx, subject)
		if err != nil {
			return events.Ack{}, err
		}
		if err := s.wait(ctx, seq); err != nil {
			return events.Ack{}, err
		}
		state, err := s.DB.TOTP(ctx, user)
		if err != nil {
			return events.Ack{}, err
		}
		typ, data, err := decide(state)
		if err != nil || typ == "" {
			return events.Ack{}, err
		}
		ack, err := s.emit(ctx, typ, string(user), string(user), data, events.ExpectLastSubjectSeq(seq))
		if !errors.Is(err, events.ErrConflict) {
			return ack, err
		}
	}
	return events.Ack{}, fault.Errorf(fault.ECONFLICT, "your other changes kept landing first; try again")
}

// lastOn returns the sequence of the last event on subject (0: none).
func (s *Service) lastOn(ctx context.Context, subject string) (uint64, error) {
	last, err := s.Store.Last(ctx, subject)
	switch {
	case errors.Is(err, events.ErrNoEvent):
		return 0, nil
	case err != nil:
		return 0, err
	}
	return last.Seq, nil
}

// StartTOTP begins an enrolment of an authenticator for user: a fresh
// secret, shown once, which counts only when ConfirmTOTP confirms a code of
// it. Starting again replaces a secret not yet confirmed. ECONFLICT when two
// factors are on already (turn them off first).
func (s *Service) StartTOTP(ctx context.Context, user events.UserID) (TOTPEnrolment, error) {
	acct, err := s.DB.Account(ctx, user)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: SiteName, AccountName: acct.Nickname})
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("totp secret: %w", err)
	}
	ack, err := s.decideTOTP(ctx, user, func(t projections.TOTP) (events.Type, any, error) {
		if t.On() {
			return "", nil, fault.Errorf(fault.ECONFLICT, "two factors are on already; turn them off first to enrol another authenticator")
		}
		return events.TOTPStarted, events.TOTPStartedData{UserID: user, Secret: key.Secret()}, nil
	})
	if err != nil && !isStoredErr(err) {
		return TOTPEnrolment{}, err
	}
	if ack.Duplicate { // a retried write: the secret is the first attempt's
		var d events.TOTPStartedData
		if err := s.original(ctx, ack, &d); err != nil {
			return TOTPEnrolment{}, err
		}
		return TOTPEnrolment{Secret: d.Secret, URL: otpauthURL(acct.Nickname, d.Secret)}, nil
	}
	// Stored but not yet shown here is done: a confirmation waits for it.
	return TOTPEnrolment{Secret: key.Secret(), URL: key.URL()}, nil
}

// otpauthURL returns the otpauth:// URL of secret for the account nickname.
func otpauthURL(nickname, secret string) string {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		return ""
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: SiteName, AccountName: nickname, Secret: raw})
	if err != nil {
		return ""
	}
	return key.URL()
}

// isStoredErr reports whether err is a write stored but not yet shown.
func isStoredErr(err error) bool {
	var st *Stored
	return errors.As(err, &st)
}

// ConfirmTOTP turns two factors on for user with a code of the secret
// StartTOTP gave, and returns ten recovery codes, shown this once (only
// their hashes are kept). EINVALID (field code) for a code that is not
// the authenticator's now; ECONFLICT when no enrolment is under way, or
// two factors are on already.
func (s *Service) ConfirmTOTP(ctx context.Context, user events.UserID, code string) ([]string, error) {
	if !codeShaped(code) {
		return nil, fault.FieldError(fault.EINVALID, "code", "enter the 6 digits your authenticator app shows")
	}
	codes, hashes, err := newRecoveryCodes(user)
	if err != nil {
		return nil, err
	}
	ack, err := s.decideTOTP(ctx, user, func(t projections.TOTP) (events.Type, any, error) {
		switch {
		case t.On():
			return "", nil, fault.Errorf(fault.ECONFLICT, "two factors are on already")
		case t.PendingSecret == "":
			return "", nil, fault.Errorf(fault.ECONFLICT, "no authenticator is being enrolled: start with POST /api/me/totp")
		}
		step, ok := matchCode(t.PendingSecret, code, s.Now(), 0)
		if !ok {
			return "", nil, fault.FieldError(fault.EINVALID, "code", "that code is not the one your authenticator app shows now; check its clock and try the next one")
		}
		return events.TOTPEnabled, events.TOTPEnabledData{UserID: user, Step: step, RecoveryHashes: strings.Join(hashes, " ")}, nil
	})
	if err != nil && !isStoredErr(err) {
		return nil, err
	}
	if ack.Duplicate {
		// A retry of a confirmation that landed and got no answer: its
		// codes were never shown, and only their hashes are kept.
		return nil, fault.Errorf(fault.ECONFLICT, "two factors are on already, but their recovery codes could not be shown: turn two factors off and on again for new ones")
	}
	return codes, nil
}

// DisableTOTP turns two factors off for user, after checking their
// password (EINVALID when none is given, EUNAUTHENTICATED when it is
// wrong): sign-ins ask for the password alone again, and the secret and
// recovery codes are dropped. Off already changes nothing.
func (s *Service) DisableTOTP(ctx context.Context, user events.UserID, password string) error {
	if password == "" {
		return fault.FieldError(fault.EINVALID, "password", "enter your password to turn two factors off")
	}
	acct, err := s.DB.Account(ctx, user)
	if err != nil {
		return err
	}
	if err := s.checkOwnPassword(ctx, user, acct.Nickname, password); err != nil {
		return err
	}
	_, err = s.decideTOTP(ctx, user, func(t projections.TOTP) (events.Type, any, error) {
		if !t.On() && t.PendingSecret == "" {
			return "", nil, nil
		}
		return events.TOTPDisabled, events.TOTPDisabledData{UserID: user}, nil
	})
	return err
}

// checkOwnPassword checks the password of the signed-in user (nickname):
// EUNAUTHENTICATED (field password) when it is not theirs.
func (s *Service) checkOwnPassword(ctx context.Context, user events.UserID, nickname, password string) error {
	id, err := s.Authenticate(ctx, nickname, password)
	if fault.Code(err) == fault.EUNAVAILABLE {
		return err
	}
	if err != nil || id != user {
		return fault.FieldError(fault.EUNAUTHENTICATED, "password", "wrong password")
	}
	return nil
}

// codeShaped reports whether code is six ASCII digits.
func codeShaped(code string) bool {
	if len(code) != otp.DigitsSix.Length() {
		return false
	}
	for _, c := range []byte(code) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// matchCode returns the time step code is of, for secret at now, if it is
// the code of the current step or one next to it (totpSkew) and of a step
// after last: a code taken once is not taken again.
func matchCode(secret, code string, now time.Time, last int64) (int64, bool) {
	if !codeShaped(code) {
		return 0, false
	}
	cur := now.Unix() / totpPeriod
	for step := cur - totpSkew; step <= cur+totpSkew; step++ {
		if step <= last || step < 0 {
			continue
		}
		if ok, err := hotp.ValidateCustom(code, uint64(step), secret, totpOpts); err == nil && ok {
			return step, true
		}
	}
	return 0, false
}

// recoveryAlphabet writes recovery codes: lowercase base32.
var recoveryAlphabet = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newRecoveryCodes returns RecoveryCodeCount fresh recovery codes of 80
// random bits each (xxxx-xxxx-xxxx-xxxx) and their hashes for user.
func newRecoveryCodes(user events.UserID) (codes, hashes []string, err error) {
	for range RecoveryCodeCount {
		raw := make([]byte, 10)
		if _, err := rand.Read(raw); err != nil {
			return nil, nil, fmt.Errorf("recovery code: %w", err)
		}
		c := recoveryAlphabet.EncodeToString(raw)
		codes = append(codes, c[0:4]+"-"+c[4:8]+"-"+c[8:12]+"-"+c[12:16])
		hashes = append(hashes, recoveryHash(user, c))
	}
	return codes, hashes, nil
}

// recoveryHash returns the hex SHA-256 of a recovery code of user's
// (normalised: lowercase, without dashes and spaces).
func recoveryHash(user events.UserID, code string) string {
	sum := sha256.Sum256([]byte("recovery:" + string(user) + ":" + normalRecoveryCode(code)))
	return hex.EncodeToString(sum[:])
}

// normalRecoveryCode is a recovery code as typed, lowercased, without
// dashes and spaces.
func normalRecoveryCode(code string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToLower(code))
}

// matchRecovery returns the number of the unspent recovery code of user's
// that code is (0: none).
func matchRecovery(user events.UserID, codes []projections.RecoveryCode, code string) int {
	if len(code) > 64 || len(normalRecoveryCode(code)) != 16 {
		return 0
	}
	h := []byte(recoveryHash(user, code))
	found := 0
	for _, c := range codes {
		if subtle.ConstantTimeCompare(h, []byte(c.Hash)) == 1 && !c.Used && found == 0 {
			found = c.N
		}
	}
	return found
}

// askSecondFactor returns, for a user who has two factors on, the error
// that asks for the second (code fault.ESECONDFACTOR) with a ticket for
// SecondFactor; nil for a user without.
func (s *Service) askSecondFactor(ctx context.Context, user events.UserID) error {
	seq, err := s.lastOn(ctx, totpSubject(user))
	if err != nil || seq == 0 {
		return err
	}
	if err := s.wait(ctx, seq); err != nil {
		return err
	}
	on, err := s.DB.TOTPOn(ctx, user)
	if err != nil || !on {
		return err
	}
	ticket, err := s.issueTicket(ctx, user, seq)
	if err != nil {
		return err
	}
	return &fault.Error{Code: fault.ESECONDFACTOR, Message: "enter the code your authenticator app shows, or one of your recovery codes", Ticket: ticket}
}

// ticket is what a sign-in's ticket for its second factor says: whose it
// is, the last of their TOTP events when it was given (it is spent, or
// stale, once another lands), and when it ends.
type ticket struct {
	user    events.UserID
	seq     uint64
	expires time.Time
}

// ticketKey returns the key tickets are signed with: derived from the
// forum's secret, so every instance reads the tickets of every other.
func (s *Service) ticketKey(ctx context.Context) ([]byte, error) {
	return s.secretMAC(ctx, "second-factor tickets")
}

// issueTicket returns a ticket for user's second factor, good for
// TicketTTL while seq is the last of their TOTP events: random (128 bits),
// and signed.
func (s *Service) issueTicket(ctx context.Context, user events.UserID, seq uint64) (string, error) {
	key, err := s.ticketKey(ctx)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("ticket: %w", err)
	}
	b64 := base64.RawURLEncoding
	body := string(user) + "." + strconv.FormatUint(seq, 10) + "." + strconv.FormatInt(s.Now().Add(TicketTTL).Unix(), 10) + "." + b64.EncodeToString(nonce)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(body))
	return b64.EncodeToString([]byte(body)) + "." + b64.EncodeToString(mac.Sum(nil)), nil
}

// errBadTicket answers a ticket that is forged, malformed, expired, spent
// or stale.
var errBadTicket = fault.FieldError(fault.EUNAUTHENTICATED, "ticket", "this sign-in has expired or was finished already; sign in again with your password")

// readTicket checks a ticket's signature and time: errBadTicket when it
// does not hold.
func (s *Service) readTicket(ctx context.Context, tok string) (ticket, error) {
	if tok == "" {
		return ticket{}, fault.FieldError(fault.EINVALID, "ticket", "the ticket of the sign-in is missing")
	}
	if len(tok) > maxTicketLen {
		return ticket{}, errBadTicket
	}
	key, err := s.ticketKey(ctx)
	if err != nil {
		return ticket{}, err
	}
	b64 := base64.RawURLEncoding
	bodyB64, sigB64, _ := strings.Cut(tok, ".")
	body, err1 := b64.DecodeString(bodyB64)
	sig, err2 := b64.DecodeString(sigB64)
	if err1 != nil || err2 != nil {
		return ticket{}, errBadTicket
	}
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	if !hmac.Equal(sig, mac.Sum(nil)) {
		return ticket{}, errBadTicket
	}
	parts := strings.Split(string(body), ".")
	if len(parts) != 4 || !events.ValidID(parts[0]) {
		return ticket{}, errBadTicket
	}
	seq, err1 := strconv.ParseUint(parts[1], 10, 64)
	exp, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil {
		return ticket{}, errBadTicket
	}
	t := ticket{user: events.UserID(parts[0]), seq: seq, expires: time.Unix(exp, 0)}
	if !s.Now().Before(t.expires) {
		return ticket{}, errBadTicket
	}
	return t, nil
}

// TicketUser returns whose a sign-in's ticket is, when it holds (signed,
// not expired): the account its wrong codes count against.
// EUNAUTHENTICATED (field ticket) when it does not hold.
func (s *Service) TicketUser(ctx context.Context, tok string) (events.UserID, error) {
	t, err := s.readTicket(ctx, tok)
	return t.user, err
}

// SecondFactorInput is the second step of a sign-in: the ticket the first
// gave, and a code of the user's authenticator or one of their recovery
// codes (one of the two), and the client's user agent.
type SecondFactorInput struct {
	Ticket       string `json:"ticket"`
	Code         string `json:"code"`
	RecoveryCode string `json:"recovery_code"`
	UserAgent    string `json:"-"`
}

// SecondFactor finishes a sign-in that asked for a second factor: with the
// ticket it gave and a code of the user's authenticator (of a later time
// step than any taken before) or an unspent recovery code (spent now), it
// starts a session. The ticket is good once: it is spent, as are the
// tickets given before, when a second factor of the user passes.
// EUNAUTHENTICATED with field code or recovery_code for a wrong one, field
// ticket for a ticket that does not hold; EINVALID for neither or both.
func (s *Service) SecondFactor(ctx context.Context, in SecondFactorInput) (Session, error) {
	if (in.Code == "") == (in.RecoveryCode == "") {
		return Session{}, fault.FieldError(fault.EINVALID, "code", "enter either the code of your authenticator app or a recovery code")
	}
	t, err := s.readTicket(ctx, in.Ticket)
	if err != nil {
		return Session{}, err
	}
	if err := s.wait(ctx, t.seq); err != nil {
		return Session{}, err
	}
	state, err := s.DB.TOTP(ctx, t.user)
	if err != nil {
		return Session{}, err
	}
	if !state.On() {
		return Session{}, errBadTicket
	}
	used := events.TOTPUsedData{UserID: t.user}
	if in.Code != "" {
		step, ok := matchCode(state.Secret, in.Code, s.Now(), state.LastStep)
		if !ok {
			return Session{}, fault.FieldError(fault.EUNAUTHENTICATED, "code", "wrong code, or one used already; enter the code your authenticator app shows now")
		}
		used.Step = step
	} else if used.RecoveryCode = matchRecovery(t.user, state.Recovery, in.RecoveryCode); used.RecoveryCode == 0 {
		return Session{}, fault.FieldError(fault.EUNAUTHENTICATED, "recovery_code", "wrong recovery code, or one used already")
	}
	// Only while the user's last TOTP event is the ticket's: a second use
	// of it, or of the same code, conflicts.
	_, err = s.emit(ctx, events.TOTPUsed, string(t.user), string(t.user), used, events.ExpectLastSubjectSeq(t.seq))
	if errors.Is(err, events.ErrConflict) {
		return Session{}, errBadTicket
	}
	if err != nil && !isStoredErr(err) {
		return Session{}, err
	}
	return s.StartSession(ctx, t.user, in.UserAgent)
}
