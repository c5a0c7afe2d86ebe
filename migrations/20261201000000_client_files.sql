-- Client files. The bytes live in object storage under storage_key; the row
-- holds what is known about them. No filesystem path is ever stored, except
-- legacy_path on rows imported from an old uploads directory until
-- `frontdesk storage migrate` has moved their file into storage.
CREATE TABLE client_files (
    id              uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL DEFAULT app_current_tenant() REFERENCES tenants (id) ON DELETE CASCADE,
    client_id       uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    storage_key     text UNIQUE CHECK (length(storage_key) BETWEEN 1 AND 512),
    legacy_path     text CHECK (legacy_path IS NULL OR length(legacy_path) BETWEEN 1 AND 1024),
    original_name   text NOT NULL CHECK (length(original_name) BETWEEN 1 AND 255),
    content_type    text NOT NULL CHECK (length(content_type) BETWEEN 1 AND 255),
    size_bytes      bigint NOT NULL CHECK (size_bytes >= 0),
    sha256          bytea CHECK (sha256 IS NULL OR length(sha256) = 32),
    uploaded_by     uuid REFERENCES users (id) ON DELETE SET NULL,
    uploaded_by_key uuid REFERENCES api_keys (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- Stored, or waiting to be moved into storage; a stored file has its hash.
    CHECK (storage_key IS NOT NULL OR legacy_path IS NOT NULL),
    CHECK (storage_key IS NULL OR sha256 IS NOT NULL)
);
CREATE INDEX client_files_client_idx ON client_files (tenant_id, client_id, created_at DESC, id);

ALTER TABLE client_files ENABLE ROW LEVEL SECURITY;
ALTER TABLE client_files FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON client_files
    USING (tenant_id = app_current_tenant())
    WITH CHECK (tenant_id = app_current_tenant());
CREATE POLICY system_path ON client_files USING (app_system_path()) WITH CHECK (app_system_path());
GRANT SELECT, INSERT, DELETE ON client_files TO frontdesk_app;

-- Objects to remove from storage: those of deleted files, and uploads whose
-- row never committed. Written in the same transaction as the change that
-- makes the object unwanted (or before an upload starts), so a crash or a
-- failed delete leaves a record that the sweep retries, never a lost object.
CREATE TABLE storage_cleanup (
    storage_key  text PRIMARY KEY,
    tenant_id    uuid NOT NULL DEFAULT app_current_tenant() REFERENCES tenants (id) ON DELETE CASCADE,
    reason       text NOT NULL CHECK (reason IN ('deleted', 'upload')),
    -- Not before: an upload in progress is left alone until it has had time to finish.
    due_at       timestamptz NOT NULL,
    attempts     integer NOT NULL DEFAULT 0,
    last_error   text,
    created_at   timestamptz NOT NULL DEFAULT now()
);
-- The sweep reads across businesses by due time; deleting a business's rows by tenant.
CREATE INDEX storage_cleanup_due_idx ON storage_cleanup (due_at);
CREATE INDEX storage_cleanup_tenant_idx ON storage_cleanup (tenant_id, due_at);

ALTER TABLE storage_cleanup ENABLE ROW LEVEL SECURITY;
ALTER TABLE storage_cleanup FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON storage_cleanup
    USING (tenant_id = app_current_tenant())
    WITH CHECK (tenant_id = app_current_tenant());
CREATE POLICY system_path ON storage_cleanup USING (app_system_path()) WITH CHECK (app_system_path());
GRANT SELECT, INSERT, DELETE, UPDATE (reason, due_at, attempts, last_error) ON storage_cleanup TO frontdesk_app;
