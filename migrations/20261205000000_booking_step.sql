-- The marks a click on the calendar snaps to and free slots are offered
-- on: every 5, 10, 15, 20, 30 or 60 minutes of the business's day.
ALTER TABLE tenants ADD COLUMN booking_step_minutes smallint NOT NULL DEFAULT 15
    CHECK (booking_step_minutes IN (5, 10, 15, 20, 30, 60));
GRANT UPDATE (booking_step_minutes) ON tenants TO frontdesk_app;
