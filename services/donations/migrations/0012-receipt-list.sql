-- depends: 0011-tax-receipts
-- Staff list receipts newest issued first in keyset pages (servicekit.paging) on
-- (issued_at, id): this index keeps a deep page as cheap as the first.
CREATE INDEX receipts_by_issue ON receipts (issued_at DESC, id DESC);
