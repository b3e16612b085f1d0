-- 0005: where the bot last knew it had heard everything: one listening checkpoint per chat channel and per
-- question thread, so what was said while it was away is read back from there (see bot/chats/_listening.py).

CREATE TABLE listening_checkpoint (
    channel_id INTEGER PRIMARY KEY,   -- a chat channel or a question's thread
    message_id INTEGER NOT NULL       -- every message up to this id is recorded; it only ever moves forward
);
