-- The inbox: each business's mailboxes (IMAP to read, SMTP to send), the
-- sync cursor of every folder, the messages and their conversations, their
-- attachments, and the messages a sync could not take.

CREATE TABLE mailboxes (
    id               uuid PRIMARY KEY,
    tenant_id        uuid NOT NULL DEFAULT app_current_tenant() REFERENCES tenants (id) ON DELETE CASCADE,
    name             text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    imap_host        text NOT NULL CHECK (length(imap_host) BETWEEN 1 AND 253),
    imap_port        integer NOT NULL CHECK (imap_port BETWEEN 1 AND 65535),
    imap_tls         text NOT NULL CHECK (imap_tls IN ('tls', 'starttls', 'none')),
    imap_user        text NOT NULL CHECK (length(imap_user) BETWEEN 1 AND 254),
    -- AES-256-GCM with the key named by password_key_id: only the system
    -- path reads it (no SELECT grant for frontdesk_app below).
    password_sealed  bytea NOT NULL,
    password_key_id  text NOT NULL,
    -- Folders to sync; the inbox and sent folders are found by their
    -- special-use flags when the mailbox is connected.
    folders          text[] NOT NULL DEFAULT '{}',
    sent_folder      text,
    -- NULL: send through the instance's SMTP.
    smtp_host        text CHECK (smtp_host IS NULL OR length(smtp_host) BETWEEN 1 AND 253),
    smtp_port        integer CHECK (smtp_port IS NULL OR smtp_port BETWEEN 1 AND 65535),
    smtp_tls         text CHECK (smtp_tls IS NULL OR smtp_tls IN ('tls', 'starttls', 'none')),
    smtp_user        text CHECK (smtp_user IS NULL OR length(smtp_user) BETWEEN 1 AND 254),
    smtp_password_sealed bytea,
    smtp_password_key_id text,
    from_address     citext NOT NULL CHECK (length(from_address) BETWEEN 3 AND 254),
    from_name        text CHECK (from_name IS NULL OR length(from_name) <= 100),
    import_days      integer NOT NULL DEFAULT 30 CHECK (import_days BETWEEN 1 AND 3650),
    state            text NOT NULL DEFAULT 'new'
                     CHECK (state IN ('new', 'syncing', 'in_sync', 'failing', 'sign_in_refused', 'disabled')),
    last_synced_at   timestamptz,
    last_attempt_at  timestamptz,
    last_error       text CHECK (last_error IS NULL OR length(last_error) <= 1000),
    -- Consecutive failed runs; the alert counts missed intervals from last_synced_at.
    failures         integer NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, from_address)
);
CREATE INDEX mailboxes_tenant_idx ON mailboxes (tenant_id, name);

-- One row per synced folder: where the last sync stopped.
CREATE TABLE mailbox_folders (
    mailbox_id      uuid NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    tenant_id       uuid NOT NULL DEFAULT app_current_tenant() REFERENCES tenants (id) ON DELETE CASCADE,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 500),
    role            text NOT NULL CHECK (role IN ('inbox', 'sent', 'other')),
    uid_validity    bigint,
    uid_next        bigint,
    highest_modseq  bigint,
    -- Every message with a UID up to this one is stored (or recorded as failed).
    last_uid        bigint NOT NULL DEFAULT 0,
    -- How many messages the server had at the last sync (expunges show as fewer).
    server_count    bigint,
    synced_at       timestamptz,
    PRIMARY KEY (mailbox_id, name)
);

CREATE INDEX mailbox_folders_tenant_idx ON mailbox_folders (tenant_id, mailbox_id);

