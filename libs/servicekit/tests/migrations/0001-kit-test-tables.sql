CREATE TABLE ticks (n INTEGER NOT NULL);
-- no unique constraint on purpose: a duplicate effect must be visible to the tests
CREATE TABLE seen (event_id UUID NOT NULL, n INTEGER NOT NULL, correlation_id TEXT);
-- ticks the sink refuses until a test says otherwise
CREATE TABLE refuse (n INTEGER PRIMARY KEY);
