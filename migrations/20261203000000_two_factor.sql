-- Two-factor sign-in: a TOTP secret per person (encrypted at rest), single-use
-- recovery codes, browsers trusted for 30 days, and a business setting that
-- requires two-factor sign-in from everyone after a grace period.
--
-- These belong to the person, not to a business: only the system path (the
-- connecting role with app.system = on) reads or writes them; the app role
-- has no grant at all.

CREATE TABLE user_totp (
    user_id          uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    -- AES-256-GCM: nonce || ciphertext of the raw secret, and the id of the key.
    secret_sealed    bytea NOT NULL,
    key_id           text NOT NULL,
    -- NULL until a code from the authenticator app confirmed the enrolment.
    enabled_at       timestamptz,
    -- The last time step accepted: a code is accepted once (RFC 6238, 5.2).
    last_used_step   bigint,
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE recovery_codes (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- SHA-256 of the code: codes carry 50 random bits and are single use.
    code_hash   bytea NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, code_hash)
);

CREATE TABLE trusted_browsers (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- SHA-256 of the cookie's token.
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX trusted_browsers_user_idx ON trusted_browsers (user_id);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['user_totp', 'recovery_codes', 'trusted_browsers'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY system_path ON %I USING (app_system_path()) WITH CHECK (app_system_path())', t);
    END LOOP;
END $$;

-- When the owner required two-factor sign-in (NULL: not required), and how
-- long staff may still sign in without it from then on.
ALTER TABLE tenants
    ADD COLUMN two_factor_required_at timestamptz,
    ADD COLUMN two_factor_grace_days integer NOT NULL DEFAULT 7
        CHECK (two_factor_grace_days BETWEEN 0 AND 90);
GRANT UPDATE (two_factor_required_at, two_factor_grace_days) ON tenants TO frontdesk_app;
