-- Live updates: one small row per change, written by the unit of work in the
-- transaction of the change, read by every instance's listener after a
-- notification on `frontdesk_changes` and sent to the signed-in browsers.
-- No personal data: what kind of record changed, which one, and how.
--
-- Ids are taken under a transaction-level advisory lock held to commit, so
-- they follow commit order: a browser that last saw id N missed exactly the
-- rows with id > N (the replay after a reconnect relies on it).
CREATE TABLE change_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    topic       text NOT NULL CHECK (topic ~ '^[a-z][a-z_]{0,30}$'),
    record_id   uuid,
    action      text NOT NULL CHECK (length(action) BETWEEN 1 AND 60),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX change_events_tenant_idx ON change_events (tenant_id, id);
CREATE INDEX change_events_created_idx ON change_events (created_at);

ALTER TABLE change_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE change_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON change_events
    USING (tenant_id = app_current_tenant())
    WITH CHECK (tenant_id = app_current_tenant());
CREATE POLICY system_path ON change_events USING (app_system_path()) WITH CHECK (app_system_path());
GRANT SELECT, INSERT ON change_events TO frontdesk_app;
