-- +goose Up
-- The public half of each organisation's age key pair. The private half lives
-- in the server's keyring (files, a mounted secret), never in this database.
CREATE TABLE organization_keys (
    key_id          text PRIMARY KEY CHECK (key_id ~ '^[0-9a-f]{16}$'),
    organization_id text NOT NULL REFERENCES organizations (id),
    recipient       text NOT NULL CHECK (recipient LIKE 'age1%'),
    state           smallint NOT NULL, -- 1 active, 2 retiring, 3 retired
    create_time     timestamptz NOT NULL DEFAULT now(),
    retire_time     timestamptz
);
-- New case keys are wrapped to exactly one active key per organisation.
CREATE UNIQUE INDEX organization_keys_one_active
    ON organization_keys (organization_id) WHERE state = 1;

-- A background re-wrap of every case key from an old organisation key to a
-- new one. Progress is the number of case keys left on the old key, so a
-- restarted server resumes where it stopped.
CREATE TABLE key_rotations (
    id              uuid PRIMARY KEY,
    organization_id text NOT NULL REFERENCES organizations (id),
    old_key_id      text NOT NULL REFERENCES organization_keys (key_id),
    new_key_id      text NOT NULL REFERENCES organization_keys (key_id),
    state           smallint NOT NULL, -- 1 running, 2 done, 3 failed
    total           bigint NOT NULL DEFAULT 0,
    done            bigint NOT NULL DEFAULT 0,
    error           text NOT NULL DEFAULT '',
    create_time     timestamptz NOT NULL DEFAULT now(),
    finish_time     timestamptz
);
CREATE UNIQUE INDEX key_rotations_one_running
    ON key_rotations (organization_id) WHERE state = 1;

-- +goose Down
DROP TABLE key_rotations;
DROP TABLE organization_keys;
