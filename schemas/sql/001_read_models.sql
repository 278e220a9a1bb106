-- Read models of the forum. Only projectors write here; every row is derived
-- from the stream and the file can be deleted at any time.

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE categories (
  slug       TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  position   INTEGER NOT NULL,
  post_count INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE users (
  id            TEXT PRIMARY KEY,
  seq           INTEGER NOT NULL,
  nickname      TEXT NOT NULL,
  nickname_key  TEXT NOT NULL,
  email         TEXT NOT NULL,
  email_key     TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  first_name    TEXT NOT NULL DEFAULT '',
  last_name     TEXT NOT NULL DEFAULT '',
  age           INTEGER NOT NULL DEFAULT 0,
  gender        TEXT NOT NULL DEFAULT '',
  created_at    TEXT NOT NULL,
  post_count    INTEGER NOT NULL DEFAULT 0,
  comment_count INTEGER NOT NULL DEFAULT 0,
  notifications_read INTEGER NOT NULL DEFAULT 0, -- seq of the last notification read
  role          TEXT NOT NULL DEFAULT '', -- '' (a member), 'moderator' or 'admin'
  suspended_until TEXT,
  suspend_reason  TEXT NOT NULL DEFAULT '',
  erased        INTEGER NOT NULL DEFAULT 0,
  avatar        TEXT NOT NULL DEFAULT '' -- the id of the upload shown as the user's avatar, '' for none
);
-- Lookups only: uniqueness is decided by claims in the log, not here.
CREATE INDEX users_nickname_key ON users(nickname_key, id);
CREATE INDEX users_email_key ON users(email_key);

CREATE TABLE sessions (
  id           TEXT PRIMARY KEY,
  user_id      TEXT NOT NULL,
  token_hash   TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  expires_at   TEXT NOT NULL,
  last_used_at TEXT NOT NULL,
  user_agent   TEXT NOT NULL DEFAULT '',
  ended        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sessions_token_hash ON sessions(token_hash);
CREATE INDEX sessions_user ON sessions(user_id, created_at);

CREATE TABLE posts (
  id            TEXT PRIMARY KEY,
  seq           INTEGER NOT NULL UNIQUE,
  author_id     TEXT NOT NULL,
  title         TEXT NOT NULL,
  body          TEXT NOT NULL,
  body_html     TEXT NOT NULL, -- body rendered (markdown.go)
  categories    TEXT NOT NULL, -- JSON array of slugs, in the author's order
  created_at    TEXT NOT NULL,
  edited_at     TEXT,
  deleted       INTEGER NOT NULL DEFAULT 0,
  hidden        INTEGER NOT NULL DEFAULT 0, -- by a moderator
  likes         INTEGER NOT NULL DEFAULT 0,
  dislikes      INTEGER NOT NULL DEFAULT 0,
  comment_count INTEGER NOT NULL DEFAULT 0,
  pinned        TEXT,    -- 'global' or 'category' while pinned by a moderator
  pinned_seq    INTEGER, -- of the post.pinned event: the newest pin comes first
  view_count    INTEGER NOT NULL DEFAULT 0, -- distinct readers (post_reads rows)
  locked        INTEGER NOT NULL DEFAULT 0, -- by a moderator: no new comments
  -- The last activity: the post's own seq and time, or its newest comment
  -- neither hidden nor deleted (then last_commenter_id is that comment's
  -- author). Sequences are unique over the stream, so activity_seq orders
  -- the "latest" list without ties.
  activity_seq      INTEGER NOT NULL,
  activity_at       TEXT NOT NULL,
  last_commenter_id TEXT,
  score         INTEGER GENERATED ALWAYS AS (likes - dislikes) VIRTUAL -- orders "top"
);
CREATE INDEX posts_author_seq ON posts(author_id, seq);
CREATE INDEX posts_pinned ON posts(pinned, pinned_seq) WHERE pinned IS NOT NULL;
-- The "latest" and "top" lists walk these; created_at in posts_top filters a
-- period without reading the rows.
CREATE INDEX posts_latest ON posts(activity_seq) WHERE deleted = 0 AND hidden = 0;
CREATE INDEX posts_top ON posts(score, seq, created_at) WHERE deleted = 0 AND hidden = 0;

-- Every version of a post (its creation and each edit), rendered once by
-- the projector, so reading a post's history renders nothing. A deleted
-- post's versions go; an erased author's read as [deleted].
-- Keyed by post, so that applying (a delete, an erasure) finds a post's
-- versions without a secondary index.
CREATE TABLE post_versions (
  post_id    TEXT NOT NULL,
  seq        INTEGER NOT NULL, -- of the post.created or post.edited event
  title      TEXT NOT NULL,
  body       TEXT NOT NULL,
  body_html  TEXT NOT NULL,
  categories TEXT NOT NULL, -- JSON array of slugs
  edited_at  TEXT NOT NULL,
  PRIMARY KEY (post_id, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX post_versions_seq ON post_versions(seq);

-- A category's posts that are neither deleted nor hidden, with their places
-- in the "latest" and "top" lists (copied from posts as they move), so that
-- a category's list walks an index of its own.
CREATE TABLE post_categories (
  slug         TEXT NOT NULL,
  post_seq     INTEGER NOT NULL,
  post_id      TEXT NOT NULL,
  activity_seq INTEGER NOT NULL,
  score        INTEGER NOT NULL,
  created_at   TEXT NOT NULL,
  PRIMARY KEY (slug, post_seq)
) WITHOUT ROWID;
CREATE INDEX post_categories_post ON post_categories(post_id);
CREATE INDEX post_categories_latest ON post_categories(slug, activity_seq);
CREATE INDEX post_categories_top ON post_categories(slug, score, post_seq, created_at);

-- A post's score and activity follow it into its categories' rows (by
-- their primary key: no secondary index needed while applying).
CREATE TRIGGER posts_rank_to_categories AFTER UPDATE OF likes, dislikes, activity_seq ON posts BEGIN
  UPDATE post_categories SET score = NEW.likes - NEW.dislikes, activity_seq = NEW.activity_seq
    WHERE slug IN (SELECT value FROM json_each(NEW.categories)) AND post_seq = NEW.seq;
END;

-- Who took part in a post's thread: each commenter with their newest comment
-- neither hidden nor deleted (last_seq). The newest few show on the post.
CREATE TABLE post_participants (
  post_id  TEXT NOT NULL,
  user_id  TEXT NOT NULL,
  last_seq INTEGER NOT NULL,
  PRIMARY KEY (post_id, user_id)
) WITHOUT ROWID;
CREATE INDEX post_participants_recent ON post_participants(post_id, last_seq);

CREATE TABLE comments (
  id         TEXT PRIMARY KEY,
  seq        INTEGER NOT NULL UNIQUE,
  post_id    TEXT NOT NULL,
  author_id  TEXT NOT NULL,
  body       TEXT NOT NULL,
  body_html  TEXT NOT NULL,
  created_at TEXT NOT NULL,
  edited_at  TEXT,
  deleted    INTEGER NOT NULL DEFAULT 0,
  hidden     INTEGER NOT NULL DEFAULT 0,
  likes      INTEGER NOT NULL DEFAULT 0,
  dislikes   INTEGER NOT NULL DEFAULT 0,
  reply_to   TEXT, -- the comment of the same post it answers
  reply_author TEXT -- that comment's author (a comment's author never changes)
);
CREATE INDEX comments_post_seq ON comments(post_id, seq);
CREATE INDEX comments_author_seq ON comments(author_id, seq);

-- Who has opened which post, and the stream sequence of the last comment
-- they have read there (0: none yet). A position never goes back. post_seq
-- orders a reader's unread list like the feed.
CREATE TABLE post_reads (
  user_id  TEXT NOT NULL,
  post_id  TEXT NOT NULL,
  post_seq INTEGER NOT NULL,
  read_seq INTEGER NOT NULL,
  PRIMARY KEY (user_id, post_id)
) WITHOUT ROWID;
CREATE INDEX post_reads_user_post_seq ON post_reads(user_id, post_seq);

-- One row per (target, voter) with a non-zero vote. target_seq orders the
-- "liked by" and "disliked by" lists like the feed.
CREATE TABLE votes (
  kind       TEXT NOT NULL, -- 'post' or 'comment'
  target_id  TEXT NOT NULL,
  user_id    TEXT NOT NULL,
  value      INTEGER NOT NULL,
  target_seq INTEGER NOT NULL,
  PRIMARY KEY (kind, target_id, user_id)
) WITHOUT ROWID;
CREATE INDEX votes_user ON votes(user_id, kind, value, target_seq);

-- Direct and room messages. seq is the stream sequence of the event.
CREATE TABLE messages (
  seq        INTEGER PRIMARY KEY,
  id         TEXT NOT NULL UNIQUE,
  conv       TEXT NOT NULL, -- 'dm:<pair key>' or 'room:<name>'
  from_id    TEXT NOT NULL,
  to_id      TEXT,
  room       TEXT,
  body       TEXT NOT NULL,
  body_html  TEXT NOT NULL,
  created_at TEXT NOT NULL,
  hidden     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX messages_conv_seq ON messages(conv, seq);
CREATE INDEX messages_from ON messages(from_id, seq);

-- Each user's side of a direct conversation.
CREATE TABLE conversations (
  user_id         TEXT NOT NULL,
  peer_id         TEXT NOT NULL,
  last_seq        INTEGER NOT NULL,
  last_message_at TEXT NOT NULL,
  read_seq        INTEGER NOT NULL DEFAULT 0,
  unread          INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, peer_id)
) WITHOUT ROWID;
CREATE INDEX conversations_recent ON conversations(user_id, last_seq);

CREATE TABLE rooms (
  name            TEXT PRIMARY KEY,
  created_at      TEXT NOT NULL,
  last_message_at TEXT,
  message_count   INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX rooms_recent ON rooms(last_message_at DESC, name);

-- Room members, and how far each has read the room.
CREATE TABLE room_members (
  room      TEXT NOT NULL,
  user_id   TEXT NOT NULL,
  joined_at TEXT NOT NULL,
  read_seq  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (room, user_id)
) WITHOUT ROWID;
CREATE INDEX room_members_user ON room_members(user_id, room);

-- What a user is told of: a mention of them, a comment on their post or on
-- a post they watch, a new post in a category they watch.
-- seq is the stream sequence of the event that made it (the post, comment
-- or message), so it goes with what it points at.
CREATE TABLE notifications (
  seq        INTEGER NOT NULL,
  user_id    TEXT NOT NULL,
  kind       TEXT NOT NULL, -- 'mention', 'reply', 'comment' or 'topic'
  actor_id   TEXT NOT NULL,
  post_id    TEXT,
  comment_id TEXT,
  room       TEXT,
  message_id TEXT,
  excerpt    TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (seq, user_id)
) WITHOUT ROWID;
CREATE INDEX notifications_user ON notifications(user_id, seq);

-- A reader's bookmarks: seq (of the bookmark.added event) orders their list,
-- newest first.
CREATE TABLE bookmarks (
  user_id TEXT NOT NULL,
  post_id TEXT NOT NULL,
  seq     INTEGER NOT NULL,
  PRIMARY KEY (user_id, post_id)
) WITHOUT ROWID;
CREATE INDEX bookmarks_user_seq ON bookmarks(user_id, seq);

-- Watch levels a reader set: on a post ('watching', 'normal' or 'muted',
-- each over the post's categories' and the default), on a category
-- ('watching' or 'muted'; 'normal' is no row). seq is of the watch.set
-- event: the oldest watchers are told first when there are more than a
-- notification's fan-out bound.
CREATE TABLE post_watches (
  post_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  level   TEXT NOT NULL,
  seq     INTEGER NOT NULL,
  PRIMARY KEY (post_id, user_id)
) WITHOUT ROWID;
CREATE INDEX post_watches_user ON post_watches(user_id, level);

CREATE TABLE category_watches (
  slug    TEXT NOT NULL,
  user_id TEXT NOT NULL,
  level   TEXT NOT NULL,
  seq     INTEGER NOT NULL,
  PRIMARY KEY (slug, user_id)
) WITHOUT ROWID;
CREATE INDEX category_watches_user ON category_watches(user_id, level);

-- Full-text search (FTS5): posts and comments that are not deleted (rowid:
-- the post's or comment's seq), and messages (rowid: the message's seq).
-- Prefixes of 2 and 3 letters are indexed too, so a short prefix is one
-- look-up instead of a merge of every word it starts.
CREATE VIRTUAL TABLE search_docs USING fts5(title, body, kind UNINDEXED, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');
CREATE VIRTUAL TABLE search_messages USING fts5(body, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');
-- Their terms, to count how many a longer prefix starts before it is merged.
CREATE VIRTUAL TABLE search_docs_terms USING fts5vocab(search_docs, row);
CREATE VIRTUAL TABLE search_messages_terms USING fts5vocab(search_messages, row);

-- Moderation: flags and what became of them, every moderator's action, and
-- who blocks whom.
CREATE TABLE flags (
  id         TEXT PRIMARY KEY,
  seq        INTEGER NOT NULL,
  kind       TEXT NOT NULL, -- 'post', 'comment' or 'message'
  target_id  TEXT NOT NULL,
  target_seq INTEGER NOT NULL, -- the item's latest event when it was flagged
  reason     TEXT NOT NULL,
  by_id      TEXT NOT NULL,
  created_at TEXT NOT NULL,
  status     TEXT NOT NULL DEFAULT 'open' -- 'open', 'hidden' or 'dismissed'
);
CREATE INDEX flags_status ON flags(status, seq);
CREATE INDEX flags_target ON flags(kind, target_id, status);

CREATE TABLE mod_log (
  seq         INTEGER PRIMARY KEY,
  action      TEXT NOT NULL, -- hide, restore, dismiss, suspend, unsuspend, purge, role
  target_kind TEXT NOT NULL,
  target_id   TEXT NOT NULL,
  by_id       TEXT NOT NULL,
  reason      TEXT NOT NULL,
  created_at  TEXT NOT NULL
);

CREATE TABLE blocks (
  user_id    TEXT NOT NULL,
  blocked_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (user_id, blocked_id)
) WITHOUT ROWID;

-- Every event each user made (its actor), for their export.
CREATE TABLE actor_events (
  user_id TEXT NOT NULL,
  seq     INTEGER NOT NULL,
  PRIMARY KEY (user_id, seq)
) WITHOUT ROWID;

-- Uploaded pictures (their bytes are objects of the bucket FORUM_MEDIA). used
-- is set once a post, comment, message or avatar shows one; deleted once it is
-- gone (unused a day, or its owner erased). hash is the hex SHA-256 of the
-- picture as stored, by which its owner's second upload of it finds it (''
-- for uploads older than the hash, and once it is gone).
CREATE TABLE uploads (
  id           TEXT PRIMARY KEY,
  seq          INTEGER NOT NULL,
  owner_id     TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size         INTEGER NOT NULL,
  width        INTEGER NOT NULL,
  height       INTEGER NOT NULL,
  thumb_type   TEXT NOT NULL,
  thumb_size   INTEGER NOT NULL,
  thumb_width  INTEGER NOT NULL,
  thumb_height INTEGER NOT NULL,
  created_at   TEXT NOT NULL,
  used         INTEGER NOT NULL DEFAULT 0,
  deleted      INTEGER NOT NULL DEFAULT 0,
  hash         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX uploads_owner ON uploads(owner_id, seq);
CREATE INDEX uploads_hash ON uploads(owner_id, hash) WHERE deleted = 0 AND hash != '';
CREATE INDEX uploads_unused ON uploads(created_at) WHERE used = 0 AND deleted = 0;

-- Events that could not be applied (undecodable, an unknown version or type):
-- recorded here and gone past, for an operator to look at.
CREATE TABLE quarantine (
  seq     INTEGER PRIMARY KEY,
  subject TEXT NOT NULL,
  type    TEXT NOT NULL,
  reason  TEXT NOT NULL
);
