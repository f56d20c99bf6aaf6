-- +goose Up
-- The privacy budget of noisy statistics. Every noisy release spends its
-- epsilon, one row here, in the same transaction that decides it may be
-- released; epsilon is kept as a fraction of whole numbers so that spending
-- adds up exactly. A period row per network is locked while a release is
-- decided, so that two concurrent queries cannot both spend the last of a
-- budget.
CREATE TABLE stats_privacy_periods (
    network_id   text NOT NULL REFERENCES organizations (id),
    period_start date NOT NULL,
    PRIMARY KEY (network_id, period_start)
);

CREATE TABLE stats_privacy_spends (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    network_id   text NOT NULL,
    period_start date NOT NULL,
    subject      text NOT NULL,
    epsilon_num  bigint NOT NULL CHECK (epsilon_num > 0),
    epsilon_den  bigint NOT NULL CHECK (epsilon_den > 0),
    method       text NOT NULL,
    create_time  timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (network_id, period_start) REFERENCES stats_privacy_periods (network_id, period_start)
);
CREATE INDEX stats_privacy_spends_period ON stats_privacy_spends (network_id, period_start, subject);

-- +goose Down
DROP TABLE stats_privacy_spends;
DROP TABLE stats_privacy_periods;
