-- The sessions a person has open, for their profile: which browser, from
-- which address, when last seen, and whether they ended one. The session
-- itself stays in tower_sessions.session; this row is keyed by an id kept
-- inside it. Like the second factor, it belongs to the person and is read
-- only on the system path.
CREATE TABLE user_sessions (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The user's session generation when it started: "sign out everywhere"
    -- and password changes end older ones.
    generation    integer NOT NULL,
    user_agent    text NOT NULL DEFAULT '' CHECK (length(user_agent) <= 512),
    address       text NOT NULL DEFAULT '' CHECK (length(address) <= 64),
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    ended_at      timestamptz
);
CREATE INDEX user_sessions_user_idx ON user_sessions (user_id, last_seen_at DESC);

ALTER TABLE user_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY system_path ON user_sessions USING (app_system_path()) WITH CHECK (app_system_path());
