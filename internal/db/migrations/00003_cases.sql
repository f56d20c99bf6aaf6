-- +goose Up
ALTER TABLE organizations ADD COLUMN reference_prefix text NOT NULL DEFAULT ''
    CHECK (reference_prefix ~ '^[A-Z0-9]{0,6}$');

-- A case: coded attributes in plain columns for queries and statistics;
-- sensitive classes live encrypted in case_secrets.
CREATE TABLE cases (
    id                    uuid PRIMARY KEY,
    -- Insertion order: keyset pagination on it is stable while cases arrive.
    seq                   bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    organization_id       text NOT NULL REFERENCES organizations (id),
    reference             text NOT NULL,
    status                smallint NOT NULL,
    assigned_caseworker   text NOT NULL DEFAULT '',
    sex                   smallint NOT NULL DEFAULT 0,
    age_band              smallint NOT NULL DEFAULT 0,
    child                 smallint NOT NULL DEFAULT 0,
    nationality           text NOT NULL DEFAULT '',
    country               text NOT NULL DEFAULT '',
    identification_year   integer NOT NULL DEFAULT 0,
    exploitation_forms    smallint[] NOT NULL DEFAULT '{}',
    identification_status smallint NOT NULL DEFAULT 0,
    -- Which sensitive classes hold data (bit 1 identity, 2 contact, 4 care,
    -- 8 legal), so a read knows what to redact without decrypting.
    classes_present       smallint NOT NULL DEFAULT 0,
    request_id            uuid,
    import_source         text,
    import_line           bigint,
    version               bigint NOT NULL DEFAULT 1,
    create_time           timestamptz NOT NULL DEFAULT now(),
    update_time           timestamptz NOT NULL DEFAULT now(),
    close_time            timestamptz,
    erase_time            timestamptz,
    UNIQUE (organization_id, reference),
    UNIQUE (organization_id, request_id),
    UNIQUE (organization_id, import_source, import_line)
);
CREATE INDEX cases_org_seq ON cases (organization_id, seq DESC);
CREATE INDEX cases_org_status ON cases (organization_id, status, seq DESC);
CREATE INDEX cases_org_assigned ON cases (organization_id, assigned_caseworker, seq DESC);
CREATE INDEX cases_forms ON cases USING gin (exploitation_forms);

-- Next case number per organisation and year, for references like SHA-2026-0042.
CREATE TABLE case_reference_counters (
    organization_id text NOT NULL REFERENCES organizations (id),
    year            integer NOT NULL,
    last_number     integer NOT NULL,
    PRIMARY KEY (organization_id, year)
);

-- The case's data key, wrapped (age X25519) to each organisation key that
-- may read the case. Erasing a case deletes these rows: with them gone no
-- key can decrypt the case's ciphertext, even in an older backup, once the
-- organisation keys that wrapped them are rotated away.
CREATE TABLE case_keys (
    case_id    uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    key_id     text NOT NULL REFERENCES organization_keys (key_id),
    wrapped    bytea NOT NULL,
    PRIMARY KEY (case_id, key_id)
);
CREATE INDEX case_keys_key ON case_keys (key_id);

-- One ciphertext per case and sensitive class (age format, bound to the case
-- id and class).
CREATE TABLE case_secrets (
    case_id    uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    class      smallint NOT NULL CHECK (class BETWEEN 1 AND 4),
    ciphertext bytea NOT NULL,
    PRIMARY KEY (case_id, class)
);

CREATE TABLE case_notes (
    id          uuid PRIMARY KEY,
    case_id     uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    class       smallint NOT NULL CHECK (class BETWEEN 1 AND 4),
    ciphertext  bytea NOT NULL,
    author      text NOT NULL,
    request_id  uuid,
    create_time timestamptz NOT NULL DEFAULT now(),
    UNIQUE (case_id, request_id)
);
CREATE INDEX case_notes_case ON case_notes (case_id, create_time DESC, id DESC);

CREATE TABLE consents (
    id                uuid PRIMARY KEY,
    case_id           uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    purpose           smallint NOT NULL,
    decision          smallint NOT NULL,
    organization_id   text REFERENCES organizations (id),
    organization_kind smallint,
    state             smallint NOT NULL, -- 1 active, 2 withdrawn
    given_time        timestamptz NOT NULL,
    expire_time       timestamptz,
    withdraw_time     timestamptz,
    recorded_by       text NOT NULL,
    method            text NOT NULL DEFAULT '',
    request_id        uuid,
    create_time       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (case_id, request_id)
);
CREATE INDEX consents_case ON consents (case_id, create_time DESC);

-- +goose Down
DROP TABLE consents;
DROP TABLE case_notes;
DROP TABLE case_secrets;
DROP TABLE case_keys;
DROP TABLE case_reference_counters;
DROP TABLE cases;
ALTER TABLE organizations DROP COLUMN reference_prefix;
