-- +goose Up
-- Organisations are the tenants; every other row belongs to one of them.
CREATE TABLE organizations (
    id           text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    display_name text NOT NULL,
    kind         smallint NOT NULL,
    country_code text NOT NULL DEFAULT '',
    create_time  timestamptz NOT NULL DEFAULT now(),
    update_time  timestamptz NOT NULL DEFAULT now(),
    version      bigint NOT NULL DEFAULT 1
);

-- A member is a token subject with roles in one organisation. The server
-- resolves a caller's roles from here on every call (through a short cache
-- invalidated by NOTIFY), so a removed member loses access within seconds.
CREATE TABLE memberships (
    organization_id text NOT NULL REFERENCES organizations (id),
    subject         text NOT NULL,
    roles           text[] NOT NULL CHECK (cardinality(roles) > 0),
    display_name    text NOT NULL DEFAULT '',
    create_time     timestamptz NOT NULL DEFAULT now(),
    update_time     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, subject)
);
CREATE INDEX memberships_subject ON memberships (subject);

-- Every change to memberships is announced so that all replicas drop their
-- cached view of who holds which role.
-- +goose StatementBegin
CREATE FUNCTION notify_membership_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('casebridge_memberships',
        COALESCE(NEW.subject, OLD.subject));
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER memberships_notify
    AFTER INSERT OR UPDATE OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION notify_membership_change();

-- +goose Down
DROP TABLE memberships;
DROP FUNCTION notify_membership_change;
DROP TABLE organizations;
