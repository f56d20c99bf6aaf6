-- +goose Up
-- The privacy budget of the whole population. Every coordinating body's
-- noisy tables count the same cases, so a release is charged against one
-- budget of all networks together as well as its network's; this row per
-- period is locked while any release is decided, so that releases in
-- different networks are paid one after the other and cannot together
-- spend past it.
CREATE TABLE stats_privacy_population_periods (
    period_start date PRIMARY KEY
);
CREATE INDEX stats_privacy_spends_subject ON stats_privacy_spends (period_start, subject);

-- +goose Down
DROP INDEX stats_privacy_spends_subject;
DROP TABLE stats_privacy_population_periods;
