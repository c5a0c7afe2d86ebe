-- "Arrived": the client checked in at the desk. Set from the dashboard's
-- today board and audited like every status change.
ALTER TABLE appointments DROP CONSTRAINT appointments_status_check;
ALTER TABLE appointments ADD CONSTRAINT appointments_status_check
    CHECK (status IN ('booked', 'confirmed', 'arrived', 'completed', 'cancelled', 'no_show'));
