-- Staff split a conversation: from then on its messages and the part split
-- off are not joined back together by threading; new mail joins the
-- conversation of the message it answers.
ALTER TABLE mail_conversations
    ADD COLUMN kept_apart boolean NOT NULL DEFAULT false;
