package commands

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"

	"forum/events"
	"forum/fault"
)

// RegisterInput is what a new user gives at sign-up.
type RegisterInput struct {
	Nickname  string `json:"nickname"`
	Email     string `json:"email"`
	Password  string `json:"password"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Age       int    `json:"age"`
	Gender    string `json:"gender"`
}

var nicknameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,24}$`)

// Password lengths, in characters.
const (
	minPasswordLen = 8
	maxPasswordLen = 256
)

// Validate returns the problems with the input as a validation error
// naming the first one's field, with every problem in its Problems, or nil.
func (in RegisterInput) Validate() error {
	var problems []*fault.Error
	add := func(err error) {
		var e *fault.Error
		if errors.As(err, &e) {
			problems = append(problems, e)
		}
	}
	if len(in.Nickname) > MaxLoginLen || !nicknameRE.MatchString(in.Nickname) {
		add(fault.FieldError(fault.EINVALID, "nickname", "nickname must be 3 to 24 letters, digits, '_', '.' or '-'"))
	}
	add(checkEmail(in.Email))
	if n := utf8.RuneCountInString(in.Password); len(in.Password) > 4*maxPasswordLen || n < minPasswordLen || n > maxPasswordLen {
		add(fault.FieldError(fault.EINVALID, "password", fmt.Sprintf("password must be %d to %d characters", minPasswordLen, maxPasswordLen)))
	}
	for _, f := range []struct{ name, value string }{{"first_name", in.FirstName}, {"last_name", in.LastName}, {"gender", in.Gender}} {
		if f.value != "" {
			add(checkText(f.name, f.value, 1, 64))
		}
	}
	if in.Age < 0 || in.Age > 150 {
		add(fault.FieldError(fault.EINVALID, "age", "age must be between 0 and 150"))
	}
	return fault.Joined(problems)
}

func checkEmail(email string) error {
	bad := fault.FieldError(fault.EINVALID, "email", "email must be a valid address like name@example.com")
	if len(email) > 254 {
		return bad
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" {
		return bad
	}
	at := strings.LastIndexByte(email, '@')
	if at < 1 || !strings.Contains(email[at+1:], ".") || strings.ContainsAny(email, " \t\r\n") {
		return bad
	}
	return nil
}

// Register signs a new user up and returns their id, and mails them a
// link to verify their address. Nickname and email are
// unique ignoring case across every instance: each is claimed in the log
// first (ETAKEN, with the field, when someone holds it). A claim left over by
// a sign-up that failed halfway is released, so the value is free again. A
// common password, or one that is the nickname or email, is refused.
func (s *Service) Register(ctx context.Context, in RegisterInput) (events.UserID, error) {
	if err := in.Validate(); err != nil {
		return "", err
	}
	if err := checkPasswordStrength(in.Password, in.Nickname, in.Email); err != nil {
		return "", err
	}
	id, err := s.register(ctx, in)
	if err == nil {
		s.verifySignUp(ctx, events.UserID(id), in.Email)
	}
	if err == nil && s.isConfiguredAdmin(in.Nickname) && s.firstHolder(ctx, in.Nickname, id) {
		_, err = s.emit(ctx, events.UserRoleSet, id, "", events.UserRoleSetData{UserID: id, Role: events.RoleAdmin})
	}
	return events.UserID(id), err
}

// maxClaimHistory bounds the events read from a nickname's claims to tell
// its first holder; a nickname taken and given up more often than that has
// no first holder to make an admin.
const maxClaimHistory = 256

// firstHolder reports whether user is the first account ever to hold
// nickname, as the log of its claims tells: a configured admin's nickname
// makes an admin of that account only, never of a later holder after an
// erasure. A claim whose user never registered (a sign-up that failed
// halfway) does not count. When the log cannot tell, the answer is no.
func (s *Service) firstHolder(ctx context.Context, nickname, user string) bool {
	first, err := s.firstClaimant(ctx, nickname, user)
	if err != nil {
		s.Logger.Error("first holder of a nickname", "user", user, "err", err)
	}
	return first && err == nil
}

func (s *Service) firstClaimant(ctx context.Context, nickname, user string) (bool, error) {
	key, legacy, err := s.claimKeys(ctx, events.ClaimNickname, nickname)
	if err != nil {
		return false, err
	}
	claims, err := s.Store.History(ctx, []string{events.ClaimMade.Subject(key), events.ClaimMade.Subject(legacy)}, maxClaimHistory)
	if err != nil {
		return false, fmt.Errorf("claims of a nickname: %w", err)
	}
	for _, ev := range claims {
		if ev.Type != events.ClaimMade {
			continue
		}
		var d events.ClaimData
		if err := ev.Payload(&d); err != nil {
			return false, fmt.Errorf("claim %d: %w", ev.Seq, err)
		}
		if d.UserID == "" {
			d.UserID = ev.Actor
		}
		if d.UserID == user {
			return true, nil
		}
		switch _, err := s.Store.Last(ctx, events.UserRegistered.Subject(d.UserID)); {
		case err == nil:
			return false, nil // an account held it before
		case !errors.Is(err, events.ErrNoEvent):
			return false, err
		}
	}
	return false, nil
}

