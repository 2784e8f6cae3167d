package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// MigrationsTable is the table goose keeps the applied migrations in.
const MigrationsTable = "tether_migrations"

// Migrate applies the migrations in fsys that db has not had yet; on a
// database that is up to date it changes nothing. Each migration is one
// transaction.
//
// locker keeps two processes from migrating one database at once. Without
// one (SQLite has no advisory locks), the process that comes second fails
// on a table the first created, its transaction rolled back; Migrate then
// tries again, and finds nothing left to do. Migrations must therefore
// fail when applied twice: CREATE TABLE, not CREATE TABLE IF NOT EXISTS.
func Migrate(ctx context.Context, db *sql.DB, dialect goose.Dialect, fsys fs.FS, locker lock.SessionLocker) error {
	opts := []goose.ProviderOption{
		goose.WithTableName(MigrationsTable),
		goose.WithDisableGlobalRegistry(true),
	}
	tries := 3
	if locker != nil {
		opts = append(opts, goose.WithSessionLocker(locker))
		tries = 1
	}
	var err error
	for range tries {
		var p *goose.Provider
		p, err = goose.NewProvider(dialect, db, fsys, opts...)
		if err != nil {
			return fmt.Errorf("migrations: %w", err)
		}
		if _, err = p.Up(ctx); err == nil || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("migrate the schema: %w", err)
	}
	return nil
}
