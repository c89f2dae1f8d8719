-- depends: 0002-gateway-staff-events
-- Supporters donations anonymised (its supporter_anonymized event): the feed's copies of their
-- events are redacted, and an event about one of them that arrives later is stored redacted.
CREATE TABLE erased_supporters (
    supporter_id  UUID PRIMARY KEY,
    erased_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX staff_events_supporter ON staff_events ((data->>'supporter_id'))
    WHERE source = 'donations';
