-- depends: 0004-spot-reassignments
-- Whether each side, when accepting an offer, agreed to let the other side have their name and
-- e-mail address: `pairing_started` carries it, and the e-mail shows only what was agreed.

ALTER TABLE pairings
    ADD COLUMN resident_shares_contact BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN partner_shares_contact  BOOLEAN NOT NULL DEFAULT false;
