-- +goose Up
-- The coded reason of a status change or an erasure (casebridge.v1.
-- CaseChangeReason): plain, since a code is not about the person; the
-- reason's text stays sealed in case_history.reason.
ALTER TABLE case_history ADD COLUMN reason_code smallint NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE case_history DROP COLUMN reason_code;
