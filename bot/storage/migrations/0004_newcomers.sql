-- 0004: welcomes, newcomers' first steps, human greetings, first-time chatters and moderators' reviews.

-- How a server welcomes people, and the state of its welcome desk; no row means the built-in welcome.
CREATE TABLE welcome_config (
    guild_id        INTEGER PRIMARY KEY,
    template        TEXT,                         -- NULL: the built-in welcome
    dm              INTEGER NOT NULL DEFAULT 0,   -- also send the welcome by direct message
    ping_helpers    INTEGER NOT NULL DEFAULT 1,   -- ping the helper role when first-time chatters are greeted
    burst_since     TEXT,                         -- set while a join burst lasts: one moderator alert per burst
    last_welcome_at TEXT,                         -- when the last welcome went out (bursts get one a minute)
    updated_at      TEXT,
    updated_by      INTEGER
);

-- A member's first steps in a server, kept while they are new and for the moderators' report.
CREATE TABLE newcomer (
    guild_id            INTEGER NOT NULL,
    user_id             INTEGER NOT NULL,
    -- waiting: welcome not yet posted; welcomed; held: account too new to ping publicly;
    -- repeat: rejoined within a day of leaving, already welcomed; missed: the welcome came too late to send.
    welcome             TEXT    NOT NULL CHECK (welcome IN ('waiting', 'welcomed', 'held', 'repeat', 'missed')),
    welcomed_at         TEXT,
    welcome_message_id  INTEGER,
    first_message_id    INTEGER,
    first_channel_id    INTEGER,
    first_message_at    TEXT,
    first_message_text  TEXT,                     -- at most 200 characters
    link_in_first       INTEGER NOT NULL DEFAULT 0,
    mass_mentions       INTEGER NOT NULL DEFAULT 0,  -- 5 or more mentions in one message
    repeated_text       INTEGER NOT NULL DEFAULT 0,  -- the same text in 3 or more channels within 10 minutes
    greeted_by          INTEGER,                  -- the first member (not a bot) to reply to or mention them
    greeted_at          TEXT,
    greeting_message_id INTEGER,
    PRIMARY KEY (guild_id, user_id),
    FOREIGN KEY (guild_id, user_id) REFERENCES members (guild_id, user_id) ON DELETE CASCADE
);
CREATE INDEX newcomer_waiting ON newcomer (guild_id, welcome);

-- Every review a moderator made; a newcomer's status is their latest row.
CREATE TABLE newcomer_review (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('reviewed', 'follow_up', 'watch')),
    reviewer_id INTEGER NOT NULL,
    reviewed_at TEXT    NOT NULL
);
CREATE INDEX newcomer_review_member ON newcomer_review (guild_id, user_id, id);

-- Someone's first post at their first chat, and the batched greeting the bot gave them in it.
CREATE TABLE chat_greeting (
    session_id       INTEGER NOT NULL REFERENCES chat_session(id) ON DELETE CASCADE,
    user_id          INTEGER NOT NULL,
    first_message_id INTEGER NOT NULL,
    first_at         TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'greeted', 'missed')),
    greeted_at       TEXT,
    message_id       INTEGER,                     -- the greeting post
    PRIMARY KEY (session_id, user_id)
);

-- The activity ledger gains 'greeting' (a member greeted a newcomer in their first week: a helpful act).
-- SQLite cannot change a CHECK constraint in place, so the table is rebuilt with its rows and indexes.
CREATE TABLE activity_new (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('checkin', 'message', 'answer', 'reply', 'hosted', 'greeting')),
    session_id      INTEGER REFERENCES chat_session(id) ON DELETE SET NULL,
    question_number INTEGER,
    message_id      INTEGER,
    target_user_id  INTEGER,
    occurred_at     TEXT    NOT NULL
);
INSERT INTO activity_new (id, guild_id, user_id, kind, session_id, question_number, message_id, target_user_id,
                          occurred_at)
    SELECT id, guild_id, user_id, kind, session_id, question_number, message_id, target_user_id, occurred_at
    FROM activity;
DROP TABLE activity;
ALTER TABLE activity_new RENAME TO activity;
CREATE UNIQUE INDEX activity_once ON activity (kind, session_id, user_id, COALESCE(message_id, 0));
CREATE INDEX activity_member ON activity (guild_id, user_id, occurred_at);
