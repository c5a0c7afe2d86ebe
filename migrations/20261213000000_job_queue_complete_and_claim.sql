-- A busy worker pool marks its finished jobs done and claims the next ones
-- in one statement, so each batch costs one round trip and one commit
-- instead of two. The completed rows are running and the claimed rows
-- pending, so the two updates never touch the same row.
CREATE FUNCTION job_queue_complete_and_claim(
    p_done uuid[], p_scrubbed uuid[], p_owner text,
    p_kinds text[], p_limit integer, p_lease_secs double precision, p_now timestamptz)
RETURNS TABLE (done boolean, id uuid, tenant_id uuid, kind text, payload jsonb,
               attempts integer, max_attempts integer)
LANGUAGE sql VOLATILE
SET app.system = 'on' SET enable_bitmapscan = off SET enable_sort = off
AS $$
    WITH completed AS (
        UPDATE jobs j SET status = 'done', finished_at = now(), updated_at = now(),
            lease_owner = NULL, lease_expires_at = NULL,
            payload = CASE WHEN j.id = ANY (p_scrubbed) THEN '{}'::jsonb ELSE j.payload END
        WHERE j.id = ANY (p_done) AND j.lease_owner = p_owner AND j.status = 'running'
        RETURNING j.id),
    picked AS (
        -- Walks the due index in order and stops at the limit (see
        -- 20261212000000_job_queue_functions.sql).
        SELECT d.id FROM jobs d
        WHERE d.status = 'pending' AND d.run_at <= p_now AND d.kind = ANY (p_kinds)
        ORDER BY d.priority, d.run_at
        LIMIT p_limit FOR UPDATE SKIP LOCKED),
    claimed AS (
        UPDATE jobs j SET status = 'running', lease_owner = p_owner,
            lease_expires_at = now() + make_interval(secs => p_lease_secs),
            attempts = j.attempts + 1, started_at = now(), updated_at = now()
        FROM picked WHERE j.id = picked.id
        RETURNING j.id, j.tenant_id, j.kind, j.payload, j.attempts, j.max_attempts)
    SELECT true, c.id, NULL::uuid, NULL::text, NULL::jsonb, NULL::integer, NULL::integer
    FROM completed c
    UNION ALL
    SELECT false, c.id, c.tenant_id, c.kind, c.payload, c.attempts, c.max_attempts
    FROM claimed c
$$;

REVOKE EXECUTE ON FUNCTION job_queue_complete_and_claim(
    uuid[], uuid[], text, text[], integer, double precision, timestamptz) FROM PUBLIC;

-- Replaced by the function above.
DROP FUNCTION job_queue_claim(text[], integer, text, double precision, timestamptz);
DROP FUNCTION job_queue_complete(uuid[], text, uuid[]);
