-- Whether the account's address was verified through a link it was sent
-- (or counted as verified: the demo's accounts).
ALTER TABLE users ADD COLUMN email_verified INTEGER NOT NULL DEFAULT 0;

-- The links sent by mail, by the SHA-256 of their token (never the token):
-- 'verify' an address (email: the address it verifies; change: it replaces
-- the account's) or 'reset' a password. A token is good once, until
-- expires_at.
CREATE TABLE mail_tokens (
  token_hash TEXT PRIMARY KEY,
  purpose    TEXT NOT NULL, -- 'verify' or 'reset'
  user_id    TEXT NOT NULL,
  email      TEXT NOT NULL,
  change     INTEGER NOT NULL DEFAULT 0,
  expires_at TEXT NOT NULL,
  used       INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX mail_tokens_user ON mail_tokens(user_id, purpose, expires_at);
