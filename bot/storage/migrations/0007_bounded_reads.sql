-- 0007: indexes so that no query the bot makes costs more as history grows: each one reads the rows it is about
-- (one message, one post, one channel, the joins of the last days, what is still waiting), never a table
-- whose rows pile up chat after chat. tests/test_query_plans.py checks every statement against these.

-- An edited or deleted message rewrites its ledger rows (storage.messages); activity_once starts with kind, so
-- without this that DELETE read every message, answer and reply ever recorded.
CREATE INDEX activity_message ON activity (message_id);

-- A reaction or reply finds its post by the message or by the question's thread (storage.posts.for_message);
-- scheduled_post_message serves the first half of that OR, this the second. Most posts have no thread.
CREATE INDEX scheduled_post_thread ON scheduled_post (thread_id) WHERE thread_id IS NOT NULL;

-- Posts still to come, in the order they are due (storage.posts.pending, read at every start): only pending
-- rows are in the index, so sent and skipped posts no longer count, and no sort is needed. It replaces
-- scheduled_post_pending, whose leading status column could not keep the order.
DROP INDEX scheduled_post_pending;
CREATE INDEX scheduled_post_due ON scheduled_post (due_at, key) WHERE status = 'pending';

-- Chats by status (the running ones, at every start) and by channel (the chat a message belongs to), instead of
-- reading every chat ever planned.
CREATE INDEX chat_session_status ON chat_session (status, starts_at);
CREATE INDEX chat_session_channel ON chat_session (channel_id, status);

-- Servers with someone waiting for a welcome, and sessions with first-timers waiting for a greeting (both
-- rebuilt into jobs at start): only the waiting rows are in these. newcomer_waiting_guilds repeats welcome so
-- that the index alone answers the query.
CREATE INDEX newcomer_waiting_guilds ON newcomer (guild_id, welcome) WHERE welcome = 'waiting';
CREATE INDEX chat_greeting_waiting ON chat_greeting (session_id) WHERE status = 'waiting';

-- The joins the bot saw in a server since a moment: burst detection at every join, /report joins, the newcomer
-- report. Members there before the bot (join_count 0) are not joins and stay out of it.
CREATE INDEX members_joins ON members (guild_id, last_joined_at) WHERE join_count > 0;

-- Who a welcome post welcomed (a reply to it greets them).
CREATE INDEX newcomer_welcome_post ON newcomer (guild_id, welcome_message_id) WHERE welcome_message_id IS NOT NULL;
