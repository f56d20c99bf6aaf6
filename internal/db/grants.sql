-- The privileges of the role the server runs as, applied by every
-- migrate run (after the versioned migrations), so that a database
-- restored into a cluster that lacked the role — pg_dump carries GRANTs
-- but not roles, and pg_restore drops every GRANT to a missing role — is
-- repaired by running migrate again. Every statement is idempotent.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'casebridge_app') THEN
        CREATE ROLE casebridge_app NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object THEN
    NULL; -- created concurrently by a migration of another database
END;
$$;
GRANT USAGE ON SCHEMA public TO casebridge_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO casebridge_app;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO casebridge_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO casebridge_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO casebridge_app;
-- Insert-only tables; the migration history is the owner's.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events, audit_chain FROM casebridge_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON goose_db_version FROM casebridge_app;
-- Payments are never deleted; only their sealed texts may be rewritten
-- (key rotation re-seals them).
REVOKE UPDATE, DELETE, TRUNCATE ON claim_payments FROM casebridge_app;
GRANT UPDATE (texts, payer_name, reason) ON claim_payments TO casebridge_app;
