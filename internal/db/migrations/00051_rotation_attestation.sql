-- +goose Up
-- A rotation's statement (its organisation, the keys it retires and the key
-- it moves case keys to), tagged under the rotation's target key, which
-- only the keyring holds. A row written by anyone else (anyone able to
-- write this database) fails to verify, and the server then neither
-- moves nor destroys anything for it. Rotations recorded before this
-- column existed have none: they stop as failed, and the next rotation of
-- the organisation retires their keys.
ALTER TABLE key_rotations ADD COLUMN attestation bytea;

-- +goose Down
ALTER TABLE key_rotations DROP COLUMN attestation;
