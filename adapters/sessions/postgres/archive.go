package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/tetherflow/tether/adapters/sessions/internal/sqlstore"
	"github.com/tetherflow/tether/catalog"
)

// Archive returns the flow-version archive in the store's database: a
// catalog.Archive that every instance sharing the database shares, so that
// a session is restored on the version it started on by whichever instance
// serves it, even one whose flow files differ (during a rolling deploy).
func (s *Store) Archive() catalog.Archive { return archive{s} }

type archive struct{ s *Store }

var _ catalog.Archive = archive{}

// Put stores b unless its hash is stored already; it is durable once the
// statement commits.
func (a archive) Put(ctx context.Context, b *catalog.Bundle) error {
	data, err := sqlstore.EncodeBundle(b)
	if err != nil {
		return err
	}
	if _, err := a.s.pool.Exec(ctx, `INSERT INTO flow_versions (hash, bundle) VALUES ($1, $2)
		ON CONFLICT (hash) DO NOTHING`, b.Hash, data); err != nil {
		return fmt.Errorf("version archive: put %s: %w", b.Hash, cause(ctx, err))
	}
	return nil
}

// Get returns the bundle stored under hash.
func (a archive) Get(ctx context.Context, hash string) (*catalog.Bundle, error) {
	var data []byte
	err := a.s.pool.QueryRow(ctx, `SELECT bundle FROM flow_versions WHERE hash = $1`, hash).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w in the database's archive", catalog.ErrNoVersion)
	}
	if err != nil {
		return nil, fmt.Errorf("version archive: get %s: %w", hash, cause(ctx, err))
	}
	return sqlstore.DecodeBundle(hash, data)
}

// List returns the stored hashes, sorted.
func (a archive) List(ctx context.Context) ([]string, error) {
	rows, err := a.s.pool.Query(ctx, `SELECT hash FROM flow_versions ORDER BY hash`)
	if err != nil {
		return nil, fmt.Errorf("version archive: list: %w", cause(ctx, err))
	}
	hashes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("version archive: list: %w", cause(ctx, err))
	}
	return hashes, nil
}

// Delete removes the version stored under hash, if there is one.
func (a archive) Delete(ctx context.Context, hash string) error {
	if _, err := a.s.pool.Exec(ctx, `DELETE FROM flow_versions WHERE hash = $1`, hash); err != nil {
		return fmt.Errorf("version archive: delete %s: %w", hash, cause(ctx, err))
	}
	return nil
}