// register signs up a user whose input is valid.
func (s *Service) register(ctx context.Context, in RegisterInput) (string, error) {
	// Taken values are refused before the costly hash. The claims below
	// still decide: two sign-ups may both pass this check.
	var taken []*fault.Error
	for _, v := range []struct{ kind, value string }{{events.ClaimNickname, in.Nickname}, {events.ClaimEmail, in.Email}} {
		if _, err := s.DB.Credentials(ctx, v.value); err == nil {
			taken = append(taken, fault.FieldError(fault.ETAKEN, v.kind, fmt.Sprintf("that %s is already taken", v.kind)))
		} else if fault.Code(err) != fault.ENOTFOUND {
			return "", err
		}
	}
	if err := fault.Joined(taken); err != nil {
		return "", err
	}
	hash, err := s.hash(ctx, in.Password)
	if err != nil {
		return "", err
	}
	id := s.NewID()
	if err := s.claim(ctx, events.ClaimNickname, in.Nickname, id); err != nil {
		return "", err
	}
	if err := s.claim(ctx, events.ClaimEmail, in.Email, id); err != nil {
		s.release(ctx, events.ClaimNickname, in.Nickname, id)
		return "", err
	}
	_, err = s.emit(ctx, events.UserRegistered, id, id, events.UserRegisteredData{
		UserID: id, Nickname: in.Nickname, Email: in.Email, PasswordHash: hash,
		FirstName: in.FirstName, LastName: in.LastName, Age: in.Age, Gender: in.Gender,
	})
	var st *Stored
	if errors.As(err, &st) {
		return id, withID(err, id) // stored: the claims are the user's
	}
	if err != nil {
		// Release the claims only when the user is certainly not stored: an
		// append that got no answer may have landed.
		if fault.Code(err) != fault.EUNAVAILABLE {
			s.release(ctx, events.ClaimNickname, in.Nickname, id)
			s.release(ctx, events.ClaimEmail, in.Email, id)
		}
		return "", err
	}
	return id, nil
}

// claim makes userID the holder of a unique value, first writer wins: the
// append expects the subject's last event to be the one it read (none, or a
// release), so of two racing claims exactly one lands. A value claimed
// before claims were hashed with the forum's secret stays taken until its
// holder releases it.
func (s *Service) claim(ctx context.Context, kind, value, userID string) error {
	key, legacy, err := s.claimKeys(ctx, kind, value)
	if err != nil {
		return err
	}
	taken := fault.FieldError(fault.ETAKEN, kind, fmt.Sprintf("that %s is already taken", kind))
	if holder, _, err := s.claimHolder(ctx, legacy); err != nil {
		return err
	} else if holder != "" {
		return taken
	}
	holder, expect, err := s.claimHolder(ctx, key)
	if err != nil {
		return err
	}
	if holder != "" {
		return taken
	}
	_, err = s.record(ctx, events.ClaimMade, key, userID, events.ClaimData{Kind: kind, UserID: userID}, events.ExpectLastSubjectSeq(expect))
	if errors.Is(err, events.ErrConflict) {
		return taken
	}
	return err
}

// claimHolder returns who holds the claim on subject key key ("" when
// nobody) and the sequence of the subject's last event (0 when none).
func (s *Service) claimHolder(ctx context.Context, key string) (string, uint64, error) {
	last, err := s.Store.Last(ctx, events.ClaimMade.Subject(key))
	switch {
	case errors.Is(err, events.ErrNoEvent):
		return "", 0, nil
	case err != nil:
		return "", 0, err
	case last.Type == events.ClaimReleased:
		return "", last.Seq, nil
	}
	var d events.ClaimData
	if err := last.Payload(&d); err != nil {
		return "", 0, fmt.Errorf("claim %s: %w", key, err)
	}
	if d.UserID == "" {
		d.UserID = last.Actor
	}
	return d.UserID, last.Seq, nil
}

// claimKeys returns the subject keys of a value's claims: key, hashed with
// the forum's secret, where claims are made; legacy, hashed without one,
// where forums made before the secret made theirs (read and released,
// never claimed anew).
func (s *Service) claimKeys(ctx context.Context, kind, value string) (key, legacy string, err error) {
	secret, err := s.forumSecret(ctx)
	if err != nil {
		return "", "", err
	}
	return events.SecretClaimKey(secret, kind, value), events.ClaimKey(kind, value), nil
}

// forumSecret returns the forum's secret (FORUM_SECRETS), read or made
// once.
func (s *Service) forumSecret(ctx context.Context) ([]byte, error) {
	s.secret.mu.Lock()
	defer s.secret.mu.Unlock()
	if s.secret.value == nil {
		v, err := s.Store.ClaimSecret(ctx)
		if err != nil {
			return nil, fmt.Errorf("forum secret: %w", err)
		}
		s.secret.value = v
	}
	return s.secret.value, nil
}

// secretMAC returns the HMAC-SHA256 of label under the forum's secret.
func (s *Service) secretMAC(ctx context.Context, label string) ([]byte, error) {
	secret, err := s.forumSecret(ctx)
	if err != nil {
		return nil, err
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(label))
	return mac.Sum(nil), nil
}

// release gives up a claim made by userID, and the claim of a forum made
// before the secret if userID holds one: nothing is written on a subject a
// guess of the value could name. Failing to release is logged: the value
// stays taken, which is safe.
func (s *Service) release(ctx context.Context, kind, value, userID string) {
	ctx = context.WithoutCancel(ctx)
	key, legacy, err := s.claimKeys(ctx, kind, value)
	if err == nil {
		_, err = s.record(ctx, events.ClaimReleased, key, userID, events.ClaimData{Kind: kind, UserID: userID})
	}
	if err == nil {
		var holder string
		if holder, _, err = s.claimHolder(ctx, legacy); err == nil && holder == userID {
			_, err = s.record(ctx, events.ClaimReleased, legacy, userID, events.ClaimData{Kind: kind, UserID: userID})
		}
	}
	if err != nil {
		s.Logger.Error("release claim", "kind", kind, "user", userID, "err", err)
	}
}
