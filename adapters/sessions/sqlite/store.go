package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tetherflow/tether/adapters/sessions/internal/sqlstore"
	"github.com/tetherflow/tether/host"
)

// Load returns the session's record.
func (s *Store) Load(ctx context.Context, id string) (*host.Record, error) {
	r, err := sqlstore.ScanRecord(s.stmts.load.QueryRowContext(ctx, id).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("session %s: %w", id, host.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load session %s: %w", id, err)
	}
	return r, nil
}

// saveStmts are the statements of a Save, prepared once on the writer,
// and of Load and Recall, prepared once on the readers.
type saveStmts struct {
	create, update, entry, effect, request *sql.Stmt
	load, recall                           *sql.Stmt
}

func (p *saveStmts) prepare(ctx context.Context, w, r *sql.DB) error {
	for _, st := range []struct {
		stmt  **sql.Stmt
		db    *sql.DB
		query string
	}{
		{&p.create, w, `INSERT INTO sessions (` + sqlstore.Columns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`},
		// A used request key leaves the row unwritten too, as a version
		// that is not the one the commit follows does: a commit's first
		// statement decides whether any of it is written.
		{&p.update, w, `UPDATE sessions
			SET version = ?2, flow = ?3, region = ?4, hash = ?5, done = ?6, due = ?7, expires = ?8, updated = ?9, data = ?10,
				claimed_until = NULL
			WHERE id = ?1 AND version = ?11
				AND (?12 IS NULL OR NOT EXISTS (
					SELECT 1 FROM session_requests q WHERE q.session_id = ?1 AND q.request_key = ?12))`},
		{&p.entry, w, `INSERT INTO session_log (session_id, seq, data) VALUES (?, ?, ?)`},
		{&p.effect, w, `INSERT INTO session_effects (session_id, effect_key, kind, data) VALUES (?, ?, ?, ?)`},
		{&p.request, w, `INSERT INTO session_requests (session_id, request_key, digest, response) VALUES (?, ?, ?, ?)
			ON CONFLICT DO NOTHING`},
		{&p.load, r, `SELECT ` + sqlstore.Columns + ` FROM sessions WHERE id = ?`},
		{&p.recall, r, `SELECT ` + sqlstore.RecallColumns + `
			FROM sessions s LEFT JOIN session_requests r ON r.session_id = s.id AND r.request_key = ?2
			WHERE s.id = ?1`},
	} {
		var err error
		if *st.stmt, err = st.db.PrepareContext(ctx, st.query); err != nil {
			return fmt.Errorf("prepare %q: %w", st.query, err)
		}
	}
	return nil
}

// txStmts are the statements of a Save bound to one transaction.
type txStmts struct {
	create, update, entry, effect, request *sql.Stmt
}

func (s *Store) txStmts(tx *sql.Tx) *txStmts {
	return &txStmts{create: tx.Stmt(s.stmts.create), update: tx.Stmt(s.stmts.update), entry: tx.Stmt(s.stmts.entry),
		effect: tx.Stmt(s.stmts.effect), request: tx.Stmt(s.stmts.request)}
}

// Save writes c in one transaction when the stored version is c.Prev.
// Saves that arrive while a transaction is written are written together
// in the next one (group commit): each succeeds or fails alone, all share
// one sync of the disk. Save returns once the transaction that holds c
// has committed.
func (s *Store) Save(ctx context.Context, c *host.Commit) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("save session %s: %w", c.Record.ID, err)
	}
	if err := sqlstore.CheckCommit(c); err != nil {
		return err
	}
	args, err := sqlstore.RecordArgs(&c.Record)
	if err != nil {
		return err
	}
	return s.groups.Save(sqlstore.NewPending(ctx, c, "", args))
}

// writeGroup writes batch in one transaction and tells each Save how its
// commit went. A commit's first statement, its session's row, decides
// whether the commit is written: one that its version or a used request
// key refuses writes nothing, and the others go on, with no savepoint
// between them. Should a later statement fail (which a commit that
// passed the first cannot make happen, short of a broken disk or a
// cancelled Save), the transaction is rolled back and each commit written
// again in a transaction of its own.
func (s *Store) writeGroup(life context.Context, batch []*sqlstore.Pending) {
	// The write lock first: a Save given up while it is waited for (held
	// by another process) is not written.
	ctx, detach, cancel := sqlstore.GroupContext(life, batch)
	defer cancel()
	tx, err := s.w.BeginTx(ctx, nil)
	detach()
	batch = sqlstore.Live(batch)
	if err != nil {
		for _, p := range batch {
			p.Done <- fmt.Errorf("save session %s: %w", p.Commit.Record.ID, err)
		}
		return
	}
	defer tx.Rollback()
	st := s.txStmts(tx)
	errs := make([]error, len(batch))
	for i, p := range batch {
		written, err := s.writeOne(st, p)
		if err != nil && written {
			if len(batch) > 1 {
				tx.Rollback()
				s.writeAlone(batch)
				return
			}
			p.Done <- err
			return
		}
		errs[i] = err
	}
	err = tx.Commit()
	for i, p := range batch {
		if errs[i] == nil && err != nil {
			errs[i] = fmt.Errorf("save session %s: %w", p.Commit.Record.ID, err)
		}
		p.Done <- errs[i]
	}
}

// writeAlone writes each commit of batch in a transaction of its own,
// under its Save's context, and tells the Save how it went.
func (s *Store) writeAlone(batch []*sqlstore.Pending) {
	for _, p := range batch {
		p.Done <- s.writeTx(p)
	}
}

func (s *Store) writeTx(p *sqlstore.Pending) error {
	tx, err := s.w.BeginTx(p.Ctx, nil)
	if err != nil {
		return fmt.Errorf("save session %s: %w", p.Commit.Record.ID, err)
	}
	defer tx.Rollback()
	if _, err := s.writeOne(s.txStmts(tx), p); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save session %s: %w", p.Commit.Record.ID, err)
	}
	return nil
}

// writeOne writes one commit with st. It reports whether it wrote
// anything: a commit refused by its session's version or a used request
// key (host.ErrConflict) writes nothing; after an error once something is
// written, only rolling back the transaction undoes it.
//
// Once the writer has taken a commit and holds the write lock, its
// statements wait for nothing, and run to their end whether or not its
// Save has given up meanwhile (the Save waits for their outcome): their
// context is not cancelled with the Save's. An interrupt would roll the
// whole group's transaction back, and the driver watches a context that
// can end with a goroutine a statement.
func (s *Store) writeOne(st *txStmts, p *sqlstore.Pending) (written bool, err error) {
	ctx, c := context.WithoutCancel(p.Ctx), p.Commit
	id := c.Record.ID
	var res sql.Result
	if c.Prev == 0 {
		res, err = st.create.ExecContext(ctx, p.Args...)
	} else {
		var key any
		if c.Request != nil {
			key = c.Request.Key
		}
		res, err = st.update.ExecContext(ctx, append(p.Args, c.Prev, key)...)
	}
	if err := changed(res, err); err != nil {
		if errors.Is(err, errUnchanged) {
			return false, sqlstore.Conflict(c)
		}
		// A failed statement changed nothing, unless an interrupt rolled
		// the transaction back: the caller rolls back all the same.
		return true, fmt.Errorf("save session %s: %w", id, err)
	}
	for _, e := range c.Entries {
		if _, err := st.entry.ExecContext(ctx, id, e.Seq, sqlstore.Bytes(e.Data)); err != nil {
			return true, fmt.Errorf("save session %s: log entry %d: %w", id, e.Seq, err)
		}
	}
	for _, e := range c.Effects {
		if _, err := st.effect.ExecContext(ctx, id, e.Key, e.Kind, sqlstore.Bytes(e.Data)); err != nil {
			return true, fmt.Errorf("save session %s: effect %s: %w", id, e.Key, err)
		}
	}
	if r := c.Request; r != nil {
		res, err := st.request.ExecContext(ctx, id, r.Key, sqlstore.Bytes(r.Digest), sqlstore.Bytes(r.Response))
		if err := changed(res, err); err != nil {
			if errors.Is(err, errUnchanged) {
				// A new session's row does not look for used keys.
				return true, sqlstore.DuplicateRequest(c)
			}
			return true, fmt.Errorf("save session %s: request %s: %w", id, r.Key, err)
		}
	}
	return true, nil
}

var errUnchanged = errors.New("no row changed")

// changed returns err, or errUnchanged when res changed no row.
func changed(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return errUnchanged
	}
	return nil
}

// Log returns the session's entries after seq after.
func (s *Store) Log(ctx context.Context, id string, after int) ([]host.LogEntry, error) {
	return list(ctx, s, id, "log", func(e *host.LogEntry) []any { return []any{&e.Seq, &e.Data} },
		`SELECT seq, data FROM session_log WHERE session_id = ? AND seq > ? ORDER BY seq`, id, after)
}

// Effects returns the effects the session's commits recorded, in the
// order they were saved. It returns an error wrapping host.ErrNotFound
// for an unknown session.
func (s *Store) Effects(ctx context.Context, id string) ([]host.Effect, error) {
	return list(ctx, s, id, "effects", func(e *host.Effect) []any { return []any{&e.Key, &e.Kind, &e.Data} },
		`SELECT effect_key, kind, data FROM session_effects WHERE session_id = ? ORDER BY id`, id)
}

// list returns the rows query finds for session id, each read into a T
// through the pointers fields gives, or an error wrapping host.ErrNotFound
// when there is no such session. The two queries share one snapshot, so a
// session reaped in between is not taken for one with no rows.
func list[T any](ctx context.Context, s *Store, id, what string, fields func(*T) []any, query string, args ...any) ([]T, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("%s of session %s: %w", what, id, err)
	}
	defer tx.Rollback()
	var one int
	switch err := tx.QueryRowContext(ctx, `SELECT 1 FROM sessions WHERE id = ?`, id).Scan(&one); {
	case errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("session %s: %w", id, host.ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("%s of session %s: %w", what, id, err)
	}
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s of session %s: %w", what, id, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(fields(&v)...); err != nil {
			return nil, fmt.Errorf("%s of session %s: %w", what, id, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s of session %s: %w", what, id, err)
	}
	return out, nil
}

// Recall returns the session's record and the request remembered under
// key, in one query.
func (s *Store) Recall(ctx context.Context, id, key string) (*host.Record, *host.Request, error) {
	var (
		reqKey           sql.NullString
		digest, response []byte
	)
	r, err := sqlstore.ScanRecord(s.stmts.recall.QueryRowContext(ctx, id, key).Scan, &reqKey, &digest, &response)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("session %s: %w", id, host.ErrNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load session %s: %w", id, err)
	}
	if !reqKey.Valid {
		return r, nil, nil
	}
	return r, &host.Request{Key: reqKey.String, Digest: sqlstore.Bytes(digest), Response: sqlstore.Bytes(response)}, nil
}

// ClaimDue claims sessions whose timers are due. The claim is one UPDATE
// statement, which holds SQLite's write lock from start to end: no other
// connection, in this process or another, claims in between.
func (s *Store) ClaimDue(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]string, error) {
	at, until, err := sqlstore.ClaimArgs(ctx, now, lease, limit)
	if err != nil || limit < 1 {
		return nil, err
	}
	rows, err := s.w.QueryContext(ctx, `UPDATE sessions SET claimed_until = ?1
		WHERE id IN (
			SELECT id FROM sessions
			WHERE NOT done AND due IS NOT NULL AND due <= ?2 AND (claimed_until IS NULL OR claimed_until <= ?2)
			ORDER BY due, id LIMIT ?3)
		RETURNING id, due`, until, at, limit)
	if err != nil {
		return nil, fmt.Errorf("claim due sessions: %w", err)
	}
	defer rows.Close()
	var got []sqlstore.Claim
	for rows.Next() {
		var c sqlstore.Claim
		if err := rows.Scan(&c.ID, &c.Due); err != nil {
			return nil, fmt.Errorf("claim due sessions: %w", err)
		}
		got = append(got, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim due sessions: %w", err)
	}
	return sqlstore.ClaimedIDs(got), nil
}

// Reap deletes expired sessions; their logs, effects and requests go with
// them (ON DELETE CASCADE).
func (s *Store) Reap(ctx context.Context, now time.Time, limit int) ([]host.Reaped, error) {
	at, err := sqlstore.ReapArgs(ctx, now, limit)
	if err != nil || limit < 1 {
		return nil, err
	}
	rows, err := s.w.QueryContext(ctx, `DELETE FROM sessions WHERE id IN (
		SELECT id FROM sessions WHERE expires IS NOT NULL AND expires <= ? ORDER BY expires, id LIMIT ?)
		RETURNING id, hash, expires`, at, limit)
	if err != nil {
		return nil, fmt.Errorf("reap sessions: %w", err)
	}
	defer rows.Close()
	var got []sqlstore.Reaped
	for rows.Next() {
		var r sqlstore.Reaped
		if err := rows.Scan(&r.ID, &r.Hash, &r.Expires); err != nil {
			return nil, fmt.Errorf("reap sessions: %w", err)
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reap sessions: %w", err)
	}
	return sqlstore.ReapedInOrder(got), nil
}

// Hashes returns the hashes of the sessions not ended, sorted.
func (s *Store) Hashes(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT hash FROM sessions WHERE NOT done ORDER BY hash`)
	if err != nil {
		return nil, fmt.Errorf("session hashes: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, fmt.Errorf("session hashes: %w", err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("session hashes: %w", err)
	}
	return out, nil
}
