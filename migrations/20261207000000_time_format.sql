-- How the business writes the time of day: 14:30 (24h) or 2:30 PM (12h),
-- on every page, refusal, audit sentence and email.
ALTER TABLE tenants ADD COLUMN time_format text NOT NULL DEFAULT '24h'
    CHECK (time_format IN ('24h', '12h'));
GRANT UPDATE (time_format) ON tenants TO frontdesk_app;
