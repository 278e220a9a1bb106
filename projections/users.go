package projections

import (
	"context"
	"strconv"
	"strings"

	"forum/events"
)

// User is a user as others see it; the private fields are filled only for
// the user themself.
type User struct {
	ID        string `json:"id"`
	Nickname  string `json:"nickname"`
	CreatedAt string `json:"created_at"`
	Email     string `json:"email,omitempty"`
	// EmailVerified says whether Email was verified (for the user only).
	EmailVerified Verified `json:"email_verified,omitempty"`
	FirstName     string   `json:"first_name,omitempty"`
	LastName      string   `json:"last_name,omitempty"`
	Age           int      `json:"age,omitempty"`
	Gender        string   `json:"gender,omitempty"`
	// Bio is the user's words about themself, shown on their profile: only
	// the answers of a profile and of one's own account carry it.
	Bio string `json:"bio,omitempty"`
	// Role is "moderator" or "admin", empty for a member.
	Role events.Role `json:"role,omitempty"`
	// AvatarURL is where the user's avatar is served, nil for none.
	AvatarURL *string `json:"avatar_url"`
}

// avatarDest scans the avatar column (an upload's id, ” for none) into
// the URL it is served at.
type avatarDest struct{ url **string }

func (d avatarDest) Scan(v any) error {
	*d.url = avatarURL(v)
	return nil
}

// avatarURL is the URL of the avatar whose upload id is v (” or NULL: none).
func avatarURL(v any) *string {
	var id string
	switch v := v.(type) {
	case string:
		id = v
	case []byte:
		id = string(v)
	}
	if id == "" {
		return nil
	}
	u := ThumbURL(id)
	return &u
}

// Session is a signed-in session. LastUsedAt is when it was last recorded
// in use (at first, when it started).
type Session struct {
	ID         string `json:"id"`
	UserID     string `json:"-"`
	CreatedAt  string `json:"created_at"`
	LastUsedAt string `json:"last_used_at"`
	ExpiresAt  string `json:"expires_at"`
	UserAgent  string `json:"user_agent"`
}

func (a *applier) userRegistered(ev events.Event, d events.UserRegisteredData) error {
	if d.AgeSealed != "" {
		d.Age, _ = strconv.Atoi(d.AgeSealed)
	}
	if d.Nickname == events.ErasedText { // the account is erased: its key is gone
		d = events.UserRegisteredData{UserID: d.UserID, Nickname: ErasedNickname}
		return a.insertUser(ev, d, true)
	}
	return a.insertUser(ev, d, false)
}

