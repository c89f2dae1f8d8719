-- depends: 0002-spot-request-reminders
-- Staff can turn an applicant away (rejected) and record that someone left (withdrawn); the
-- proposals and offers such a person was in are cancelled. Staff lists page newest first by
-- keyset, so each list has an index on its (timestamp, id) key; a run keeps who it left
-- unmatched so it can be read again after the POST that made it.

ALTER TABLE participants DROP CONSTRAINT participants_status_check;
ALTER TABLE participants ADD CONSTRAINT participants_status_check
    CHECK (status IN ('applied', 'approved', 'rejected', 'withdrawn'));
ALTER TABLE participants
    ADD COLUMN rejected_at   TIMESTAMPTZ,
    ADD COLUMN withdrawn_at  TIMESTAMPTZ,
    -- a code from the reject or withdraw list, and the staff's note (never in an event)
    ADD COLUMN status_reason TEXT,
    ADD COLUMN status_note   TEXT;

ALTER TABLE pairings DROP CONSTRAINT pairings_state_check;
ALTER TABLE pairings ADD CONSTRAINT pairings_state_check CHECK (state IN (
    'proposed', 'superseded', 'offered', 'declined', 'expired', 'cancelled',
    'active', 'inactive', 'completed', 'closed_early'));

ALTER TABLE matching_runs ADD COLUMN unmatched JSONB NOT NULL DEFAULT '[]';

CREATE INDEX participants_newest ON participants (applied_at DESC, id DESC);
CREATE INDEX pairings_newest ON pairings (proposed_at DESC, id DESC);
CREATE INDEX pairings_by_run ON pairings (run_id);
CREATE INDEX checkins_by_pairing ON checkins (pairing_id, logged_at);
CREATE INDEX spot_requests_newest ON spot_requests (created_at DESC, id DESC);
CREATE INDEX matching_runs_newest ON matching_runs (created_at DESC, id DESC);
