-- +goose Up
-- A request from the owning organisation to another to provide a service.
-- An accepted referral shares the case with the receiver, limited to the
-- data classes it names (1 identity, 2 contact, 3 care, 4 legal).
CREATE TABLE referrals (
    id                uuid PRIMARY KEY,
    seq               bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    case_id           uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    from_organization text NOT NULL REFERENCES organizations (id),
    to_organization   text NOT NULL REFERENCES organizations (id),
    service           smallint NOT NULL,
    classes           smallint[] NOT NULL DEFAULT '{}',
    message           text NOT NULL DEFAULT '',
    status            smallint NOT NULL, -- 1 pending, 2 accepted, 3 declined, 4 completed, 5 withdrawn, 6 revoked
    purpose           smallint NOT NULL,
    consent_id        uuid REFERENCES consents (id),
    decline_reason    text NOT NULL DEFAULT '',
    end_reason        text NOT NULL DEFAULT '',
    created_by        text NOT NULL,
    request_id        uuid,
    version           bigint NOT NULL DEFAULT 1,
    create_time       timestamptz NOT NULL DEFAULT now(),
    update_time       timestamptz NOT NULL DEFAULT now(),
    accept_time       timestamptz,
    decline_time      timestamptz,
    complete_time     timestamptz,
    withdraw_time     timestamptz,
    revoke_time       timestamptz,
    UNIQUE (from_organization, request_id),
    CHECK (from_organization <> to_organization)
);
CREATE INDEX referrals_case ON referrals (case_id);
CREATE INDEX referrals_to ON referrals (to_organization, seq DESC);
CREATE INDEX referrals_from ON referrals (from_organization, seq DESC);
-- Case access checks look up accepted referrals of a case on every call.
CREATE INDEX referrals_case_accepted ON referrals (case_id, to_organization) WHERE status = 2;

-- +goose Down
DROP TABLE referrals;
