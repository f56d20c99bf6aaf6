-- +goose Up
-- Statistics leave out every case whose person refused statistical use
-- (an active statistics consent that refuses). Each count anti-joins the
-- cases with these few consent rows; the partial index keeps that join a
-- small hash instead of a scan of every consent ever recorded.
CREATE INDEX consents_statistics_refused ON consents (case_id)
    WHERE purpose = 3 AND decision = 2 AND state = 1;

-- +goose Down
DROP INDEX consents_statistics_refused;
