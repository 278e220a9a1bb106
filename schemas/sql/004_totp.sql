-- Two factors: a user's authenticator (TOTP, RFC 6238). pending_secret is
-- the secret of an enrolment not yet confirmed; secret, once a code of it
-- confirmed it, is the one sign-ins ask a code of (base32, both opened from
-- the log, where they are sealed under the user's key). last_step is the
-- time step of the last code taken: no code of it or before is taken again.
CREATE TABLE totp (
  user_id        TEXT PRIMARY KEY,
  pending_secret TEXT NOT NULL DEFAULT '',
  secret         TEXT NOT NULL DEFAULT '', -- '': two factors are off
  last_step      INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- The recovery codes of a user with two factors on: the hex SHA-256 of
-- each (n is its number, 1 to 10), and whether it was spent.
CREATE TABLE totp_recovery (
  user_id TEXT NOT NULL,
  n       INTEGER NOT NULL,
  hash    TEXT NOT NULL,
  used    INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, n)
) WITHOUT ROWID;
