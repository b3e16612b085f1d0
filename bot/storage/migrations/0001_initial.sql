-- 0001: per-server configuration, bot bookkeeping, and the members the bot has seen join.
-- Plain SQL only: the runner adds BEGIN, PRAGMA user_version and COMMIT (see bot/storage/_migrate.py).
-- Times are ISO-8601 UTC text with offset, written by bot.storage with microseconds so they sort as text.
-- IDs are Discord snowflakes; they fit SQLite's signed 64-bit INTEGER.

-- One row per server, created the first time an admin changes something; no row means "all unset".
CREATE TABLE guild_config (
    guild_id             INTEGER PRIMARY KEY,
    chat_channel_id      INTEGER,
    welcome_channel_id   INTEGER,
    moderator_channel_id INTEGER,
    host_role_id         INTEGER,
    moderator_role_id    INTEGER,
    helper_role_id       INTEGER,
    notify_role_id       INTEGER,
    timezone             TEXT,     -- IANA zone name; NULL means the default from config/defaults.toml
    updated_at           TEXT NOT NULL,
    updated_by           INTEGER   -- user ID of whoever made the last change
);

-- Small key/value facts about the bot itself, e.g. the hash of the last synced slash-command set.
CREATE TABLE bot_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Members as the bot saw them join and leave; a rejoin updates the row rather than adding one.
CREATE TABLE members (
    guild_id           INTEGER NOT NULL,
    user_id            INTEGER NOT NULL,
    display_name       TEXT    NOT NULL,
    account_created_at TEXT    NOT NULL,
    first_joined_at    TEXT    NOT NULL,
    last_joined_at     TEXT    NOT NULL,
    left_at            TEXT,             -- NULL while the member is in the server
    join_count         INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (guild_id, user_id)
);
