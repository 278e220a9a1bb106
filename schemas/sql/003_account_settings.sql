-- Account settings: a short text about the user shown on their profile,
-- and how they want to hear by mail of what concerns them.
ALTER TABLE users ADD COLUMN bio TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN email_notifications TEXT NOT NULL DEFAULT 'immediately'; -- events.EmailNotifications
