package events

// Account settings: what a user changes about their own account once it
// exists (their password, their profile, their preferences).
const (
	// PasswordChanged: the account's password is another; every
	// session of it but one (KeepSessionID, or none) ends.
	PasswordChanged Type = "password.changed"
	// ProfileUpdated: some of the account's profile fields are new.
	ProfileUpdated Type = "profile.updated"
	// PreferencesSet: the account's preferences are new.
	PreferencesSet Type = "preferences.set"
)

// PasswordChangedData is the payload of password.changed.
// PasswordHash is the new password's argon2id hash in PHC string form,
// never the password; every session of UserID started before the event
// ends, but KeepSessionID ("" for none: they all end).
type PasswordChangedData struct {
	UserID        string `json:"user_id"`
	PasswordHash  string `json:"password_hash"`
	KeepSessionID string `json:"keep_session_id,omitempty"`
}

// Personal seals the password hash under the user's key.
func (d *PasswordChangedData) Personal(string) (string, []*string) {
	return d.UserID, []*string{&d.PasswordHash}
}

// Credentials returns the fields that verify the account: left out of exports.
func (d *PasswordChangedData) Credentials() []*string { return []*string{&d.PasswordHash} }

// ProfileField names a field of a user's profile.
type ProfileField string

// The profile fields a user changes.
const (
	ProfileFirstName ProfileField = "first_name"
	ProfileLastName  ProfileField = "last_name"
	ProfileAge       ProfileField = "age"
	ProfileGender    ProfileField = "gender"
	ProfileBio       ProfileField = "bio"
)

// ProfileUpdatedData is the payload of profile.updated: the
// fields named in Changed take the values given ("" clears a field; Age
// is the age in decimal, "" for none), the others stay as they are, so
// two updates of different fields both hold whatever their order.
type ProfileUpdatedData struct {
	UserID    string         `json:"user_id"`
	Changed   []ProfileField `json:"changed"`
	FirstName string         `json:"first_name,omitempty"`
	LastName  string         `json:"last_name,omitempty"`
	Age       string         `json:"age,omitempty"`
	Gender    string         `json:"gender,omitempty"`
	Bio       string         `json:"bio,omitempty"`
}

// Personal seals the profile's fields under the user's key.
func (d *ProfileUpdatedData) Personal(string) (string, []*string) {
	return d.UserID, []*string{&d.FirstName, &d.LastName, &d.Age, &d.Gender, &d.Bio}
}

// EmailNotifications is how a user wants to hear of what concerns them by
// mail: at once, in a daily or weekly digest, or not at all.
type EmailNotifications string

// The choices of EmailNotifications; EmailImmediately is the default.
const (
	EmailImmediately EmailNotifications = "immediately"
	EmailDaily       EmailNotifications = "daily"
	EmailWeekly      EmailNotifications = "weekly"
	EmailOff         EmailNotifications = "off"
)

// Valid reports whether e is one of the choices.
func (e EmailNotifications) Valid() bool {
	return e == EmailImmediately || e == EmailDaily || e == EmailWeekly || e == EmailOff
}

// PreferencesSetData is the payload of preferences.set: UserID's
// preferences are now these.
type PreferencesSetData struct {
	UserID             string             `json:"user_id"`
	EmailNotifications EmailNotifications `json:"email_notifications"`
}
