-- +goose Up
-- A member's contact address and language, for task digests: staff data,
-- never victim data.
ALTER TABLE memberships
    ADD COLUMN contact_email text NOT NULL DEFAULT '' CHECK (length(contact_email) <= 254),
    ADD COLUMN preferred_language smallint NOT NULL DEFAULT 0 CHECK (preferred_language BETWEEN 0 AND 4);

-- One row per digest a member is due: recorded before the job that sends it
-- is enqueued, and marked before the message goes out, so that a crash
-- loses at most that digest and a retry never sends it twice.
CREATE TABLE digests (
    id              uuid PRIMARY KEY,
    organization_id text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    subject         text NOT NULL,
    day             date NOT NULL,
    record_time     timestamptz NOT NULL DEFAULT now(),
    -- Set once, in its own transaction, before the SMTP transaction starts.
    send_start_time timestamptz,
    -- Set when the SMTP server accepted the message; skipped: nothing to say.
    sent_time       timestamptz,
    skipped         boolean NOT NULL DEFAULT false,
    UNIQUE (organization_id, subject, day)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON digests TO casebridge_app;

-- +goose Down
DROP TABLE digests;
ALTER TABLE memberships DROP COLUMN preferred_language, DROP COLUMN contact_email;
