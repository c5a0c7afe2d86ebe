-- Phone search by digits: "+49303106454", "030 3106454" and "3106454" find
-- the same client. The digits without leading zeros (international and
-- trunk prefixes), as frontdesk::domain::records::phone_digits computes them.
ALTER TABLE clients ADD COLUMN phone_digits text NOT NULL
    GENERATED ALWAYS AS (ltrim(regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g'), '0')) STORED;
CREATE INDEX clients_phone_digits_idx ON clients USING gin (phone_digits gin_trgm_ops);
