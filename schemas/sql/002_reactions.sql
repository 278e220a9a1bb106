-- Reactions: one row per (target, reaction, user) that is on. seq is the
-- stream sequence of the reaction.added event: who reacted is listed in
-- the order they did.
CREATE TABLE reactions (
  kind      TEXT NOT NULL, -- 'post', 'comment' or 'message'
  target_id TEXT NOT NULL,
  name      TEXT NOT NULL, -- one of events.ReactionNames
  user_id   TEXT NOT NULL,
  seq       INTEGER NOT NULL,
  PRIMARY KEY (kind, target_id, name, user_id)
) WITHOUT ROWID;
CREATE INDEX reactions_who ON reactions(kind, target_id, name, seq);
CREATE INDEX reactions_mine ON reactions(user_id, kind, target_id);

-- Each target's counts by reaction, as a JSON object of the names whose
-- count is above zero ({"+1": 2, "heart": 1}), kept by the apply functions.
ALTER TABLE posts ADD COLUMN reactions TEXT NOT NULL DEFAULT '{}';
ALTER TABLE comments ADD COLUMN reactions TEXT NOT NULL DEFAULT '{}';
ALTER TABLE messages ADD COLUMN reactions TEXT NOT NULL DEFAULT '{}';
