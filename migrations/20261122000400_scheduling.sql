-- The front desk's records: clients, services, providers with their working
-- hours, resources, and appointments. Every table is tenant data under the
-- same forced row-level security as the rest.
--
-- Double booking is impossible by construction: an exclusion constraint on
-- (tenant, provider, blocked time including buffers) and one on (tenant,
-- resource, blocked time) reject the second of two overlapping bookings,
-- however simultaneous. Cancelled appointments free their time.

CREATE TABLE clients (
    id               uuid PRIMARY KEY,
    tenant_id        uuid NOT NULL DEFAULT app_current_tenant() REFERENCES tenants (id) ON DELETE CASCADE,
    name             text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    email            citext CHECK (email IS NULL OR length(email) <= 254),
    phone            text CHECK (phone IS NULL OR length(phone) <= 40),
    notes            text NOT NULL DEFAULT '' CHECK (length(notes) <= 10000),
    tags             text[] NOT NULL DEFAULT '{}',
    email_reminders  boolean NOT NULL DEFAULT false,
    archived_at      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX clients_tenant_name_idx ON clients (tenant_id, lower(name), id);
CREATE INDEX clients_tenant_email_idx ON clients (tenant_id, email);
-- Search by any part of name, email or phone.
CREATE INDEX clients_search_idx ON clients USING gin (
    (lower(name) || ' ' || coalesce(lower(email::text), '') || ' ' || coalesce(phone, '')) gin_trgm_ops
);

CREATE TABLE services (
    id                     uuid PRIMARY KEY,
    tenant_id              uuid NOT NULL DEFAULT app_current_tenant() REFERENCES tenants (id) ON DELETE CASCADE,
    name                   text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    duration_minutes       integer NOT NULL CHECK (duration_minutes BETWEEN 5 AND 1440),
    price_minor            bigint NOT NULL CHECK (price_minor >= 0),
    currency               text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    buffer_before_minutes  integer NOT NULL DEFAULT 0 CHECK (buffer_before_minutes BETWEEN 0 AND 240),
    buffer_after_minutes   integer NOT NULL DEFAULT 0 CHECK (buffer_after_minutes BETWEEN 0 AND 240),
    colour                 text NOT NULL DEFAULT '#4a7bd0' CHECK (colour ~ '^#[0-9a-f]{6}$'),
    -- Kinds of resource (such as 'room') one of which each booking needs.
    resource_kinds         text[] NOT NULL DEFAULT '{}',
    archived_at            timestamptz,
    created_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX services_tenant_idx ON services (tenant_id, name);

CREATE TABLE providers (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL DEFAULT app_current_tenant() REFERENCES tenants (id) ON DELETE CASCADE,
    name         text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    user_id      uuid REFERENCES users (id) ON DELETE SET NULL,
    time_zone    text NOT NULL,
    colour       text NOT NULL DEFAULT '#2f855a' CHECK (colour ~ '^#[0-9a-f]{6}$'),
    archived_at  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX providers_tenant_idx ON providers (tenant_id, name);

-- Which providers perform which services.
CREATE TABLE service_providers (
    tenant_id    uuid NOT NULL DEFAULT app_current_tenant() REFERENCES tenants (id) ON DELETE CASCADE,
    service_id   uuid NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    provider_id  uuid NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    PRIMARY KEY (service_id, provider_id)
);
CREATE INDEX service_providers_tenant_idx ON service_providers (tenant_id, provider_id);

-- Weekly hours in the provider's time zone; several spans a day leave breaks between them.
CREATE TABLE working_hours (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL DEFAULT app_current_tenant() REFERENCES tenants (id) ON DELETE CASCADE,
    provider_id  uuid NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    -- ISO weekday: 1 = Monday ... 7 = Sunday.
    weekday      smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    starts       time NOT NULL,
    ends         time NOT NULL,
    CHECK (starts < ends)
);
CREATE INDEX working_hours_tenant_idx ON working_hours (tenant_id, provider_id, weekday);

-- Days or hours a provider does not work (holidays, sick days).
CREATE TABLE time_off (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL DEFAULT app_current_tenant() REFERENCES tenants (id) ON DELETE CASCADE,
    provider_id  uuid NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    during       tstzrange NOT NULL CHECK (NOT isempty(during)),
    reason       text NOT NULL DEFAULT ''
);
CREATE INDEX time_off_tenant_idx ON time_off USING gist (tenant_id, provider_id, during);

CREATE TABLE resources (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL DEFAULT app_current_tenant() REFERENCES tenants (id) ON DELETE CASCADE,
    name         text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    kind         text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_-]{0,39}$'),
    archived_at  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX resources_tenant_idx ON resources (tenant_id, kind, name);

CREATE TABLE appointments (
    id               uuid PRIMARY KEY,
    tenant_id        uuid NOT NULL DEFAULT app_current_tenant() REFERENCES tenants (id) ON DELETE CASCADE,
    client_id        uuid NOT NULL REFERENCES clients (id),
    service_id       uuid NOT NULL REFERENCES services (id),
    provider_id      uuid NOT NULL REFERENCES providers (id),
    starts_at        timestamptz NOT NULL,
    ends_at          timestamptz NOT NULL,
    -- The time the booking keeps the provider and resources: start to end plus the service's buffers.
    blocked          tstzrange NOT NULL,
    status           text NOT NULL DEFAULT 'booked'
                     CHECK (status IN ('booked', 'confirmed', 'completed', 'cancelled', 'no_show')),
    notes            text NOT NULL DEFAULT '' CHECK (length(notes) <= 10000),
    series_id        uuid,
    -- Why it was booked outside the provider's working hours, when it was.
    override_reason  text,
    cancel_reason    text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (starts_at < ends_at),
    CHECK (lower(blocked) <= starts_at AND upper(blocked) >= ends_at),
    CONSTRAINT appointments_no_double_booking_provider EXCLUDE USING gist (
        tenant_id WITH =, provider_id WITH =, blocked WITH &&
    ) WHERE (status <> 'cancelled')
);
CREATE INDEX appointments_tenant_time_idx ON appointments (tenant_id, starts_at);
CREATE INDEX appointments_tenant_client_idx ON appointments (tenant_id, client_id, starts_at DESC);
CREATE INDEX appointments_tenant_series_idx ON appointments (tenant_id, series_id) WHERE series_id IS NOT NULL;

-- The resources a booking holds. `blocked` and `active` mirror the
-- appointment (kept in step by the trigger below) so the constraint can see them.
CREATE TABLE appointment_resources (
    tenant_id       uuid NOT NULL DEFAULT app_current_tenant() REFERENCES tenants (id) ON DELETE CASCADE,
    appointment_id  uuid NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
    resource_id     uuid NOT NULL REFERENCES resources (id),
    blocked         tstzrange NOT NULL,
    active          boolean NOT NULL DEFAULT true,
    PRIMARY KEY (appointment_id, resource_id),
    CONSTRAINT appointments_no_double_booking_resource EXCLUDE USING gist (
        tenant_id WITH =, resource_id WITH =, blocked WITH &&
    ) WHERE (active)
);
CREATE INDEX appointment_resources_tenant_idx ON appointment_resources (tenant_id, resource_id);

CREATE FUNCTION appointment_resources_follow() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    UPDATE appointment_resources
       SET blocked = NEW.blocked, active = (NEW.status <> 'cancelled')
     WHERE appointment_id = NEW.id;
    RETURN NEW;
END
$$;
CREATE TRIGGER appointment_resources_follow
    AFTER UPDATE OF blocked, status ON appointments
    FOR EACH ROW EXECUTE FUNCTION appointment_resources_follow();

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['clients', 'services', 'providers', 'service_providers', 'working_hours',
                             'time_off', 'resources', 'appointments', 'appointment_resources']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_current_tenant()) '
                       'WITH CHECK (tenant_id = app_current_tenant())', t);
        EXECUTE format('CREATE POLICY system_path ON %I USING (app_system_path()) WITH CHECK (app_system_path())', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO frontdesk_app', t);
    END LOOP;
END
$$;
