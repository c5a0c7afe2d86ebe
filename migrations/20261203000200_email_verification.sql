-- Verified email: an address is verified when its owner opened a link sent
-- to it; a new address replaces the old one only that way. Accounts made before this, and those made by accepting an
-- invitation (whose link went to that address), count as verified.
ALTER TABLE users ADD COLUMN email_verified_at timestamptz;
UPDATE users SET email_verified_at = created_at;

CREATE TABLE email_verifications (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The address the link was sent to: it verifies only that one.
    email       citext NOT NULL,
    -- 'verify' confirms the account's address; 'change' moves the account
    -- to this address once it is confirmed.
    kind        text NOT NULL DEFAULT 'verify' CHECK (kind IN ('verify', 'change')),
    -- SHA-256 of the token in the link; the token itself is only in the email.
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX email_verifications_user_idx ON email_verifications (user_id);

ALTER TABLE email_verifications ENABLE ROW LEVEL SECURITY;
ALTER TABLE email_verifications FORCE ROW LEVEL SECURITY;
CREATE POLICY system_path ON email_verifications USING (app_system_path()) WITH CHECK (app_system_path());
