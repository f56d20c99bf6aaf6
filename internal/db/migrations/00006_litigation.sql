-- +goose Up
-- Litigation: court proceedings of a case, their hearings and deadlines, and
-- compensation claims with their ledger of payments received.
--
-- None of these rows holds victim data in plain text: courts, docket numbers,
-- charges, outcomes and amounts are about the proceedings, not the person.
-- The one sensitive field, a hearing's notes, is in the legal class and is
-- sealed under the case key before it reaches PostgreSQL, so erasing the
-- case (crypto-shredding its key) makes the notes unreadable too.
--
-- Nothing cascades from cases: a case is erased by shredding its key, never
-- deleted, and the payment ledger below must never lose a row.

CREATE TABLE proceedings (
    id                    uuid PRIMARY KEY,
    case_id               uuid NOT NULL REFERENCES cases (id),
    kind                  smallint NOT NULL CHECK (kind BETWEEN 1 AND 4),
    court                 text NOT NULL DEFAULT '',
    docket_number         text NOT NULL DEFAULT '',
    jurisdiction_country  text NOT NULL DEFAULT '',
    -- IANA zone of the court; hearing and deadline instants are shown in it.
    court_time_zone       text NOT NULL,
    stage                 smallint NOT NULL CHECK (stage BETWEEN 1 AND 5),
    victim_role           smallint NOT NULL DEFAULT 0,
    charges               text[] NOT NULL DEFAULT '{}',
    defendant_count       integer NOT NULL DEFAULT 0 CHECK (defendant_count >= 0),
    protective_measures   smallint[] NOT NULL DEFAULT '{}',
    responsible_lawyer    text NOT NULL DEFAULT '',
    strategic             boolean NOT NULL DEFAULT false,
    strategic_goal        text NOT NULL DEFAULT '',
    start_date            date,
    -- The latest decision (0: none yet).
    outcome_kind          smallint NOT NULL DEFAULT 0,
    outcome_decided_at    smallint NOT NULL DEFAULT 0,
    outcome_sentence      text NOT NULL DEFAULT '',
    outcome_decision_date date,
    outcome_final_date    date,
    created_by            text NOT NULL,
    request_id            uuid,
    version               bigint NOT NULL DEFAULT 1,
    create_time           timestamptz NOT NULL DEFAULT now(),
    update_time           timestamptz NOT NULL DEFAULT now(),
    stage_time            timestamptz NOT NULL DEFAULT now(),
    UNIQUE (case_id, request_id),
    CHECK (strategic OR strategic_goal = ''),
    CHECK (outcome_final_date IS NULL OR outcome_final_date >= outcome_decision_date)
);
CREATE INDEX proceedings_case ON proceedings (case_id, update_time DESC, id DESC);
CREATE INDEX proceedings_changed ON proceedings (update_time DESC, id DESC);
CREATE INDEX proceedings_lawyer ON proceedings (responsible_lawyer) WHERE responsible_lawyer <> '';

CREATE TABLE hearings (
    id              uuid PRIMARY KEY,
    proceeding_id   uuid NOT NULL REFERENCES proceedings (id),
    -- The proceeding's case, repeated so that listing by case and the
    -- calendar need no join to find it.
    case_id         uuid NOT NULL REFERENCES cases (id),
    -- The instant, in UTC; shown in court_time_zone.
    start_time      timestamptz NOT NULL,
    -- IANA zone; '' means the proceeding's, resolved when read so that a
    -- corrected proceeding zone applies to its hearings.
    court_time_zone text NOT NULL DEFAULT '',
    type            smallint NOT NULL CHECK (type BETWEEN 1 AND 5),
    status          smallint NOT NULL CHECK (status BETWEEN 1 AND 4), -- 1 scheduled, 2 held, 3 postponed, 4 cancelled
    outcome         text NOT NULL DEFAULT '',
    -- Legal class: sealed under the case key, bound to "<case>/hearings/<id>".
    notes           bytea,
    cancel_reason   text NOT NULL DEFAULT '',
    created_by      text NOT NULL,
    request_id      uuid,
    version         bigint NOT NULL DEFAULT 1,
    create_time     timestamptz NOT NULL DEFAULT now(),
    update_time     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (proceeding_id, request_id)
);
CREATE INDEX hearings_proceeding ON hearings (proceeding_id, start_time, id);
CREATE INDEX hearings_case ON hearings (case_id, start_time, id);
-- The calendar reads scheduled hearings by time.
CREATE INDEX hearings_scheduled ON hearings (start_time, id) WHERE status = 1;

