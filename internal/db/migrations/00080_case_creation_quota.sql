-- +goose Up
-- Cases each organisation created per quota period (CreateCase and
-- ImportCases rows together). Counted here, not in a replica's memory, so
-- that the quota holds across the whole network of replicas; a row is
-- charged in the transaction that creates the cases, so a rolled-back
-- create costs nothing.
CREATE TABLE case_creation_quota (
    organization_id text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    period_start timestamptz NOT NULL,
    created integer NOT NULL CHECK (created >= 0),
    PRIMARY KEY (organization_id, period_start)
);

-- +goose Down
DROP TABLE case_creation_quota;
