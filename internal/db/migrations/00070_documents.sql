-- +goose Up
-- Documents of a case. The content is age STREAM ciphertext in the blob
-- store (object_id: an opaque name, never the case or the file's name)
-- under the document's own key; the key and the title, kind, date and file
-- name are one value sealed under the case key in the document's class
-- (envelope), bound to the case, the class and the document id. Only the
-- size and the sniffed content type stay plain.
CREATE TABLE documents (
    id           uuid PRIMARY KEY,
    case_id      uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    class        smallint NOT NULL CHECK (class BETWEEN 1 AND 4),
    envelope     bytea NOT NULL,
    object_id    text NOT NULL UNIQUE,
    content_type text NOT NULL,
    size_bytes   bigint NOT NULL CHECK (size_bytes >= 0),
    consent_id   uuid REFERENCES consents (id) ON DELETE SET NULL,
    hearing_id   uuid REFERENCES hearings (id) ON DELETE SET NULL,
    claim_id     uuid REFERENCES claims (id) ON DELETE SET NULL,
    uploaded_by  text NOT NULL,
    request_id   uuid,
    create_time  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (case_id, request_id),
    CHECK (hearing_id IS NULL OR claim_id IS NULL)
);
CREATE INDEX documents_by_case ON documents (case_id, create_time DESC, id DESC);

-- Objects of the blob store to delete, and when: the deletion of a
-- document's row (DeleteDocument, an erasure) queues its object in the
-- same transaction, and a worker deletes it after the commit, retrying
-- until the store says it is gone. An upload queues its object, due an
-- hour later, before it writes it and unqueues it when its row commits, so
-- that an upload that dies between the two leaves nothing behind either.
-- An object a document still names is never deleted.
CREATE TABLE document_object_deletions (
    object_id  text PRIMARY KEY,
    not_before timestamptz NOT NULL DEFAULT now(),
    attempts   integer NOT NULL DEFAULT 0
);
CREATE INDEX document_object_deletions_due ON document_object_deletions (not_before);

-- +goose StatementBegin
CREATE FUNCTION documents_queue_object_deletion() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO document_object_deletions (object_id) VALUES (OLD.object_id)
    ON CONFLICT (object_id) DO UPDATE SET not_before = now();
    RETURN OLD;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER documents_queue_object_deletion AFTER DELETE ON documents
    FOR EACH ROW EXECUTE FUNCTION documents_queue_object_deletion();

-- +goose Down
DROP TRIGGER documents_queue_object_deletion ON documents;
DROP FUNCTION documents_queue_object_deletion();
DROP TABLE document_object_deletions;
DROP TABLE documents;
