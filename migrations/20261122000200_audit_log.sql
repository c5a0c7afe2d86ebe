-- The audit log: who did what to which record, when, and from where.
-- Append-only: the app role may insert and read, never change or delete, and
-- a trigger refuses changes from any other role too. The one way to remove
-- entries is deleting the whole tenant on the explicit purge path, which sets
-- app.audit_purge = 'on' in its transaction.

CREATE TABLE audit_log (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL DEFAULT app_current_tenant() REFERENCES tenants (id) ON DELETE CASCADE,
    -- 'user', 'api_key' or 'system'; actor_id is NULL for the system.
    actor_kind   text NOT NULL CHECK (actor_kind IN ('user', 'api_key', 'system')),
    actor_id     uuid,
    action       text NOT NULL CHECK (length(action) BETWEEN 1 AND 100),
    entity_type  text NOT NULL CHECK (length(entity_type) BETWEEN 1 AND 100),
    entity_id    uuid,
    request_id   text,
    -- Keyed hash of the client's IP address: linkable, not readable.
    ip_hash      text,
    -- {"field": {"old": ..., "new": ...}}, secrets replaced by {"redacted": true}.
    changes      jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((actor_kind = 'system') = (actor_id IS NULL))
);
CREATE INDEX audit_log_tenant_time_idx ON audit_log (tenant_id, created_at DESC, id DESC);
CREATE INDEX audit_log_tenant_entity_idx ON audit_log (tenant_id, entity_type, entity_id);
CREATE INDEX audit_log_tenant_actor_idx ON audit_log (tenant_id, actor_id);

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_log
    USING (tenant_id = app_current_tenant())
    WITH CHECK (tenant_id = app_current_tenant());

GRANT SELECT, INSERT ON audit_log TO frontdesk_app;

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('app.audit_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