func (a *applier) insertUser(ev events.Event, d events.UserRegisteredData, erased bool) error {
	key := strings.ToLower(d.Nickname)
	if erased {
		key = ""
	}
	_, err := a.exec(`INSERT OR IGNORE INTO users(id, seq, nickname, nickname_key, email, email_key, password_hash, first_name, last_name, age, gender, created_at, erased)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.UserID, ev.Seq, d.Nickname, key, d.Email, strings.ToLower(d.Email), d.PasswordHash,
		d.FirstName, d.LastName, d.Age, d.Gender, FormatTime(ev.Time), b2i(erased))
	return err
}

func (a *applier) sessionStarted(ev events.Event, d events.SessionStartedData) error {
	_, err := a.exec(`INSERT OR IGNORE INTO sessions(id, user_id, token_hash, created_at, expires_at, last_used_at, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		d.SessionID, d.UserID, d.TokenHash, FormatTime(ev.Time), FormatTime(d.ExpiresAt), FormatTime(ev.Time), d.UserAgent)
	return err
}

func (a *applier) sessionUsed(ev events.Event, d events.SessionUsedData) error {
	_, err := a.exec(`UPDATE sessions SET last_used_at = ?1 WHERE id = ?2 AND user_id = ?3 AND last_used_at < ?1`, FormatTime(ev.Time), d.SessionID, d.UserID)
	return err
}

func (a *applier) sessionEnded(_ events.Event, d events.SessionEndedData) error {
	_, err := a.exec(`UPDATE sessions SET ended = 1 WHERE id = ?`, d.SessionID)
	return err
}

const userCols = `u.id, u.nickname, u.created_at, u.role, u.avatar`

// userColsOf is userCols of the users table under another alias.
func userColsOf(alias string) string { return strings.ReplaceAll(userCols, "u.", alias+".") }

// userDest is where a row's userCols go.
func userDest(u *User) []any {
	return []any{&u.ID, &u.Nickname, &u.CreatedAt, &u.Role, avatarDest{&u.AvatarURL}}
}

// User returns a user's public fields, ENOTFOUND if there is no such user.
// Those fields never change once the user is registered: they are kept in
// memory (memo.go).
func (db *DB) User(ctx context.Context, userID events.UserID) (User, error) {
	id := string(userID)
	u, gen, ok := db.memo.users.get(id)
	if ok {
		return u, nil
	}
	u, err := one(ctx, db, "user", `SELECT `+userCols+` FROM users u WHERE u.id = ?`, func(row scanner) (u User, err error) {
		err = row.Scan(userDest(&u)...)
		return u, err
	}, id)
	if err == nil {
		db.memo.users.put(gen, id, u)
	}
	return u, err
}

// Account returns a user with their private fields, for themself.
func (db *DB) Account(ctx context.Context, userID events.UserID) (User, error) {
	id := string(userID)
	return one(ctx, db, "user", `SELECT `+userCols+`, email, first_name, last_name, age, gender, bio, email_verified FROM users u WHERE u.id = ?`, func(row scanner) (u User, err error) {
		var verified bool
		err = row.Scan(append(userDest(&u), &u.Email, &u.FirstName, &u.LastName, &u.Age, &u.Gender, &u.Bio, &verified)...)
		u.EmailVerified = VerifiedNo
		if verified {
			u.EmailVerified = VerifiedYes
		}
		return u, err
	}, id)
}

// Profile is a user's public fields, their bio, and their post and comment counts.
type Profile struct {
	User     User
	Posts    int
	Comments int
}

// Profile returns a user's profile, ENOTFOUND if there is no such user.
func (db *DB) Profile(ctx context.Context, userID events.UserID) (Profile, error) {
	id := string(userID)
	return one(ctx, db, "user", `SELECT `+userCols+`, bio, post_count, comment_count FROM users u WHERE u.id = ?`, func(row scanner) (p Profile, err error) {
		err = row.Scan(append(userDest(&p.User), &p.User.Bio, &p.Posts, &p.Comments)...)
		return p, err
	}, id)
}

// Credentials are the id and password hash of an account.
type Credentials struct {
	UserID       string
	PasswordHash string
}

// Credentials returns the credentials of the user whose nickname or email
// is login (ignoring case), ENOTFOUND if none.
func (db *DB) Credentials(ctx context.Context, login string) (Credentials, error) {
	key := strings.ToLower(login)
	return one(ctx, db, "user", credentialsQuery(key), func(row scanner) (c Credentials, err error) {
		err = row.Scan(&c.UserID, &c.PasswordHash)
		return c, err
	}, key)
}

// credentialsQuery is the SQL of Credentials for the lowercased login key.
func credentialsQuery(key string) string {
	col := "nickname_key"
	if strings.Contains(key, "@") {
		col = "email_key"
	}
	return `SELECT id, password_hash FROM users WHERE ` + col + ` = ? ORDER BY seq LIMIT 1`
}

const sessionCols = `id, user_id, created_at, last_used_at, expires_at, user_agent`

func scanSession(row scanner) (s Session, err error) {
	err = row.Scan(&s.ID, &s.UserID, &s.CreatedAt, &s.LastUsedAt, &s.ExpiresAt, &s.UserAgent)
	return s, err
}

const sessionByTokenHashQuery = `SELECT ` + sessionCols + ` FROM sessions WHERE token_hash = ? AND ended = 0`

// SessionByTokenHash returns the session with that token hash that has not
// been ended, ENOTFOUND if none. Expiry is the caller's to check. Sessions
// are kept in memory until a batch with a session event commits (memo.go):
// every request of a signed-in user asks for its session.
func (db *DB) SessionByTokenHash(ctx context.Context, tokenHash string) (Session, error) {
	sess, gen, ok := db.memo.sessions.get(tokenHash)
	if ok {
		return sess, nil
	}
	sess, err := one(ctx, db, "session", sessionByTokenHashQuery, scanSession, tokenHash)
	if err == nil {
		db.memo.sessions.put(gen, tokenHash, sess)
	}
	return sess, err
}

// Session returns the session id if it has not been ended, ENOTFOUND if
// none. Expiry is the caller's to check.
func (db *DB) Session(ctx context.Context, sessionID events.SessionID) (Session, error) {
	id := string(sessionID)
	return one(ctx, db, "session", `SELECT `+sessionCols+` FROM sessions WHERE id = ? AND ended = 0`, scanSession, id)
}

const sessionsOfQuery = `SELECT ` + sessionCols + ` FROM sessions WHERE user_id = ? AND ended = 0 ORDER BY created_at DESC LIMIT 1000`

// Sessions returns the sessions of user that have not been ended, newest
// first (at most 1,000). Expiry is the caller's to check.
func (db *DB) Sessions(ctx context.Context, userID events.UserID) ([]Session, error) {
	user := string(userID)
	page, err := readList(ctx, db, list[Session]{query: sessionsOfQuery, args: []any{user}, scan: scanSession})
	return page.Items, err
}
