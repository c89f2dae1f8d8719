-- depends: 0002-one-time-refunds-reports
-- A tax receipt names the donor with their postal address; a company is addressed as one.
-- IF NOT EXISTS: the public site's sign-up may bring the same optional columns.
ALTER TABLE supporters ADD COLUMN IF NOT EXISTS postal_address TEXT;
ALTER TABLE supporters ADD COLUMN IF NOT EXISTS donor_kind TEXT NOT NULL DEFAULT 'person'
    CHECK (donor_kind IN ('person', 'company'));
