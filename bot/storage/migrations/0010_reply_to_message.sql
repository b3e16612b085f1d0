-- 0010: which member's message a chat message is a Discord reply to, so a transcript shows the reply under it.
ALTER TABLE chat_message ADD COLUMN reply_to_message_id INTEGER;
