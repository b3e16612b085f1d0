-- 0003: what running a chat needs beyond 0002: who started it and when it ends (extend, hold),
-- which question a scheduled post and its thread carry, and the recap and transcripts kept per session.

ALTER TABLE chat_session ADD COLUMN started_by INTEGER;
-- The plan the chat runs on, copied at start (an ad hoc chat has no series to read it from).
ALTER TABLE chat_session ADD COLUMN duration_seconds INTEGER;
ALTER TABLE chat_session ADD COLUMN spacing_seconds INTEGER;
ALTER TABLE chat_session ADD COLUMN pacing TEXT;
-- When the chat closes; set at start, moved by /chat extend and by a hold.
ALTER TABLE chat_session ADD COLUMN ends_at TEXT;
-- Set while a host holds the question clock (/chat hold), cleared by /chat continue.
ALTER TABLE chat_session ADD COLUMN held_at TEXT;

-- Reminder lead times in seconds, comma-separated, longest first ('' for none): 24 h and 1 h by default.
ALTER TABLE chat_series ADD COLUMN reminders TEXT NOT NULL DEFAULT '86400,3600';

ALTER TABLE scheduled_post ADD COLUMN question_number INTEGER;
-- The question's thread, when the series answers in threads.
ALTER TABLE scheduled_post ADD COLUMN thread_id INTEGER;
CREATE INDEX scheduled_post_session ON scheduled_post (session_id, kind);
CREATE INDEX scheduled_post_message ON scheduled_post (message_id);

-- The recap and both transcripts of a finished session, kept so /chat transcript can return them any time.
CREATE TABLE transcript (
    session_id INTEGER PRIMARY KEY REFERENCES chat_session(id) ON DELETE CASCADE,
    recap      TEXT NOT NULL,
    markdown   TEXT NOT NULL,
    html       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