CREATE TABLE mail_conversations (
    id               uuid PRIMARY KEY,
    tenant_id        uuid NOT NULL DEFAULT app_current_tenant() REFERENCES tenants (id) ON DELETE CASCADE,
    mailbox_id       uuid NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    client_id        uuid REFERENCES clients (id) ON DELETE SET NULL,
    -- The address of the other side (the client's), lower case.
    correspondent    citext NOT NULL,
    subject          text NOT NULL DEFAULT '',
    -- The subject without Re:/Fwd: prefixes, for threading mail without headers.
    subject_key      text NOT NULL DEFAULT '',
    last_message_at  timestamptz NOT NULL,
    archived_at      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mail_conversations_list_idx ON mail_conversations (tenant_id, last_message_at DESC, id);
CREATE INDEX mail_conversations_client_idx ON mail_conversations (tenant_id, client_id, last_message_at DESC);
CREATE INDEX mail_conversations_subject_idx ON mail_conversations (mailbox_id, correspondent, subject_key);

CREATE TABLE mail_messages (
    id               uuid PRIMARY KEY,
    tenant_id        uuid NOT NULL DEFAULT app_current_tenant() REFERENCES tenants (id) ON DELETE CASCADE,
    mailbox_id       uuid NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    conversation_id  uuid NOT NULL REFERENCES mail_conversations (id),
    -- Without angle brackets; a hash of the raw bytes for mail that has none.
    message_id       text NOT NULL CHECK (length(message_id) BETWEEN 1 AND 998),
    in_reply_to      text,
    -- References and In-Reply-To together: what this message answers.
    thread_refs      text[] NOT NULL DEFAULT '{}',
    subject          text NOT NULL DEFAULT '',
    from_address     citext NOT NULL DEFAULT '',
    from_name        text,
    to_addresses     text[] NOT NULL DEFAULT '{}',
    cc_addresses     text[] NOT NULL DEFAULT '{}',
    sent_at          timestamptz NOT NULL,
    direction        text NOT NULL CHECK (direction IN ('in', 'out')),
    body_text        text NOT NULL DEFAULT '',
    -- Sanitised when stored; shown only inside a sandboxed frame.
    body_html        text,
    seen             boolean NOT NULL DEFAULT false,
    -- Where the message is on the server (NULL: not there, or not yet).
    folder           text,
    uid              bigint,
    expunged_at      timestamptz,
    raw_key          text CHECK (raw_key IS NULL OR length(raw_key) BETWEEN 1 AND 512),
    size_bytes       bigint NOT NULL DEFAULT 0,
    -- Messages staff write: queued until sent, then placed in the sent folder.
    send_state       text CHECK (send_state IS NULL OR send_state IN ('queued', 'sent', 'failed')),
    send_error       text,
    sent_by          uuid REFERENCES users (id) ON DELETE SET NULL,
    appended_at      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (mailbox_id, message_id)
);
CREATE INDEX mail_messages_tenant_idx ON mail_messages (tenant_id, mailbox_id);
CREATE INDEX mail_messages_conversation_idx ON mail_messages (conversation_id, sent_at, id);
CREATE INDEX mail_messages_refs_idx ON mail_messages USING gin (thread_refs);
CREATE INDEX mail_messages_folder_idx ON mail_messages (mailbox_id, folder, uid);
CREATE INDEX mail_messages_search_idx ON mail_messages
    USING gin ((lower(subject) || ' ' || lower(from_address::text) || ' ' || lower(body_text)) gin_trgm_ops);

CREATE TABLE mail_attachments (
    id               uuid PRIMARY KEY,
    tenant_id        uuid NOT NULL DEFAULT app_current_tenant() REFERENCES tenants (id) ON DELETE CASCADE,
    message_id       uuid NOT NULL REFERENCES mail_messages (id) ON DELETE CASCADE,
    file_name        text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
    content_type     text NOT NULL CHECK (length(content_type) BETWEEN 1 AND 255),
    -- For inline images referred to as cid: in the HTML.
    content_id       text,
    inline           boolean NOT NULL DEFAULT false,
    size_bytes       bigint NOT NULL CHECK (size_bytes >= 0),
    storage_key      text NOT NULL CHECK (length(storage_key) BETWEEN 1 AND 512),
    sha256           bytea NOT NULL CHECK (length(sha256) = 32)
);
CREATE INDEX mail_attachments_message_idx ON mail_attachments (message_id);
CREATE INDEX mail_attachments_tenant_idx ON mail_attachments (tenant_id, message_id);

-- Messages a sync could not take (broken MIME, storage refused): shown
-- with the mailbox, retried by "Retry", never blocking the ones after them.
CREATE TABLE mail_sync_failures (
    id               uuid PRIMARY KEY,
    tenant_id        uuid NOT NULL DEFAULT app_current_tenant() REFERENCES tenants (id) ON DELETE CASCADE,
    mailbox_id       uuid NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    folder           text NOT NULL,
    uid_validity     bigint NOT NULL,
    uid              bigint NOT NULL,
    error            text NOT NULL CHECK (length(error) <= 1000),
    attempts         integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    resolved_at      timestamptz,
    UNIQUE (mailbox_id, folder, uid_validity, uid)
);
CREATE INDEX mail_sync_failures_tenant_idx ON mail_sync_failures (tenant_id, mailbox_id);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['mailboxes', 'mailbox_folders', 'mail_conversations', 'mail_messages',
                             'mail_attachments', 'mail_sync_failures'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_current_tenant()) '
                       'WITH CHECK (tenant_id = app_current_tenant())', t);
        EXECUTE format('CREATE POLICY system_path ON %I USING (app_system_path()) '
                       'WITH CHECK (app_system_path())', t);
    END LOOP;
END
$$;

-- Staff never read a mailbox password: every column but the sealed one.
GRANT SELECT (id, tenant_id, name, imap_host, imap_port, imap_tls, imap_user, password_key_id,
              folders, sent_folder, smtp_host, smtp_port, smtp_tls, smtp_user, smtp_password_key_id,
              from_address,
              from_name, import_days, state, last_synced_at, last_attempt_at, last_error,
              failures, created_at, updated_at)
    ON mailboxes TO frontdesk_app;
GRANT INSERT, DELETE ON mailboxes TO frontdesk_app;
GRANT UPDATE (name, imap_host, imap_port, imap_tls, imap_user, password_sealed, password_key_id,
              folders, sent_folder, smtp_host, smtp_port, smtp_tls, smtp_user, smtp_password_sealed,
              smtp_password_key_id, from_address,
              from_name, import_days, state, last_synced_at, last_attempt_at, last_error,
              failures, updated_at)
    ON mailboxes TO frontdesk_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON mailbox_folders TO frontdesk_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON mail_conversations TO frontdesk_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON mail_messages TO frontdesk_app;
GRANT SELECT, INSERT, DELETE ON mail_attachments TO frontdesk_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON mail_sync_failures TO frontdesk_app;
