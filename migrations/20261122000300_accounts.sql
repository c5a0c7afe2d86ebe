-- Accounts: sessions, invitations, password resets, sign-in throttling, API
-- keys, and the explicit system path for work that is not inside one tenant.

-- The system path: sign-in, sign-up, session checks and invitation look-ups
-- read across tenants. They run as the connecting role (never the app role)
-- with app.system = 'on' set in their transaction, so a query that merely
-- forgot its tenant still sees nothing. A superuser bypasses RLS anyway; a
-- managed database's owner role does not, and needs this.
CREATE FUNCTION app_system_path() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT current_user <> 'frontdesk_app'
                 AND coalesce(current_setting('app.system', true), '') = 'on' $$;

CREATE POLICY system_path ON tenants USING (app_system_path()) WITH CHECK (app_system_path());
CREATE POLICY system_path ON users USING (app_system_path()) WITH CHECK (app_system_path());
CREATE POLICY system_path ON memberships USING (app_system_path()) WITH CHECK (app_system_path());
CREATE POLICY system_path ON audit_log USING (app_system_path()) WITH CHECK (app_system_path());

-- Bumped by "sign out everywhere" and password changes: sessions remember the
-- generation they were made in and stop working when it moves on.
ALTER TABLE users ADD COLUMN session_generation integer NOT NULL DEFAULT 0;

GRANT UPDATE (time_zone) ON tenants TO frontdesk_app;

-- Server-side sessions (the layout tower-sessions' PostgreSQL store expects).
CREATE SCHEMA IF NOT EXISTS tower_sessions;
CREATE TABLE IF NOT EXISTS tower_sessions.session (
    id           text PRIMARY KEY NOT NULL,
    data         bytea NOT NULL,
    expiry_date  timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS session_expiry_idx ON tower_sessions.session (expiry_date);

CREATE TABLE invitations (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL DEFAULT app_current_tenant() REFERENCES tenants (id) ON DELETE CASCADE,
    email        citext NOT NULL,
    role         text NOT NULL CHECK (role IN ('owner', 'admin', 'staff', 'reader')),
    -- SHA-256 of the token in the link; the token itself is only in the email.
    token_hash   bytea NOT NULL UNIQUE,
    invited_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    accepted_at  timestamptz,
    accepted_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    revoked_at   timestamptz
);
CREATE INDEX invitations_tenant_idx ON invitations (tenant_id, created_at DESC);

ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invitations
    USING (tenant_id = app_current_tenant())
    WITH CHECK (tenant_id = app_current_tenant());
CREATE POLICY system_path ON invitations USING (app_system_path()) WITH CHECK (app_system_path());
GRANT SELECT, INSERT, UPDATE (accepted_at, accepted_by, revoked_at) ON invitations TO frontdesk_app;

CREATE TABLE api_keys (
    id            uuid PRIMARY KEY,
    tenant_id     uuid NOT NULL DEFAULT app_current_tenant() REFERENCES tenants (id) ON DELETE CASCADE,
    name          text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    -- The key's first characters, shown to recognise it.
    prefix        text NOT NULL,
    -- SHA-256 of the whole key: keys carry 256 random bits, so no slow hash is needed.
    key_hash      bytea NOT NULL UNIQUE,
    scopes        text[] NOT NULL,
    created_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id, created_at DESC);

ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_keys
    USING (tenant_id = app_current_tenant())
    WITH CHECK (tenant_id = app_current_tenant());
CREATE POLICY system_path ON api_keys USING (app_system_path()) WITH CHECK (app_system_path());
GRANT SELECT (id, tenant_id, name, prefix, scopes, created_by, created_at, last_used_at, revoked_at),
      INSERT, UPDATE (revoked_at) ON api_keys TO frontdesk_app;

-- Global account data, reached only on the system path (not granted to the app role).
CREATE TABLE password_resets (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX password_resets_user_idx ON password_resets (user_id);

-- Failed sign-ins per account ('account:<email>') and per client ('ip:<hash>').
CREATE TABLE sign_in_throttle (
    key                text PRIMARY KEY,
    failures           integer NOT NULL,
    window_started_at  timestamptz NOT NULL,
    locked_until       timestamptz
);
