package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/tetherflow/tether/adapters/sessions/internal/sqlstore"
	"github.com/tetherflow/tether/host"
)

// cancelGrace is how long a connection whose context ended waits for the
// server to confirm the statement's cancellation before it is closed.
const cancelGrace = 2 * time.Second

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a host.ServerStore in a PostgreSQL database. It is safe for
// concurrent use, and any number of processes may share the database.
type Store struct {
	pool *pgxpool.Pool
	// groups writes the Saves, a group at a time.
	groups *sqlstore.Groups
}

var _ host.ServerStore = (*Store)(nil)

// Open connects to the database a postgres:// (or postgresql://) URL
// names and brings its schema up to date. The tables go in the first
// schema of the connection's search_path (a search_path parameter in the
// URL chooses one).
func Open(ctx context.Context, storeURL string) (*Store, error) {
	if !strings.HasPrefix(storeURL, "postgres://") && !strings.HasPrefix(storeURL, "postgresql://") {
		return nil, errors.New("store URL: not postgres://...")
	}
	cfg, err := pgxpool.ParseConfig(storeURL)
	if err != nil {
		// pgx's error quotes the URL, password and all.
		return nil, errors.New("store URL: not a PostgreSQL connection URL")
	}
	// A statement whose context ends is cancelled on the server too, not
	// only abandoned by the client: a Save waiting for a row lock that
	// gives up must not commit once the lock is free.
	cfg.ConnConfig.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: cancelGrace}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", where(cfg), err)
	}
	s := &Store{pool: pool}
	if err := pool.Ping(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("connect to %s: %w", where(cfg), err)
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("%s: %w", where(cfg), err)
	}
	s.groups = sqlstore.NewGroups(s.writeGroup)
	return s, nil
}

// where names the database of cfg for errors, without its password.
func where(cfg *pgxpool.Config) string {
	return fmt.Sprintf("postgres://%s@%s:%d/%s", cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)
}

func (s *Store) migrate(ctx context.Context) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	return sqlstore.Migrate(ctx, db, goose.DialectPostgres, fsys, schemaLock{})
}

// schemaLock is goose's session locker on an advisory lock named after
// the schema the tables go in: two processes opening one schema at once
// migrate it one after the other, and stores in other schemas of the
// database (tests, say) do not wait for each other. pg_advisory_lock
// waits on the server, for as long as the context allows; goose's own
// PostgreSQL locker polls every five seconds instead.
type schemaLock struct{}

const lockKey = `hashtextextended('tether migrations ' || coalesce(current_schema(), ''), 0)`

// SessionLock takes the lock on conn.
func (schemaLock) SessionLock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(`+lockKey+`)`); err != nil {
		return fmt.Errorf("lock the schema for migrations: %w", err)
	}
	return nil
}

// SessionUnlock releases the lock on conn.
func (schemaLock) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock(`+lockKey+`)`); err != nil {
		return fmt.Errorf("unlock the schema after migrations: %w", err)
	}
	return nil
}

// Close closes the store's connections, once the group being written, if
// any, is.
func (s *Store) Close() error {
	if s.groups != nil {
		s.groups.Close()
	}
	s.pool.Close()
	return nil
}
