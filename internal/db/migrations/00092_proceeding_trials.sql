-- +goose Up
-- Co-victims in one trial: each injured party's case keeps its own
-- proceeding row (its court, docket and charges sealed under that case's
-- key, so erasing one person shreds nothing of the others'), and the rows of
-- one trial share a trial id. The id is a random grouping key, not a row of
-- its own: it says nothing about the person.
ALTER TABLE proceedings ADD COLUMN trial_id uuid;
CREATE INDEX proceedings_trial ON proceedings (trial_id) WHERE trial_id IS NOT NULL;

-- +goose Down
DROP INDEX proceedings_trial;
ALTER TABLE proceedings DROP COLUMN trial_id;
