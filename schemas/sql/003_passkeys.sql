-- Passkeys: a user's WebAuthn credentials, each a sign-in of its own.
-- credential_id is the authenticator's id of the credential (base64url),
-- unique across the forum: a second enrolment of the same id is ignored
-- (the first in the log holds it). credential is the credential record as
-- the WebAuthn library keeps it (JSON), updated by each sign-in.
CREATE TABLE passkeys (
  user_id       TEXT NOT NULL,
  id            TEXT NOT NULL,
  name          TEXT NOT NULL,
  credential_id TEXT NOT NULL UNIQUE,
  credential    TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  last_used_at  TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (user_id, id)
) WITHOUT ROWID;
