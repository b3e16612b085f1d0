-- 0008: progression. The ledger gains helpful acts, thanks and reactions giver → receiver; a server's stage
-- thresholds, the channels it opts in and the leaders its moderators name; and the monthly rollups that reports
-- read instead of the raw rows.

-- Helpful acts and thanks said in a message: one row per message, kind and member it is towards, so an edit
-- rewrites them and nothing is counted twice. Chat channels and opted-in channels alike (session_id NULL
-- outside a chat). Greetings of newcomers stay in activity ('greeting').
CREATE TABLE act (
    message_id     INTEGER NOT NULL,
    kind           TEXT    NOT NULL CHECK (kind IN ('helpful', 'thanks')),
    target_user_id INTEGER NOT NULL,                 -- whom it helped or thanked
    guild_id       INTEGER NOT NULL,
    channel_id     INTEGER NOT NULL,
    user_id        INTEGER NOT NULL,                 -- who helped or thanked
    session_id     INTEGER,                          -- the chat it was said in, if one was running
    occurred_at    TEXT    NOT NULL,
    PRIMARY KEY (message_id, kind, target_user_id)
) WITHOUT ROWID;
CREATE INDEX act_time ON act (guild_id, occurred_at);
CREATE INDEX act_member ON act (guild_id, user_id, occurred_at);
CREATE INDEX act_target ON act (guild_id, target_user_id, occurred_at);

-- Reactions giver → receiver (chat_message.reactions keeps the count per message for the recap). A reaction
-- with one of the server's thanks emoji is thanks; taking it off deletes the row.
CREATE TABLE reaction (
    message_id INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,                     -- who reacted
    emoji      TEXT    NOT NULL,
    guild_id   INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    author_id  INTEGER NOT NULL,                     -- whose message it is
    reacted_at TEXT    NOT NULL,
    PRIMARY KEY (message_id, user_id, emoji)
) WITHOUT ROWID;
CREATE INDEX reaction_time ON reaction (guild_id, reacted_at);
CREATE INDEX reaction_author ON reaction (guild_id, author_id, reacted_at);

-- The ledger read by time, for a month's figures and the window of every member at a month's close.
CREATE INDEX activity_time ON activity (guild_id, occurred_at);

-- A server's chats newest first, for a member's streak of chats answered in a row.
CREATE INDEX chat_session_started ON chat_session (guild_id, started_at) WHERE started_at IS NOT NULL;

-- How a server measures progression; no row means the defaults (bot/domain/progression.py).
CREATE TABLE progression_config (
    guild_id     INTEGER PRIMARY KEY,
    thresholds   TEXT    NOT NULL DEFAULT '{}',      -- JSON: only the thresholds that differ from the defaults
    role_id      INTEGER,                            -- granted on reaching helper or leader; NULL: off
    congratulate INTEGER NOT NULL DEFAULT 0,         -- a short congratulation in the chat channel
    updated_at   TEXT,
    updated_by   INTEGER
);

-- Channels besides the chat channels where helping and thanking count (many servers help in #help).
CREATE TABLE progression_channel (
    guild_id   INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    added_by   INTEGER NOT NULL,
    added_at   TEXT    NOT NULL,
    PRIMARY KEY (guild_id, channel_id)
);

-- Leaders named by a moderator (a leader for as long as the row stays).
CREATE TABLE progression_named (
    guild_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    named_by INTEGER NOT NULL,
    named_at TEXT    NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

-- A month of a server, closed once at its end in the server's time zone (or provisional while it runs), with
-- the thresholds it was judged by: a later change of thresholds never rewrites it.
CREATE TABLE progression_close (
    guild_id    INTEGER NOT NULL,
    month       TEXT    NOT NULL,                    -- 'YYYY-MM' in the server's time zone
    provisional INTEGER NOT NULL,                    -- 1: the month is still running, rows are refreshed
    timezone    TEXT    NOT NULL,
    thresholds  TEXT    NOT NULL,                    -- JSON, all of them
    closed_at   TEXT    NOT NULL,                    -- when the rows were written
    PRIMARY KEY (guild_id, month)
);

-- Every member of a server in a month: their stage at the month's end (and why), and the month's own figures.
CREATE TABLE progression_month (
    guild_id        INTEGER NOT NULL,
    month           TEXT    NOT NULL,
    user_id         INTEGER NOT NULL,
    name            TEXT    NOT NULL,
    stage           TEXT    NOT NULL CHECK (stage IN ('lurker', 'participant', 'regular', 'helper', 'leader')),
    previous        TEXT    CHECK (previous IN ('lurker', 'participant', 'regular', 'helper', 'leader')),
    reasons         TEXT    NOT NULL,
    below           INTEGER NOT NULL DEFAULT 0,      -- under 75% of the stage's requirements at the month's end
    helper_months   INTEGER NOT NULL DEFAULT 0,      -- consecutive months, this one included, meeting helper in full
    joined_at       TEXT,                            -- when they (first) joined the server, if the bot saw it
    first_answer_at TEXT,                            -- their first answer ever, if by the month's end
    chats           INTEGER NOT NULL DEFAULT 0,      -- chats attended this month (posted or checked in)
    answers         INTEGER NOT NULL DEFAULT 0,
    replies         INTEGER NOT NULL DEFAULT 0,
    helpful         INTEGER NOT NULL DEFAULT 0,      -- helpful acts
    helped          INTEGER NOT NULL DEFAULT 0,      -- different people helped
    thanks          INTEGER NOT NULL DEFAULT 0,      -- thanks received
    checkins        INTEGER NOT NULL DEFAULT 0,
    hosted          INTEGER NOT NULL DEFAULT 0,      -- chats hosted or co-hosted
    PRIMARY KEY (guild_id, month, user_id)
) WITHOUT ROWID;
CREATE INDEX progression_month_member ON progression_month (guild_id, user_id, month);

-- The recap's "most answers" list can be turned off per series.
ALTER TABLE chat_series ADD COLUMN most_answers INTEGER NOT NULL DEFAULT 1;
