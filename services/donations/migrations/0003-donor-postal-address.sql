-- depends: 0002-one-time-refunds-reports
-- A donor who wants a tax receipt (寄附金受領証明書) gives a postal address, and whether they
-- give as a person or a company. Personal data: erased with the supporter, never logged.

ALTER TABLE supporters ADD COLUMN donor_kind TEXT NOT NULL DEFAULT 'person'
    CHECK (donor_kind IN ('person', 'company'));
ALTER TABLE supporters ADD COLUMN postal_code TEXT;
ALTER TABLE supporters ADD COLUMN prefecture TEXT;
ALTER TABLE supporters ADD COLUMN city TEXT;
ALTER TABLE supporters ADD COLUMN address_line1 TEXT;
ALTER TABLE supporters ADD COLUMN address_line2 TEXT;
-- An address is whole or absent: a receipt cannot be sent to half of one.
ALTER TABLE supporters ADD CONSTRAINT supporters_address_whole CHECK (
    (postal_code IS NULL AND prefecture IS NULL AND city IS NULL AND address_line1 IS NULL
     AND address_line2 IS NULL)
    OR (postal_code IS NOT NULL AND prefecture IS NOT NULL AND city IS NOT NULL
        AND address_line1 IS NOT NULL));
