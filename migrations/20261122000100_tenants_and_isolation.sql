-- Tenants, staff users, memberships, and the row-level isolation every tenant
-- table relies on.
--
-- The app's tenant transactions run `SET LOCAL ROLE frontdesk_app` (a role
-- without BYPASSRLS that owns nothing) and set `app.tenant_id`; the policies
-- below then hide every other tenant's rows, even from a query that forgot to
-- filter by tenant. Work across tenants (jobs, admin tools) runs as the
-- connecting role instead, on an explicit, audited path.

-- The role may already exist: roles belong to the whole PostgreSQL cluster,
-- which several databases (and concurrent migrations) share.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'frontdesk_app') THEN
        CREATE ROLE frontdesk_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

-- On managed PostgreSQL the connecting role is no superuser: it needs
-- membership to SET ROLE.
DO $$
BEGIN
    EXECUTE format('GRANT frontdesk_app TO %I', current_user);
EXCEPTION WHEN OTHERS THEN
    NULL;
END
$$;

-- The tenant of the current transaction; NULL (so no rows) when none is set.
CREATE FUNCTION app_current_tenant() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid $$;

CREATE TABLE tenants (
    id          uuid PRIMARY KEY,
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$'),
    time_zone   text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Staff accounts are global: one person can work for several tenants.
CREATE TABLE users (
    id             uuid PRIMARY KEY,
    email          citext NOT NULL UNIQUE,
    name           text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    password_hash  text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE memberships (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        text NOT NULL CHECK (role IN ('owner', 'admin', 'staff', 'reader')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants
    USING (id = app_current_tenant())
    WITH CHECK (id = app_current_tenant());

ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON memberships
    USING (tenant_id = app_current_tenant())
    WITH CHECK (tenant_id = app_current_tenant());

-- Inside a tenant, only the tenant's own members are visible.
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY members_of_current_tenant ON users
    USING (EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id));

GRANT USAGE ON SCHEMA public TO frontdesk_app;
GRANT SELECT, UPDATE (name) ON tenants TO frontdesk_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON memberships TO frontdesk_app;
-- Password hashes are read and written only on the sign-in path, never inside a tenant.
GRANT SELECT (id, email, name, created_at) ON users TO frontdesk_app;
