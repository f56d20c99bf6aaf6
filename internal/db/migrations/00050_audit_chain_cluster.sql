-- +goose Up
-- A chain row's horizon is a transaction id, and transaction ids mean
-- nothing outside the cluster that assigned them: after a pg_dump restored
-- into another cluster (whose counter may be far lower), a horizon from the
-- old cluster would hide every new event from the chainer. Each row now
-- names the cluster its horizon belongs to (pg_control_system's
-- system_identifier); a chainer in another cluster ignores the horizon,
-- links every unlinked event once, and from then on looks only at events
-- whose seq is above seq_floor (the restored ones are all at or below it).
ALTER TABLE audit_chain
    ADD COLUMN horizon_cluster text NOT NULL DEFAULT '',
    ADD COLUMN seq_floor bigint NOT NULL DEFAULT 0;
CREATE INDEX audit_events_seq ON audit_events (seq);

-- +goose Down
DROP INDEX audit_events_seq;
ALTER TABLE audit_chain DROP COLUMN seq_floor, DROP COLUMN horizon_cluster;
