-- depends: 0002-programs-consultation-search
-- A session can be called off before it begins; the families with a seat are told
-- (class_session_cancelled). The note is for staff only; the reason code goes to families.
ALTER TABLE class_sessions
    ADD COLUMN cancelled_at  TIMESTAMPTZ,
    ADD COLUMN cancel_reason TEXT,
    ADD COLUMN cancel_note   TEXT,
    ADD COLUMN cancelled_by  TEXT,
    ADD CONSTRAINT class_sessions_cancelled_or_held
        CHECK (cancelled_at IS NULL OR held_at IS NULL);
