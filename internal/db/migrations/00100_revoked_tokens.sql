-- +goose Up
-- Tokens ended before their expiry (sign-out). token_id is the token's jti,
-- or the hex SHA-256 of a token that has none: the token itself is never
-- stored. A row is needed only until the token would have expired anyway,
-- so expire_time lets old rows be deleted.
CREATE TABLE revoked_tokens (
    token_id    text PRIMARY KEY,
    expire_time timestamptz NOT NULL,
    revoke_time timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX revoked_tokens_expire ON revoked_tokens (expire_time);

GRANT SELECT, INSERT, DELETE ON revoked_tokens TO casebridge_app;

-- +goose Down
DROP TABLE revoked_tokens;
