-- 0002: weekly chat series, their sessions and questions, every scheduled post, chat messages and the
-- member activity ledger that progression reports read.

-- A recurring chat: "#GetRealChat, Tuesdays 21:00 America/New_York in #getreal-chat".
CREATE TABLE chat_series (
    id                     INTEGER PRIMARY KEY,
    guild_id               INTEGER NOT NULL,
    name                   TEXT    NOT NULL,
    hashtag                TEXT    NOT NULL,           -- without the '#'
    channel_id             INTEGER NOT NULL,
    weekday                INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),  -- 0 = Monday
    local_time             TEXT    NOT NULL,           -- HH:MM, wall-clock time in `timezone`
    timezone               TEXT    NOT NULL,           -- IANA name
    duration_seconds       INTEGER NOT NULL,
    spacing_seconds        INTEGER NOT NULL,
    first_question_seconds INTEGER NOT NULL,
    pacing                 TEXT    NOT NULL DEFAULT 'fixed' CHECK (pacing IN ('fixed', 'adaptive')),
    use_threads            INTEGER NOT NULL DEFAULT 0,
    paused                 INTEGER NOT NULL DEFAULT 0,
    created_by             INTEGER NOT NULL,
    created_at             TEXT    NOT NULL,
    UNIQUE (guild_id, name COLLATE NOCASE)
);

-- One occurrence of a series (or an ad hoc chat). Name, hashtag and zone are copied so that history
-- survives the series being edited or deleted.
CREATE TABLE chat_session (
    id          INTEGER PRIMARY KEY,
    series_id   INTEGER REFERENCES chat_series(id) ON DELETE SET NULL,
    guild_id    INTEGER NOT NULL,
    channel_id  INTEGER NOT NULL,
    series_name TEXT    NOT NULL,
    hashtag     TEXT    NOT NULL,
    timezone    TEXT    NOT NULL,
    starts_at   TEXT    NOT NULL,
    topic       TEXT,
    guest       TEXT,
    status      TEXT    NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'skipped', 'running', 'ended')),
    started_at  TEXT,
    ended_at    TEXT,
    event_id    INTEGER,                               -- the Discord scheduled event, if created
    UNIQUE (series_id, starts_at)
);
CREATE INDEX chat_session_guild ON chat_session (guild_id, starts_at);

CREATE TABLE session_cohost (
    session_id INTEGER NOT NULL REFERENCES chat_session(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    PRIMARY KEY (session_id, user_id)
);

-- A session's questions in order; number is the Q-number people answer with.
CREATE TABLE question (
    session_id INTEGER NOT NULL REFERENCES chat_session(id) ON DELETE CASCADE,
    number     INTEGER NOT NULL CHECK (number >= 1),
    text       TEXT    NOT NULL,
    PRIMARY KEY (session_id, number)
);

-- Every post the bot makes on a schedule, under a stable key, so a restart neither repeats nor drops one.
CREATE TABLE scheduled_post (
    key        TEXT    PRIMARY KEY,                    -- e.g. 'session:12:q3'
    session_id INTEGER REFERENCES chat_session(id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,                       -- opening, question, closing, recap, announcement
    channel_id INTEGER NOT NULL,
    due_at     TEXT    NOT NULL,
    status     TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'posted', 'skipped', 'failed')),
    message_id INTEGER,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    posted_at  TEXT
);
CREATE INDEX scheduled_post_pending ON scheduled_post (status, due_at);

-- What was said in a chat: the transcript, and which question each answer was attributed to.
CREATE TABLE chat_message (
    message_id         INTEGER PRIMARY KEY,
    session_id         INTEGER NOT NULL REFERENCES chat_session(id) ON DELETE CASCADE,
    author_id          INTEGER NOT NULL,
    author_name        TEXT    NOT NULL,
    content            TEXT    NOT NULL,
    created_at         TEXT    NOT NULL,
    edited_at          TEXT,
    deleted            INTEGER NOT NULL DEFAULT 0,
    reply_to_author_id INTEGER,
    question_number    INTEGER,
    reactions          INTEGER NOT NULL DEFAULT 0,
    is_bot             INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX chat_message_session ON chat_message (session_id, created_at);

-- The activity ledger: who did what, when, where. Progression reads only this table.
CREATE TABLE activity (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('checkin', 'message', 'answer', 'reply', 'hosted')),
    session_id      INTEGER REFERENCES chat_session(id) ON DELETE SET NULL,
    question_number INTEGER,
    message_id      INTEGER,
    target_user_id  INTEGER,
    occurred_at     TEXT    NOT NULL
);
-- Never counted twice: one check-in per session, one row per kind per message.
CREATE UNIQUE INDEX activity_once ON activity (kind, session_id, user_id, COALESCE(message_id, 0));
CREATE INDEX activity_member ON activity (guild_id, user_id, occurred_at);
