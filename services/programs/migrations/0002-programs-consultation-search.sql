-- depends: 0001-programs
-- Staff search of consultations: newest first, paged by keyset on (opened_at, id). The first
-- index serves the unfiltered list and the other filters (few rows each); the second serves
-- the queue staff look at most, one status at a time, without walking every ended case.
CREATE INDEX consultations_newest ON consultations (opened_at DESC, id DESC);
CREATE INDEX consultations_by_status_newest ON consultations (status, opened_at DESC, id DESC);
