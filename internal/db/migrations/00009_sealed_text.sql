-- +goose Up
-- Free text about the person outside the case record — referral messages
-- and decline reasons, courts, docket numbers and charges, hearing outcomes,
-- deadline descriptions, respondent and payer names, the consent method —
-- moves out of plain columns into one sealed column per table ("texts"),
-- sealed under the case key (see internal/vault/registry.go), so that
-- erasure shreds it with the rest. Kinds, stages, outcomes, dates and
-- amounts stay plain, for figures.
--
-- SQL cannot encrypt: the plain columns stay for the rows written before
-- this version, and the server seals them in batches at start-up and in
-- the background (internal/sealed, Backfill), clearing the plain column in
-- the same statement. New rows write only the sealed column.
ALTER TABLE referrals ADD COLUMN texts bytea;
ALTER TABLE consents ADD COLUMN texts bytea;
ALTER TABLE proceedings ADD COLUMN texts bytea;
ALTER TABLE hearings ADD COLUMN texts bytea;
ALTER TABLE deadlines ADD COLUMN texts bytea;
ALTER TABLE claims ADD COLUMN texts bytea;

-- Every sealed column is found by its case: the ledger learns its claim's.
ALTER TABLE claim_payments ADD COLUMN texts bytea;
ALTER TABLE claim_payments ADD COLUMN case_id uuid REFERENCES cases (id);
ALTER TABLE claim_payments DISABLE TRIGGER claim_payments_append_only;
UPDATE claim_payments p SET case_id = c.id FROM claims c WHERE c.id = p.claim_id;
ALTER TABLE claim_payments ENABLE TRIGGER claim_payments_append_only;
ALTER TABLE claim_payments ALTER COLUMN case_id SET NOT NULL;
CREATE INDEX claim_payments_case ON claim_payments (case_id);
-- An entry that names no case (as older versions wrote them) gets its
-- claim's.
-- +goose StatementBegin
CREATE FUNCTION claim_payments_case_of_claim() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.case_id IS NULL THEN
        SELECT case_id INTO NEW.case_id FROM claims WHERE id = NEW.claim_id;
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER claim_payments_case_of_claim
    BEFORE INSERT ON claim_payments
    FOR EACH ROW EXECUTE FUNCTION claim_payments_case_of_claim();

-- The ledger stays append-only for every figure: an UPDATE may only re-seal
-- the texts (re-keying) or move legacy plain text into them. Setting any
-- other column is refused by a statement trigger (so even a statement that
-- matches no row fails), a plain text column may only be cleared.
DROP TRIGGER claim_payments_append_only ON claim_payments;
CREATE TRIGGER claim_payments_append_only
    BEFORE DELETE OR TRUNCATE ON claim_payments
    FOR EACH STATEMENT EXECUTE FUNCTION claim_payments_forbid_change();
CREATE TRIGGER claim_payments_figures_fixed
    BEFORE UPDATE OF id, seq, claim_id, case_id, amount_minor, currency, paid_date, payer_kind,
        correction, corrects_payment_id, recorded_by, request_id, create_time ON claim_payments
    FOR EACH STATEMENT EXECUTE FUNCTION claim_payments_forbid_change();
-- +goose StatementBegin
CREATE FUNCTION claim_payments_only_clear() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.payer_name <> '' AND NEW.payer_name IS DISTINCT FROM OLD.payer_name)
       OR (NEW.reason <> '' AND NEW.reason IS DISTINCT FROM OLD.reason) THEN
        RAISE EXCEPTION 'the payment ledger is append-only: only its sealed texts may be re-sealed; record a correction instead'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER claim_payments_only_clear
    BEFORE UPDATE OF payer_name, reason ON claim_payments
    FOR EACH ROW EXECUTE FUNCTION claim_payments_only_clear();
GRANT UPDATE (texts, payer_name, reason) ON claim_payments TO casebridge_app;

-- The history of a case's status: every closure, suspension, reopening and
-- erasure, with the reason given, sealed under the case key (the reason is
-- free text about the person). Erasure shreds the reasons with the rest.
CREATE TABLE case_history (
    id         uuid PRIMARY KEY,
    case_id    uuid NOT NULL REFERENCES cases (id),
    -- casebridge.v1.CaseStatus the case moved to (0 for an erasure).
    status     smallint NOT NULL,
    erased     boolean NOT NULL DEFAULT false,
    reason     bytea,
    actor      text NOT NULL,
    event_time timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_history_case ON case_history (case_id, event_time);
GRANT SELECT, INSERT, UPDATE, DELETE ON case_history TO casebridge_app;

-- +goose Down
DROP TABLE case_history;
DROP TRIGGER claim_payments_only_clear ON claim_payments;
DROP FUNCTION claim_payments_only_clear;
DROP TRIGGER claim_payments_figures_fixed ON claim_payments;
DROP TRIGGER claim_payments_case_of_claim ON claim_payments;
DROP FUNCTION claim_payments_case_of_claim;
DROP TRIGGER claim_payments_append_only ON claim_payments;
CREATE TRIGGER claim_payments_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON claim_payments
    FOR EACH STATEMENT EXECUTE FUNCTION claim_payments_forbid_change();
REVOKE UPDATE ON claim_payments FROM casebridge_app;
ALTER TABLE claim_payments DROP COLUMN case_id;
ALTER TABLE claim_payments DROP COLUMN texts;
ALTER TABLE claims DROP COLUMN texts;
ALTER TABLE deadlines DROP COLUMN texts;
ALTER TABLE hearings DROP COLUMN texts;
ALTER TABLE proceedings DROP COLUMN texts;
ALTER TABLE consents DROP COLUMN texts;
ALTER TABLE referrals DROP COLUMN texts;
