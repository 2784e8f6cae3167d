// Package postgres is a session store in PostgreSQL, through
// github.com/jackc/pgx/v5: the store for several `tether serve`
// instances sharing their sessions. Saves are optimistic (a version
// column), and instances share due timers by claiming them with
// FOR UPDATE SKIP LOCKED.
//
//	s, err := postgres.Open(ctx, "postgres://tether@db.internal:5432/tether")
//	if err != nil { ... }
//	defer s.Close()
//
// The URL is pgx's: its parameters (sslmode, pool_max_conns, search_path
// to keep the tables in a schema of their own, ...) pass through. Open
// applies the schema's migrations, one instance at a time.
package postgres
