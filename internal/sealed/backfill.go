package sealed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/keys"
	"github.com/casebridge/casebridge/internal/vault"
)

// legacyField is a plain column that older versions wrote free text into
// and whose value now lives in a registered "texts" column, under the same
// name.
type legacyField struct {
	column string
	array  bool // text[] rather than text
}

// legacy names, for each texts column, the plain columns it replaces.
var legacy = map[*vault.Column][]legacyField{
	vault.ReferralTexts:   {{column: "message"}, {column: "decline_reason"}},
	vault.ConsentTexts:    {{column: "method"}},
	vault.ProceedingTexts: {{column: "court"}, {column: "docket_number"}, {column: "charges", array: true}, {column: "strategic_goal"}, {column: "outcome_sentence"}},
	vault.HearingTexts:    {{column: "outcome"}, {column: "cancel_reason"}},
	vault.DeadlineTexts:   {{column: "description"}, {column: "cancel_reason"}},
	vault.ClaimTexts:      {{column: "respondent_name"}, {column: "status_reason"}},
	vault.PaymentTexts:    {{column: "payer_name"}, {column: "reason"}},
}

// backfillSQL selects a batch of rows that still hold plain text (locked,
// skipping rows another replica is sealing) with that text as the JSON the
// texts column holds, and clears them once sealed.
type backfillSQL struct{ pick, store string }

var backfillOf = func() map[*vault.Column]backfillSQL {
	m := map[*vault.Column]backfillSQL{}
	for c, fields := range legacy {
		table := pgx.Identifier{c.Table()}.Sanitize()
		value := pgx.Identifier{c.Value()}.Sanitize()
		var obj, any, clear []string
		for _, f := range fields {
			col := pgx.Identifier{f.column}.Sanitize()
			if f.array {
				obj = append(obj, fmt.Sprintf("'%s', CASE WHEN cardinality(%s) > 0 THEN to_jsonb(%s) END", f.column, col, col))
				any = append(any, fmt.Sprintf("cardinality(%s) > 0", col))
				clear = append(clear, col+" = '{}'")
			} else {
				obj = append(obj, fmt.Sprintf("'%s', NULLIF(%s, '')", f.column, col))
				any = append(any, col+" <> ''")
				clear = append(clear, col+" = ''")
			}
		}
		m[c] = backfillSQL{
			// Every row with plain text left, sealed texts or not: an older
			// replica can write a plain column of a row already sealed.
			pick: fmt.Sprintf(`SELECT id::text, case_id::text, jsonb_strip_nulls(jsonb_build_object(%s))::text, %s FROM %s
				WHERE %s ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
				strings.Join(obj, ", "), value, table, strings.Join(any, " OR ")),
			store: fmt.Sprintf(`UPDATE %s SET %s = $2, %s WHERE id = $1`, table, value, strings.Join(clear, ", ")),
		}
	}
	return m
}()

// LegacyColumns lists, for documentation and tests, the plain columns whose
// text Backfill moves into each texts column.
func LegacyColumns(c *vault.Column) []string {
	var out []string
	for _, f := range legacy[c] {
		out = append(out, f.column)
	}
	return out
}

// Backfill seals the free text that rows written before the texts columns
// existed still hold in plain columns, batch rows at a time per table, and
// clears the plain columns in the same statement. It is resumable by
// construction: it only ever picks rows that still hold plain text, so a
// run that stops anywhere is finished by the next. A row that already has
// sealed texts and plain text beside them (written by an older replica
// during a rolling upgrade) gets the two merged. The text of an erased
// case is not sealed but dropped: erasure should have destroyed it. It
// returns how many rows it sealed or cleared.
func Backfill(ctx context.Context, pool *pgxpool.Pool, km *keys.Manager, batch int) (int, error) {
	total := 0
	for _, c := range vault.Columns() {
		sql, ok := backfillOf[c]
		if !ok {
			continue
		}
		for {
			n, err := backfillBatch(ctx, pool, km, c, sql, batch)
			total += n
			if err != nil {
				return total, err
			}
			if n < batch {
				break
			}
		}
	}
	return total, nil
}

func backfillBatch(ctx context.Context, pool *pgxpool.Pool, km *keys.Manager, c *vault.Column, sql backfillSQL, batch int) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, sql.pick, batch)
		if err != nil {
			return err
		}
		type legacyRow struct {
			id, caseID, texts string
			sealed            []byte // the row's texts sealed so far, if any
		}
		found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (legacyRow, error) {
			var l legacyRow
			return l, r.Scan(&l.id, &l.caseID, &l.texts, &l.sealed)
		})
		if err != nil {
			return err
		}
		for _, l := range found {
			var ct []byte
			key, err := WriteKey(ctx, km, tx, l.caseID)
			switch {
			case errors.Is(err, ErrErased):
			case err != nil:
				return fmt.Errorf("key of case %s: %w", l.caseID, err)
			default:
				ct, err = sealMerged(c, key, l.caseID, l.id, l.sealed, []byte(l.texts))
				key.Wipe()
				if err != nil {
					return err
				}
			}
			if _, err := tx.Exec(ctx, sql.store, l.id, ct); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("seal plain text of %s: %w", c, err)
	}
	return n, nil
}

// RunBackfill runs Backfill once now and then every interval until ctx
// ends, so that text an older replica wrote during a rolling upgrade is
// sealed too.
func RunBackfill(ctx context.Context, pool *pgxpool.Pool, km *keys.Manager, log *slog.Logger, interval time.Duration) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		n, err := Backfill(ctx, pool, km, 200)
		if err != nil && ctx.Err() == nil {
			log.Warn("sealing plain text of older rows failed", "error", err)
		}
		if n > 0 {
			log.Info("sealed plain text of older rows", "rows", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// sealMerged seals the plain fields of a row (a JSON object) together with
// what the row already had sealed, if anything: a plain field replaces the
// sealed one of the same name (it was written later, by an older
// replica), the other sealed fields are kept.
func sealMerged(c *vault.Column, key *vault.CaseKey, caseID, id string, sealed, plain []byte) ([]byte, error) {
	if sealed == nil {
		return c.Seal(key, caseID, id, c.Class(), plain)
	}
	old, err := c.Open(key, caseID, id, c.Class(), sealed)
	if err != nil {
		return nil, fmt.Errorf("open %s of row %s: %w", c, id, err)
	}
	defer clear(old)
	fields := map[string]json.RawMessage{}
	if err := json.Unmarshal(old, &fields); err != nil {
		return nil, fmt.Errorf("decode %s of row %s: %w", c, id, err)
	}
	var late map[string]json.RawMessage
	if err := json.Unmarshal(plain, &late); err != nil {
		return nil, fmt.Errorf("decode plain text of row %s: %w", id, err)
	}
	maps.Copy(fields, late)
	merged, err := json.Marshal(fields)
	if err != nil {
		return nil, err
	}
	defer clear(merged)
	return c.Seal(key, caseID, id, c.Class(), merged)
}
