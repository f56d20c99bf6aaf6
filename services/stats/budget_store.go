package stats

import (
	"context"
	"fmt"
	"math/big"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/disclosure/noise"
)

// budgetStore keeps the privacy budget's ledger (migration 00065).
type budgetStore struct{ pool *pgxpool.Pool }

// inPeriod runs decide in one transaction holding the lock of the
// population's period (every network's releases are decided one after the
// other), with what the population, network and subject have spent in it;
// record, when decide calls it, writes the spending of eps by subject for
// method in network. The spending is committed only if decide returns nil.
func (b budgetStore) inPeriod(ctx context.Context, network string, start time.Time,
	decide func(sp spending, record func() error) error, subject string, eps noise.Epsilon, method string) error {
	return pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		// The population's row first, then the network's: always in this
		// order, so that two releases never wait on each other's lock.
		if _, err := tx.Exec(ctx, `INSERT INTO stats_privacy_population_periods (period_start) VALUES ($1)
			ON CONFLICT DO NOTHING`, start); err != nil {
			return fmt.Errorf("open budget period: %w", err)
		}
		if _, err := tx.Exec(ctx, `SELECT 1 FROM stats_privacy_population_periods WHERE period_start = $1 FOR UPDATE`,
			start); err != nil {
			return fmt.Errorf("lock budget period: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO stats_privacy_periods (network_id, period_start) VALUES ($1, $2)
			ON CONFLICT DO NOTHING`, network, start); err != nil {
			return fmt.Errorf("open budget period: %w", err)
		}
		sp, err := spent(ctx, tx, network, start, subject)
		if err != nil {
			return err
		}
		return decide(sp, func() error {
			_, err := tx.Exec(ctx, `INSERT INTO stats_privacy_spends (network_id, period_start, subject, epsilon_num, epsilon_den, method)
				VALUES ($1, $2, $3, $4, $5, $6)`, network, start, subject, eps.Num, eps.Den, method)
			if err != nil {
				return fmt.Errorf("record spending: %w", err)
			}
			return nil
		})
	})
}

// spent adds up, exactly, what all networks, network, and subject in any
// network have spent in the period starting at start.
func spent(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, network string, start time.Time, subject string) (spending, error) {
	sp := spending{population: new(big.Rat), network: new(big.Rat), coordinator: new(big.Rat)}
	rows, err := q.Query(ctx, `SELECT network_id, subject, epsilon_num, epsilon_den FROM stats_privacy_spends
		WHERE period_start = $1`, start)
	if err != nil {
		return sp, fmt.Errorf("read spending: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var net, who string
		var num, den int64
		if err := rows.Scan(&net, &who, &num, &den); err != nil {
			return sp, fmt.Errorf("read spending: %w", err)
		}
		r := big.NewRat(num, den)
		sp.population.Add(sp.population, r)
		if net == network {
			sp.network.Add(sp.network, r)
		}
		if who == subject {
			sp.coordinator.Add(sp.coordinator, r)
		}
	}
	if err := rows.Err(); err != nil {
		return sp, fmt.Errorf("read spending: %w", err)
	}
	return sp, nil
}

// show returns what the population, network and subject have spent in the
// period.
func (b budgetStore) show(ctx context.Context, network string, start time.Time, subject string) (spending, error) {
	return spent(ctx, b.pool, network, start, subject)
}
