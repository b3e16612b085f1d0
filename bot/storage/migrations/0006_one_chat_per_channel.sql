-- 0006: one chat at a time per channel. Starting a chat checks that nothing else runs in its channel in the same
-- transaction that marks it running (storage.sessions.start); this index answers that check. It is not UNIQUE:
-- a database from before the check may hold two chats running in one channel, and /chat end ends them all.
CREATE INDEX chat_session_running ON chat_session (channel_id, started_at) WHERE status = 'running';