CREATE TABLE deadlines (
    id              uuid PRIMARY KEY,
    proceeding_id   uuid NOT NULL REFERENCES proceedings (id),
    case_id         uuid NOT NULL REFERENCES cases (id),
    due_time        timestamptz NOT NULL,
    kind            smallint NOT NULL CHECK (kind BETWEEN 1 AND 4),
    description     text NOT NULL DEFAULT '',
    status          smallint NOT NULL CHECK (status BETWEEN 1 AND 4), -- 1 open, 2 met, 3 missed, 4 cancelled
    cancel_reason   text NOT NULL DEFAULT '',
    created_by      text NOT NULL,
    request_id      uuid,
    version         bigint NOT NULL DEFAULT 1,
    create_time     timestamptz NOT NULL DEFAULT now(),
    update_time     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (proceeding_id, request_id)
);
CREATE INDEX deadlines_proceeding ON deadlines (proceeding_id, due_time, id);
CREATE INDEX deadlines_case ON deadlines (case_id, due_time, id);
-- The calendar reads open deadlines by time, past due ones included.
CREATE INDEX deadlines_open ON deadlines (due_time, id) WHERE status = 1;

-- A compensation claim. All its amounts are integer minor units of one
-- currency, stored once: an award or payment in another currency cannot be
-- written (see the foreign key of claim_payments).
CREATE TABLE claims (
    id              uuid PRIMARY KEY,
    case_id         uuid NOT NULL REFERENCES cases (id),
    proceeding_id   uuid REFERENCES proceedings (id),
    type            smallint NOT NULL CHECK (type BETWEEN 1 AND 5),
    respondent_kind smallint NOT NULL DEFAULT 0,
    respondent_name text NOT NULL DEFAULT '',
    -- ISO 4217; NULL until the first amount (claimed or awarded) is known.
    currency        text CHECK (currency ~ '^[A-Z]{3}$'),
    amount_claimed  bigint CHECK (amount_claimed >= 0),
    -- The latest award; NULL before one and after a rejection.
    amount_awarded  bigint CHECK (amount_awarded > 0),
    status          smallint NOT NULL CHECK (status BETWEEN 1 AND 9),
    filed_date      date,
    decision_date   date,
    status_reason   text NOT NULL DEFAULT '',
    created_by      text NOT NULL,
    request_id      uuid,
    version         bigint NOT NULL DEFAULT 1,
    create_time     timestamptz NOT NULL DEFAULT now(),
    update_time     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (case_id, request_id),
    -- Target of the ledger's (claim, currency) foreign key.
    UNIQUE (id, currency),
    CHECK (currency IS NOT NULL OR (amount_claimed IS NULL AND amount_awarded IS NULL))
);
CREATE INDEX claims_case ON claims (case_id, update_time DESC, id DESC);
CREATE INDEX claims_changed ON claims (update_time DESC, id DESC);
CREATE INDEX claims_proceeding ON claims (proceeding_id) WHERE proceeding_id IS NOT NULL;

-- The ledger of money received on a claim. Append-only: a mistake is fixed
-- by a correction entry, never by changing or deleting one, so the history
-- of what was paid can be trusted by the monitoring that relies on it.
CREATE TABLE claim_payments (
    id                  uuid PRIMARY KEY,
    -- Ledger order.
    seq                 bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    claim_id            uuid NOT NULL,
    amount_minor        bigint NOT NULL CHECK (amount_minor <> 0),
    currency            text NOT NULL,
    paid_date           date NOT NULL,
    payer_kind          smallint NOT NULL DEFAULT 0,
    payer_name          text NOT NULL DEFAULT '',
    correction          boolean NOT NULL DEFAULT false,
    corrects_payment_id uuid REFERENCES claim_payments (id),
    reason              text NOT NULL DEFAULT '',
    recorded_by         text NOT NULL,
    request_id          uuid,
    create_time         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (claim_id, request_id),
    -- A payment in a currency other than its claim's cannot exist, and the
    -- claim's currency cannot change once it has payments.
    FOREIGN KEY (claim_id, currency) REFERENCES claims (id, currency),
    CHECK (correction OR amount_minor > 0),
    CHECK (correction OR corrects_payment_id IS NULL)
);
CREATE INDEX claim_payments_claim ON claim_payments (claim_id, seq);

-- +goose StatementBegin
CREATE FUNCTION claim_payments_forbid_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the payment ledger is append-only: % on % is not allowed; record a correction instead', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd
-- Statement-level, so they fire even when no row matches, and for
-- superusers too.
CREATE TRIGGER claim_payments_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON claim_payments
    FOR EACH STATEMENT EXECUTE FUNCTION claim_payments_forbid_change();
-- The server's role (see 00005) gets the ledger insert-only as well.
REVOKE UPDATE, DELETE, TRUNCATE ON claim_payments FROM casebridge_app;

-- +goose Down
DROP TABLE claim_payments;
DROP FUNCTION claim_payments_forbid_change;
DROP TABLE claims;
DROP TABLE deadlines;
DROP TABLE hearings;
DROP TABLE proceedings;
