-- 0009: a community's past brought in (imported chats, members known to have posted before), and members'
-- control of their data (opting out, the audit of what was erased, how long message text is kept).

-- A chat found in imported history: its key (the channel and the message of its first question) makes importing
-- the same messages twice add nothing.
ALTER TABLE chat_session ADD COLUMN imported_key TEXT;
CREATE UNIQUE INDEX chat_session_imported ON chat_session (imported_key) WHERE imported_key IS NOT NULL;

-- Members seen posting before the bot came (read back when it first joined, or in imported history): they are
-- never greeted as first-time chatters and get no newcomer row.
CREATE TABLE prior_poster (
    guild_id       INTEGER NOT NULL,
    user_id        INTEGER NOT NULL,
    last_posted_at TEXT    NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;

-- An import of a server's past, from Discord or from files: one running at a time per server, resumed after a
-- restart from where each channel got to.
CREATE TABLE history_import (
    guild_id    INTEGER PRIMARY KEY,
    source      TEXT    NOT NULL CHECK (source IN ('discord', 'file')),
    status      TEXT    NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    channels    TEXT    NOT NULL DEFAULT '[]',        -- JSON: the channel ids being read
    since       TEXT,                                 -- read messages from this moment on (NULL: all)
    cursors     TEXT    NOT NULL DEFAULT '{}',        -- JSON: channel id → the newest message id imported
    messages    INTEGER NOT NULL DEFAULT 0,
    chats       INTEGER NOT NULL DEFAULT 0,
    started_by  INTEGER,
    started_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    error       TEXT
);

-- Members who asked not to be recorded (/privacy optout), from when.
CREATE TABLE privacy_optout (
    guild_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    since    TEXT    NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

-- What was erased and when, without saying whose: "a member was forgotten", "message text older than 180 days
-- was purged".
CREATE TABLE privacy_audit (
    id       INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    action   TEXT    NOT NULL,
    detail   TEXT    NOT NULL DEFAULT '',
    at       TEXT    NOT NULL
);
CREATE INDEX privacy_audit_guild ON privacy_audit (guild_id, at);

-- How long message text is kept (counts and monthly rollups are kept); NULL: the default, 180 days.
ALTER TABLE guild_config ADD COLUMN retention_days INTEGER;
