-- depends: 0003-matching-staff-lists-and-departures
-- Staff can hand an assigned spot request to another volunteer when the first can no longer
-- go. The request row keeps only the volunteer now expected, so each hand-over is recorded
-- here: from whom, to whom, why (a code, and the staff's note, never in an event) and by whom.

CREATE TABLE spot_reassignments (
    id                UUID PRIMARY KEY,
    spot_request_id   UUID NOT NULL REFERENCES spot_requests (id),
    from_volunteer_id UUID NOT NULL REFERENCES participants (id),
    to_volunteer_id   UUID NOT NULL REFERENCES participants (id),
    reason            TEXT NOT NULL,
    note              TEXT,
    reassigned_by     TEXT,
    reassigned_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX spot_reassignments_by_request ON spot_reassignments (spot_request_id,
                                                                  reassigned_at);
