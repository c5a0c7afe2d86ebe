-- The job queue's claim and completion as functions that set the system
-- path for themselves: each is one statement, one round trip, instead of a
-- transaction of three (BEGIN with set_config, the statement, COMMIT).
-- A claim walks the due index in order and stops at its limit: with
-- statistics that predate a burst of jobs the planner would otherwise fetch
-- and sort every due job on every claim.
CREATE FUNCTION job_queue_claim(
    p_kinds text[], p_limit integer, p_owner text, p_lease_secs double precision, p_now timestamptz)
RETURNS TABLE (id uuid, tenant_id uuid, kind text, payload jsonb, attempts integer, max_attempts integer)
LANGUAGE sql VOLATILE
SET app.system = 'on' SET enable_bitmapscan = off SET enable_sort = off
AS $$
    WITH picked AS (
        SELECT d.id FROM jobs d
        WHERE d.status = 'pending' AND d.run_at <= p_now AND d.kind = ANY (p_kinds)
        ORDER BY d.priority, d.run_at
        LIMIT p_limit FOR UPDATE SKIP LOCKED)
    UPDATE jobs j SET status = 'running', lease_owner = p_owner,
        lease_expires_at = now() + make_interval(secs => p_lease_secs),
        attempts = j.attempts + 1, started_at = now(), updated_at = now()
    FROM picked WHERE j.id = picked.id
    RETURNING j.id, j.tenant_id, j.kind, j.payload, j.attempts, j.max_attempts
$$;

-- Marks the jobs `p_owner` still holds done (emptying the payloads of
-- `p_scrubbed`); returns their ids.
CREATE FUNCTION job_queue_complete(p_ids uuid[], p_owner text, p_scrubbed uuid[])
RETURNS SETOF uuid
LANGUAGE sql VOLATILE
SET app.system = 'on'
AS $$
    UPDATE jobs j SET status = 'done', finished_at = now(), updated_at = now(),
        lease_owner = NULL, lease_expires_at = NULL,
        payload = CASE WHEN j.id = ANY (p_scrubbed) THEN '{}'::jsonb ELSE j.payload END
    WHERE j.id = ANY (p_ids) AND j.lease_owner = p_owner AND j.status = 'running'
    RETURNING j.id
$$;

-- Workers only: the app role's transactions never call them (and the
-- system path refuses that role anyway).
REVOKE EXECUTE ON FUNCTION job_queue_claim(text[], integer, text, double precision, timestamptz) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION job_queue_complete(uuid[], text, uuid[]) FROM PUBLIC;
