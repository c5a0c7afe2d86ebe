-- Appointments per local day of the business, by outcome ($4: its time zone).
SELECT (starts_at AT TIME ZONE $4)::date AS "date!: chrono::NaiveDate",
       count(*) FILTER (WHERE status <> 'cancelled') AS "active!",
       count(*) FILTER (WHERE status = 'completed') AS "completed!",
       count(*) FILTER (WHERE status = 'cancelled') AS "cancelled!",
       count(*) FILTER (WHERE status = 'no_show') AS "no_show!"
FROM appointments
WHERE tenant_id = $1 AND starts_at >= $2 AND starts_at < $3
GROUP BY 1 ORDER BY 1
