-- +goose Up
-- An import's source name is free text (a file name, which can name a
-- person) repeated on every imported row and kept past erasure. Only a
-- digest is needed, to recognise a re-run of the same source: see
-- sealed.ImportSourceKey, which computes the same value.
UPDATE cases
SET import_source = 'sha256:' || encode(sha256(convert_to(organization_id || E'\n' || import_source, 'UTF8')), 'hex')
WHERE import_source IS NOT NULL;

-- +goose Down
-- A digest cannot be turned back into the name.
SELECT 1;
