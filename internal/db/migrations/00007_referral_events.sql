-- +goose Up
-- The outbox of referral events: one row per change and per organisation
-- that must hear of it (both sides of a referral; every receiver of an
-- accepted referral when the case's status changes), written in the same
-- transaction as the change. WatchReferrals streams these rows in seq order
-- and LISTEN/NOTIFY only wakes it up, so a watcher that reconnects with the
-- seq of the last event it saw misses nothing and sees nothing twice.
--
-- Writers take a transaction-level advisory lock before inserting (see
-- internal/sharing), so seq order is also commit order: a reader can never
-- see seq 11 committed while seq 10 is still to come.
--
-- Status only, never victim data: an event may be shown in a notification.
CREATE TABLE referral_events (
    seq             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The organisation the event is for.
    organization_id text NOT NULL REFERENCES organizations (id),
    referral_id     uuid NOT NULL REFERENCES referrals (id) ON DELETE CASCADE,
    case_id         uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    -- casebridge.v1.ReferralEventType: 1 created .. 6 revoked, 7 case status changed.
    event_type      smallint NOT NULL CHECK (event_type BETWEEN 1 AND 7),
    -- The referral's and the case's status after the change.
    referral_status smallint NOT NULL,
    case_status     smallint NOT NULL,
    event_time      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX referral_events_org_seq ON referral_events (organization_id, seq);

-- +goose Down
DROP TABLE referral_events;
