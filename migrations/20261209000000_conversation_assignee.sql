-- Who on the team looks after a conversation: the inbox's "Mine".
ALTER TABLE mail_conversations
    ADD COLUMN assignee_id uuid REFERENCES users (id) ON DELETE SET NULL;
CREATE INDEX mail_conversations_assignee_idx
    ON mail_conversations (tenant_id, assignee_id, last_message_at DESC);
