-- +goose Up
-- The audit log: one row per call that read or changed victim data (or was
-- refused). Who, what, which data classes and the result — never a field
-- value. Rows are only ever inserted: triggers refuse UPDATE, DELETE and
-- TRUNCATE for everyone, and the server's role lacks those privileges too.
CREATE TABLE audit_events (
    id              uuid PRIMARY KEY,
    -- Insertion order, so the chainer links a batch deterministically.
    seq             bigint GENERATED ALWAYS AS IDENTITY,
    event_time      timestamptz NOT NULL,
    subject         text NOT NULL,
    organization_id text NOT NULL DEFAULT '',
    roles           text[] NOT NULL DEFAULT '{}',
    method          text NOT NULL,
    -- No foreign key: the trail of an erased case must outlive the case.
    case_id         uuid,
    -- Names of the sensitive classes read or written (identity, contact, care, legal).
    classes         text[] NOT NULL DEFAULT '{}',
    -- gRPC status code name: OK, NOT_FOUND, PERMISSION_DENIED, ...
    code            text NOT NULL,
    request_id      text NOT NULL DEFAULT '',
    -- The inserting transaction (64-bit xid): lets the chainer find the
    -- events committed since its last pass without scanning the whole
    -- table. (An inserter that set it by hand could only keep its own
    -- event out of the chain, which it could as well not insert.)
    xid             bigint NOT NULL DEFAULT pg_current_xact_id()::text::bigint
);
CREATE INDEX audit_events_xid ON audit_events (xid);
CREATE INDEX audit_events_case ON audit_events (case_id) WHERE case_id IS NOT NULL;
CREATE INDEX audit_events_subject ON audit_events (subject);
CREATE INDEX audit_events_org ON audit_events (organization_id);
-- Events arrive in time order: a BRIN index costs almost nothing to keep.
CREATE INDEX audit_events_time ON audit_events USING brin (event_time);

-- The hash chain over committed events, in the order the chainer linked
-- them: hash = SHA-256(prev_hash || position || canonical event). It is a
-- separate insert-only table so that linking needs no UPDATE of an event.
CREATE TABLE audit_chain (
    position  bigint PRIMARY KEY CHECK (position > 0),
    -- No foreign key (its row locks would write to every event linked):
    -- verification reports a chain entry whose event is gone.
    event_id  uuid NOT NULL UNIQUE,
    prev_hash bytea NOT NULL,
    hash      bytea NOT NULL CHECK (octet_length(hash) = 32),
    -- Every event inserted by a transaction older than this (xid) was
    -- linked when this row was written: the next pass starts there.
    horizon   bigint NOT NULL,
    link_time timestamptz NOT NULL DEFAULT now()
);

-- +goose StatementBegin
CREATE FUNCTION audit_forbid_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is insert-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd
-- Statement-level, so they fire even when no row matches; they fire for
-- superusers too (only session_replication_role = replica skips them).
CREATE TRIGGER audit_events_insert_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_forbid_change();
CREATE TRIGGER audit_chain_insert_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_chain
    FOR EACH STATEMENT EXECUTE FUNCTION audit_forbid_change();

-- The role the server runs as (through a LOGIN role that is a member of
-- it, see README): reads and writes every table but may only insert into
-- the audit log. Creating it needs CREATEROLE; an administrator can create
-- it beforehand instead.
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'casebridge_app') THEN
        CREATE ROLE casebridge_app NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object THEN
    NULL; -- created concurrently by a migration of another database
END;
$$;
-- +goose StatementEnd
GRANT USAGE ON SCHEMA public TO casebridge_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO casebridge_app;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO casebridge_app;
-- Tables and sequences that later migrations create (as the same owner).
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO casebridge_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO casebridge_app;
-- Insert-only audit log; and the migration history is the owner's (the
-- server only reads it to see that nothing is pending).
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events, audit_chain FROM casebridge_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON goose_db_version FROM casebridge_app;

-- +goose Down
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM casebridge_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    REVOKE USAGE, SELECT, UPDATE ON SEQUENCES FROM casebridge_app;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM casebridge_app;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM casebridge_app;
REVOKE USAGE ON SCHEMA public FROM casebridge_app;
DROP TABLE audit_chain;
DROP TABLE audit_events;
DROP FUNCTION audit_forbid_change;
