-- The job queue: slow or failure-prone work (email, reminders, cleanup) runs
-- here, never inside a request. A job is enqueued in the transaction of the
-- change that needs it, claimed with FOR UPDATE SKIP LOCKED, and held by a
-- lease (owner + expiry) while it runs, not by an open transaction: a killed
-- worker's job is claimed again once its lease has expired.
CREATE TABLE jobs (
    id            uuid PRIMARY KEY,
    -- NULL for work that spans businesses (schedules, cleanup).
    tenant_id     uuid REFERENCES tenants (id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.-]{0,62}$'),
    payload       jsonb NOT NULL DEFAULT '{}',
    -- Lower runs first.
    priority      smallint NOT NULL DEFAULT 100,
    run_at        timestamptz NOT NULL DEFAULT now(),
    attempts      integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts  integer NOT NULL DEFAULT 8 CHECK (max_attempts >= 1),
    status        text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'running', 'done', 'dead', 'discarded')),
    last_error    text,
    -- One entry per failed attempt: {"attempt", "at", "error"}.
    errors        jsonb NOT NULL DEFAULT '[]',
    lease_owner   text,
    lease_expires_at timestamptz,
    -- At most one pending or running job per key.
    dedupe_key    text CHECK (dedupe_key IS NULL OR length(dedupe_key) BETWEEN 1 AND 300),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    finished_at   timestamptz,
    CHECK ((status = 'running') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL))
);
CREATE UNIQUE INDEX jobs_dedupe_idx ON jobs (dedupe_key)
    WHERE dedupe_key IS NOT NULL AND status IN ('pending', 'running');
-- What workers claim: due pending jobs by priority, and expired leases.
CREATE INDEX jobs_due_idx ON jobs (priority, run_at) WHERE status = 'pending';
CREATE INDEX jobs_lease_idx ON jobs (lease_expires_at) WHERE status = 'running';
CREATE INDEX jobs_tenant_idx ON jobs (tenant_id, status, updated_at DESC);
CREATE INDEX jobs_finished_idx ON jobs (finished_at) WHERE status IN ('done', 'discarded');

ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE jobs FORCE ROW LEVEL SECURITY;
-- A business sees and enqueues its own jobs only; workers use the system path.
CREATE POLICY tenant_isolation ON jobs
    USING (tenant_id = app_current_tenant())
    WITH CHECK (tenant_id = app_current_tenant());
CREATE POLICY system_path ON jobs USING (app_system_path()) WITH CHECK (app_system_path());
-- Updates: completing a job in the transaction of its effect (the lease
-- columns), retrying and discarding dead jobs from the jobs page.
GRANT SELECT, INSERT, UPDATE (status, run_at, attempts, max_attempts, last_error, updated_at,
    finished_at, payload, lease_owner, lease_expires_at) ON jobs TO frontdesk_app;

-- One row per schedule and slot: whichever instance inserts it enqueues the
-- slot's job, in the same transaction, so each firing happens exactly once.
CREATE TABLE schedule_runs (
    schedule   text NOT NULL CHECK (length(schedule) BETWEEN 1 AND 60),
    slot       timestamptz NOT NULL,
    job_id     uuid,
    fired_by   text NOT NULL,
    fired_at   timestamptz NOT NULL DEFAULT now(),
    -- 'schedule' for the clock, 'http' for POST /api/cron/{schedule}.
    trigger    text NOT NULL DEFAULT 'schedule' CHECK (trigger IN ('schedule', 'http')),
    PRIMARY KEY (schedule, slot)
);
CREATE INDEX schedule_runs_latest_idx ON schedule_runs (schedule, fired_at DESC);
-- Not tenant data: readable by every business's settings page.
GRANT SELECT ON schedule_runs TO frontdesk_app;

-- Reminder windows per business: the first (24 h default) and an optional second.
ALTER TABLE tenants
    ADD COLUMN reminder_hours integer NOT NULL DEFAULT 24 CHECK (reminder_hours BETWEEN 1 AND 168),
    ADD COLUMN second_reminder_hours integer CHECK (second_reminder_hours BETWEEN 1 AND 72);
GRANT UPDATE (reminder_hours, second_reminder_hours) ON tenants TO frontdesk_app;

-- Each reminder of an appointment for one start time. A reschedule gives a
-- new start time and so a new row; the old one is superseded.
CREATE TABLE appointment_reminders (
    id              uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL DEFAULT app_current_tenant() REFERENCES tenants (id) ON DELETE CASCADE,
    appointment_id  uuid NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
    -- How long before the start it is due, in minutes (1440 for 24 hours).
    lead_minutes    integer NOT NULL CHECK (lead_minutes > 0),
    starts_at       timestamptz NOT NULL,
    due_at          timestamptz NOT NULL,
    status          text NOT NULL DEFAULT 'scheduled'
                    CHECK (status IN ('scheduled', 'retrying', 'sent', 'failed', 'superseded')),
    job_id          uuid,
    message_id      text,
    sent_at         timestamptz,
    last_error      text,
    attempts        integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (appointment_id, lead_minutes, starts_at)
);
CREATE INDEX appointment_reminders_tenant_idx ON appointment_reminders (tenant_id, appointment_id, created_at DESC);

ALTER TABLE appointment_reminders ENABLE ROW LEVEL SECURITY;
ALTER TABLE appointment_reminders FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON appointment_reminders
    USING (tenant_id = app_current_tenant())
    WITH CHECK (tenant_id = app_current_tenant());
CREATE POLICY system_path ON appointment_reminders USING (app_system_path()) WITH CHECK (app_system_path());
GRANT SELECT, INSERT, UPDATE ON appointment_reminders TO frontdesk_app;

-- The reminder scan reads upcoming appointments across businesses by start.
CREATE INDEX appointments_upcoming_idx ON appointments (starts_at) WHERE status IN ('booked', 'confirmed');
