-- Who on the team looks after a conversation: the inbox's "Mine".
-- And the unread messages of a business at a glance: the "Unread" list.
ALTER TABLE mail_conversations
    ADD COLUMN assignee_id uuid REFERENCES users (id) ON DELETE SET NULL;
CREATE INDEX mail_conversations_assignee_idx
    ON mail_conversations (tenant_id, assignee_id, last_message_at DESC);
CREATE INDEX mail_messages_unread_idx
    ON mail_messages (tenant_id, conversation_id) WHERE NOT seen AND direction = 'in';
