-- +goose Up
-- The hand-over of a whole case from one organisation to another (a
-- cross-border return), with the person's consent. The row is the chain of
-- custody: who offered the case to whom, on which consent, who answered and
-- when. No free text about the person is kept here, so nothing is sealed.
CREATE TABLE case_transfers (
    id                uuid PRIMARY KEY,
    seq               bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    case_id           uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    from_organization text NOT NULL REFERENCES organizations (id),
    to_organization   text NOT NULL REFERENCES organizations (id),
    status            smallint NOT NULL, -- 1 proposed, 2 accepted, 3 declined, 4 cancelled
    consent_id        uuid NOT NULL REFERENCES consents (id),
    -- The case's reference in each organisation: the receiver numbers the
    -- case in its own series when it takes it on.
    from_reference    text NOT NULL,
    to_reference      text NOT NULL DEFAULT '',
    proposed_by       text NOT NULL,
    answered_by       text NOT NULL DEFAULT '',
    request_id        uuid,
    version           bigint NOT NULL DEFAULT 1,
    create_time       timestamptz NOT NULL DEFAULT now(),
    update_time       timestamptz NOT NULL DEFAULT now(),
    accept_time       timestamptz,
    decline_time      timestamptz,
    cancel_time       timestamptz,
    UNIQUE (from_organization, request_id),
    CHECK (from_organization <> to_organization)
);
-- At most one transfer of a case is proposed at a time.
CREATE UNIQUE INDEX case_transfers_one_proposed ON case_transfers (case_id) WHERE status = 1;
CREATE INDEX case_transfers_to ON case_transfers (to_organization, seq DESC);
CREATE INDEX case_transfers_from ON case_transfers (from_organization, seq DESC);
-- The visibility rule looks up the accepted transfers of a case on every call.
CREATE INDEX case_transfers_case_accepted ON case_transfers (case_id, from_organization) WHERE status = 2;

GRANT SELECT, INSERT, UPDATE, DELETE ON case_transfers TO casebridge_app;

-- +goose Down
DROP TABLE case_transfers;
