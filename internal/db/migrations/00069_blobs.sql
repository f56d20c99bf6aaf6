-- +goose Up
-- The PostgreSQL blob store (internal/blobstore/pgstore): document
-- ciphertext, one row per object and its bytes in chunk rows, so that no
-- statement ever carries a whole file and a download reads one chunk at a
-- time. The object id is opaque (it names neither case nor document); the
-- bytes are age STREAM ciphertext under a document key kept sealed
-- elsewhere, so these tables hold nothing readable on their own.
CREATE TABLE blob_objects (
    blob bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id text NOT NULL UNIQUE CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,127}$'),
    size bigint NOT NULL DEFAULT 0 CHECK (size >= 0),
    chunks integer NOT NULL DEFAULT 0 CHECK (chunks >= 0),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Keyed by the object's row (blob), not its id: a reader of a replaced
-- object finds its chunks gone rather than a mix of two objects.
CREATE TABLE blob_chunks (
    blob bigint NOT NULL REFERENCES blob_objects (blob) ON DELETE CASCADE,
    seq integer NOT NULL CHECK (seq >= 0),
    data bytea NOT NULL,
    PRIMARY KEY (blob, seq)
);
-- Ciphertext does not compress: store it out of line without trying.
ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

-- +goose Down
DROP TABLE blob_chunks;
DROP TABLE blob_objects;
