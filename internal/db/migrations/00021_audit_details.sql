-- +goose Up
-- What an administrative call acted on or changed, as name=value pairs
-- (member=..., granted=auditor, organization=..., rotation=...): ids, names
-- and codes only, never a value of victim data. Existing events have none.
ALTER TABLE audit_events ADD COLUMN details text[] NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE audit_events DROP COLUMN details;
