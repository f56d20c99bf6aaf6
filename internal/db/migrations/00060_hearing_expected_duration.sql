-- +goose Up
-- How long the court expects a hearing to last, when it said (seconds;
-- NULL: not said, calendars block their default). Plain: a length says
-- nothing about the person.
ALTER TABLE hearings
    ADD COLUMN expected_seconds integer
        CONSTRAINT hearings_expected_seconds_range CHECK (expected_seconds BETWEEN 300 AND 43200);

-- +goose Down
ALTER TABLE hearings DROP COLUMN expected_seconds;
