-- +goose Up
-- The keys a rotation retires, recorded when it starts or is extended: the
-- only keys its last step may destroy, each only once no wrapped case key
-- names it. Nothing the database says later (a key's state) can add a key
-- to destroy, and nothing is destroyed at start-up.
ALTER TABLE key_rotations ADD COLUMN retiring_key_ids text[] NOT NULL DEFAULT '{}';
UPDATE key_rotations r SET retiring_key_ids = ARRAY(
    SELECT k.key_id FROM organization_keys k
    WHERE k.organization_id = r.organization_id AND k.state = 2 ORDER BY k.key_id)
WHERE r.state = 1;

-- +goose Down
ALTER TABLE key_rotations DROP COLUMN retiring_key_ids;
