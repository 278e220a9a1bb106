package commands

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"forum/events"
	"forum/fault"
)

// MaxBioLen is the longest bio, in characters.
const MaxBioLen = 1000

// ChangePasswordInput is what a signed-in user gives to change their
// password: the one they have and the new one.
type ChangePasswordInput struct {
	CurrentPassword string `json:"current_password"`
	Password        string `json:"password"`
}

// ChangePassword gives user a new password after checking the current one
// (EUNAUTHENTICATED with the field current_password when it is wrong) and
// ends every other session of theirs: all but keep ("" for none, as over
// HTTP Basic). The new password is held to the rules of sign-up (EINVALID
// with the field password). The change is decided against the account's
// latest password in the log: of two changes racing, one lands and the
// other answers ECONFLICT. It returns the sessions it ended.
func (s *Service) ChangePassword(ctx context.Context, user events.UserID, keep events.SessionID, in ChangePasswordInput) ([]events.SessionID, error) {
	if in.CurrentPassword == "" {
		return nil, fault.FieldError(fault.EINVALID, "current_password", "enter your current password")
	}
	if len(in.CurrentPassword) > 4*maxPasswordLen || utf8.RuneCountInString(in.CurrentPassword) > maxPasswordLen {
		return nil, fault.FieldError(fault.EINVALID, "current_password", fmt.Sprintf("a password is at most %d characters", maxPasswordLen))
	}
	if n := utf8.RuneCountInString(in.Password); len(in.Password) > 4*maxPasswordLen || n < minPasswordLen || n > maxPasswordLen {
		return nil, fault.FieldError(fault.EINVALID, "password", fmt.Sprintf("password must be %d to %d characters", minPasswordLen, maxPasswordLen))
	}
	acct, err := s.DB.Account(ctx, user)
	if err != nil {
		return nil, err
	}
	if err := checkPasswordStrength(in.Password, acct.Nickname, acct.Email); err != nil {
		return nil, err
	}
	subject := events.PasswordChanged.Subject(string(user))
	var latest uint64 // the account's latest change in the log; 0: none
	switch last, err := s.Store.Last(ctx, subject); {
	case err == nil:
		latest = last.Seq
	case !errors.Is(err, events.ErrNoEvent):
		return nil, err
	}
	// The hash checked is the one of that change (or of the sign-up).
	if err := s.wait(ctx, latest); err != nil {
		return nil, fault.Errorf(fault.EUNAVAILABLE, "the account is being updated; try again shortly")
	}
	if err := s.checkPassword(ctx, user, in.CurrentPassword); err != nil {
		return nil, err
	}
	hash, err := s.hash(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	sessions, err := s.DB.Sessions(ctx, user)
	if err != nil {
		return nil, err
	}
	var ended []events.SessionID
	for _, sess := range sessions {
		if id := events.SessionID(sess.ID); id != keep {
			ended = append(ended, id)
		}
	}
	_, err = s.emit(ctx, events.PasswordChanged, string(user), string(user),
		events.PasswordChangedData{UserID: string(user), PasswordHash: hash, KeepSessionID: string(keep)},
		events.ExpectLastSubjectSeq(latest))
	if errors.Is(err, events.ErrConflict) {
		return nil, fault.Errorf(fault.ECONFLICT, "your password was changed meanwhile; sign in again if you need to, then try again")
	}
	var st *Stored
	if err != nil && !errors.As(err, &st) {
		return nil, err
	}
	return ended, err
}

// checkPassword checks password against user's own (EUNAUTHENTICATED with
// the field current_password when it does not hold), through the hashing
// gate; a demo account's password holds only where it signs in.
func (s *Service) checkPassword(ctx context.Context, user events.UserID, password string) error {
	hash, err := s.DB.PasswordHash(ctx, user)
	if err != nil {
		return err
	}
	if hash == "" {
		hash = dummyHash
	}
	ok, err := s.verify(ctx, hash, password)
	if err != nil {
		return err
	}
	if !ok || (password == DemoPassword && !(s.DemoSignIn && fromLoopback(ctx))) {
		return fault.FieldError(fault.EUNAUTHENTICATED, "current_password", "wrong password")
	}
	return nil
}

// ProfileInput is a change of one's profile: the fields given take their
// new values ("" clears a text, 0 the age); those left out (nil) stay.
type ProfileInput struct {
	FirstName *string `json:"first_name"`
	LastName  *string `json:"last_name"`
	Age       *int    `json:"age"`
	Gender    *string `json:"gender"`
	Bio       *string `json:"bio"`
}

// Validate returns the problems with the input as a validation error
// naming the first one's field, with every problem in its Problems, or nil:
// names and gender at most 64 characters, the bio at most MaxBioLen, each
// text as sign-up takes it, the age 0–150.
func (in ProfileInput) Validate() error {
	var problems []*fault.Error
	add := func(err error) {
		var e *fault.Error
		if errors.As(err, &e) {
			problems = append(problems, e)
		}
	}
	for _, f := range []struct {
		name  string
		value *string
		max   int
	}{{"first_name", in.FirstName, 64}, {"last_name", in.LastName, 64}, {"gender", in.Gender, 64}, {"bio", in.Bio, MaxBioLen}} {
		if f.value != nil && *f.value != "" {
			add(checkText(f.name, *f.value, 1, f.max))
		}
	}
	if in.Age != nil && (*in.Age < 0 || *in.Age > 150) {
		add(fault.FieldError(fault.EINVALID, "age", "age must be between 0 and 150"))
	}
	return fault.Joined(problems)
}

// UpdateProfile sets the profile fields in gives on user's account, sealed
// under their key like the rest of their personal data. A change that names
// no field changes nothing (no event). Two changes of different fields both
// hold, in whatever order they land: the event names the fields it sets.
func (s *Service) UpdateProfile(ctx context.Context, user events.UserID, in ProfileInput) error {
	if err := in.Validate(); err != nil {
		return err
	}
	d := events.ProfileUpdatedData{UserID: string(user)}
	set := func(f events.ProfileField, v *string, to *string) {
		if v != nil {
			d.Changed = append(d.Changed, f)
			*to = *v
		}
	}
	set(events.ProfileFirstName, in.FirstName, &d.FirstName)
	set(events.ProfileLastName, in.LastName, &d.LastName)
	if in.Age != nil {
		d.Changed = append(d.Changed, events.ProfileAge)
		if *in.Age != 0 {
			d.Age = strconv.Itoa(*in.Age)
		}
	}
	set(events.ProfileGender, in.Gender, &d.Gender)
	set(events.ProfileBio, in.Bio, &d.Bio)
	if len(d.Changed) == 0 {
		return nil
	}
	_, err := s.emit(ctx, events.ProfileUpdated, string(user), string(user), d)
	return err
}

// SetPreferences sets user's preference for mail about what concerns them
// (EINVALID with the field email_notifications for another value). The
// preference they have already changes nothing (no event).
func (s *Service) SetPreferences(ctx context.Context, user events.UserID, mail events.EmailNotifications) error {
	if !mail.Valid() {
		return fault.FieldError(fault.EINVALID, "email_notifications", `email_notifications must be "immediately", "daily", "weekly" or "off"`)
	}
	p, err := s.DB.Preferences(ctx, user)
	if err != nil {
		return err
	}
	if p.EmailNotifications == mail {
		return nil
	}
	_, err = s.emit(ctx, events.PreferencesSet, string(user), string(user), events.PreferencesSetData{UserID: string(user), EmailNotifications: mail})
	return err
}
