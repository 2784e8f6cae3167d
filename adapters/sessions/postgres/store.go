package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tetherflow/tether/adapters/sessions/internal/sqlstore"
	"github.com/tetherflow/tether/host"
)

// Load returns the session's record.
func (s *Store) Load(ctx context.Context, id string) (*host.Record, error) {
	r, err := sqlstore.ScanRecord(s.pool.QueryRow(ctx, `SELECT `+sqlstore.Columns+` FROM sessions WHERE id = $1`, id).Scan)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("session %s: %w", id, host.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load session %s: %w", id, cause(ctx, err))
	}
	return r, nil
}

// saveTail writes a commit's log entries, effects and request once the
// statement's first part, s, has written the session's row. Each insert
// selects from s: when s wrote nothing (a conflict) they write nothing
// either. The whole is one statement, so one transaction and one round
// trip.
const saveTail = `,
l AS (
	INSERT INTO session_log (session_id, seq, data)
	SELECT s.id, e.seq, e.data FROM s, unnest($11::bigint[], $12::bytea[]) AS e(seq, data)
),
f AS (
	INSERT INTO session_effects (session_id, effect_key, kind, data)
	SELECT s.id, e.key, e.kind, e.data
	FROM s, unnest($13::text[], $14::text[], $15::bytea[]) WITH ORDINALITY AS e(key, kind, data, n)
	ORDER BY e.n
),
r AS (
	INSERT INTO session_requests (session_id, request_key, response, digest)
	SELECT s.id, $16, $17, $18 FROM s WHERE $16::text IS NOT NULL
)
SELECT count(*) FROM s`

const (
	createSQL = `WITH s AS (
	INSERT INTO sessions (` + sqlstore.Columns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
	ON CONFLICT (id) DO NOTHING
	RETURNING id
)` + saveTail
	updateSQL = `WITH s AS (
	UPDATE sessions
	SET version = $2, flow = $3, region = $4, hash = $5, done = $6, due = $7, expires = $8, updated = $9, data = $10,
		claimed_until = NULL
	WHERE id = $1 AND version = $19
		AND ($16::text IS NULL OR NOT EXISTS (
			SELECT 1 FROM session_requests q WHERE q.session_id = $1 AND q.request_key = $16))
	RETURNING id
)` + saveTail
)

// Save writes c when the stored version is c.Prev: one statement, which
// a used request key leaves unwritten too. Saves that arrive while a
// group is written go together in the next (group commit): one round trip
// and one transaction for them all, each statement succeeding or failing
// alone; should the group fail as a whole, each is saved on its own.
func (s *Store) Save(ctx context.Context, c *host.Commit) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("save session %s: %w", c.Record.ID, err)
	}
	if err := sqlstore.CheckCommit(c); err != nil {
		return err
	}
	query, args, err := saveArgs(c)
	if err != nil {
		return err
	}
	return s.groups.Save(sqlstore.NewPending(ctx, c, query, args))
}

// saveArgs returns the statement that saves c and its arguments.
func saveArgs(c *host.Commit) (string, []any, error) {
	args, err := sqlstore.RecordArgs(&c.Record)
	if err != nil {
		return "", nil, err
	}
	seqs := make([]int64, len(c.Entries))
	entries := make([][]byte, len(c.Entries))
	for i, e := range c.Entries {
		seqs[i], entries[i] = int64(e.Seq), sqlstore.Bytes(e.Data)
	}
	keys := make([]string, len(c.Effects))
	kinds := make([]string, len(c.Effects))
	effects := make([][]byte, len(c.Effects))
	for i, e := range c.Effects {
		keys[i], kinds[i], effects[i] = e.Key, e.Kind, sqlstore.Bytes(e.Data)
	}
	var reqKey *string
	var reqResponse, reqDigest []byte
	if r := c.Request; r != nil {
		reqKey, reqResponse, reqDigest = &r.Key, sqlstore.Bytes(r.Response), sqlstore.Bytes(r.Digest)
	}
	args = append(args, seqs, entries, keys, kinds, effects, reqKey, reqResponse, reqDigest)
	if c.Prev == 0 {
		return createSQL, args, nil
	}
	return updateSQL, append(args, c.Prev), nil
}

// writeGroup sends batch's statements in one pipeline, which PostgreSQL
// runs as one transaction, and tells each Save how its commit went. When
// the group fails as a whole (nothing of it is written), each commit is
// saved on its own.
func (s *Store) writeGroup(life context.Context, batch []*sqlstore.Pending) {
	live := sqlstore.Live(batch)
	if len(live) == 1 {
		live[0].Done <- s.saveOne(live[0])
	}
	if len(live) <= 1 {
		return
	}
	b := &pgx.Batch{}
	for _, p := range live {
		b.Queue(p.Query, p.Args...)
	}
	ctx, detach, cancel := sqlstore.GroupContext(life, live)
	defer cancel()
	defer detach()
	br := s.pool.SendBatch(ctx, b)
	counts := make([]int, len(live))
	var err error
	for i := range live {
		if err = br.QueryRow().Scan(&counts[i]); err != nil {
			break
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	for i, p := range live {
		switch {
		case err != nil:
			p.Done <- s.saveOne(p)
		case counts[i] == 0:
			p.Done <- sqlstore.Conflict(p.Commit)
		default:
			p.Done <- nil
		}
	}
}

// saveOne saves p's commit in a statement of its own.
func (s *Store) saveOne(p *sqlstore.Pending) error {
	ctx, c := p.Ctx, p.Commit
	var n int
	err := s.pool.QueryRow(ctx, p.Query, p.Args...).Scan(&n)
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == "session_requests_pkey":
		return sqlstore.DuplicateRequest(c)
	case err != nil:
		return fmt.Errorf("save session %s: %w", c.Record.ID, cause(ctx, err))
	case n == 0:
		return sqlstore.Conflict(c)
	}
	return nil
}

// Log returns the session's entries after seq after.
func (s *Store) Log(ctx context.Context, id string, after int) ([]host.LogEntry, error) {
	return list(ctx, s, id, "log", func(e *host.LogEntry) []any { return []any{&e.Seq, &e.Data} },
		`SELECT l.seq, l.data FROM sessions s LEFT JOIN session_log l ON l.session_id = s.id AND l.seq > $2
		WHERE s.id = $1 ORDER BY l.seq`, id, after)
}

// Effects returns the effects the session's commits recorded, in the
// order they were saved. It returns an error wrapping host.ErrNotFound
// for an unknown session.
func (s *Store) Effects(ctx context.Context, id string) ([]host.Effect, error) {
	return list(ctx, s, id, "effects", func(e *host.Effect) []any { return []any{&e.Key, &e.Kind, &e.Data} },
		`SELECT e.effect_key, e.kind, e.data FROM sessions s LEFT JOIN session_effects e ON e.session_id = s.id
		WHERE s.id = $1 ORDER BY e.id`, id)
}

// list returns the rows query finds for session id, each read into a T
// through the pointers fields gives, or an error wrapping host.ErrNotFound
// when there is no such session. query joins the session's row to its
// rows (LEFT JOIN, its own rows last): no row at all is no session, and
// one of NULLs a session with none.
func list[T any](ctx context.Context, s *Store, id, what string, fields func(*T) []any, query string, args ...any) ([]T, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s of session %s: %w", what, id, cause(ctx, err))
	}
	defer rows.Close()
	var out []T
	found := false
	for rows.Next() {
		found = true
		if rows.RawValues()[0] == nil {
			continue
		}
		var v T
		if err := rows.Scan(fields(&v)...); err != nil {
			return nil, fmt.Errorf("%s of session %s: %w", what, id, cause(ctx, err))
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s of session %s: %w", what, id, cause(ctx, err))
	}
	if !found {
		return nil, fmt.Errorf("session %s: %w", id, host.ErrNotFound)
	}
	return out, nil
}

// Recall returns the session's record and the request remembered under
// key, in one query.
func (s *Store) Recall(ctx context.Context, id, key string) (*host.Record, *host.Request, error) {
	var (
		reqKey           *string
		digest, response []byte
	)
	r, err := sqlstore.ScanRecord(s.pool.QueryRow(ctx, `SELECT `+sqlstore.RecallColumns+`
		FROM sessions s LEFT JOIN session_requests r ON r.session_id = s.id AND r.request_key = $2
		WHERE s.id = $1`, id, key).Scan, &reqKey, &digest, &response)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, fmt.Errorf("session %s: %w", id, host.ErrNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load session %s: %w", id, cause(ctx, err))
	}
	if reqKey == nil {
		return r, nil, nil
	}
	return r, &host.Request{Key: *reqKey, Digest: sqlstore.Bytes(digest), Response: sqlstore.Bytes(response)}, nil
}

// ClaimDue claims sessions whose timers are due. Rows another
// transaction holds (a claim, a save) are skipped, not waited for; a row
// claimed by a transaction that committed after this one began is
// checked again once locked, so it is not claimed twice.
func (s *Store) ClaimDue(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]string, error) {
	at, until, err := sqlstore.ClaimArgs(ctx, now, lease, limit)
	if err != nil || limit < 1 {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `WITH due AS (
			SELECT id FROM sessions
			WHERE NOT done AND due IS NOT NULL AND due <= $2 AND (claimed_until IS NULL OR claimed_until <= $2)
			ORDER BY due, id LIMIT $3
			FOR UPDATE SKIP LOCKED)
		UPDATE sessions SET claimed_until = $1 FROM due WHERE sessions.id = due.id
		RETURNING sessions.id, sessions.due`, until, at, limit)
	if err != nil {
		return nil, fmt.Errorf("claim due sessions: %w", cause(ctx, err))
	}
	claims, err := pgx.CollectRows(rows, pgx.RowToStructByPos[sqlstore.Claim])
	if err != nil {
		return nil, fmt.Errorf("claim due sessions: %w", cause(ctx, err))
	}
	return sqlstore.ClaimedIDs(claims), nil
}

// Reap deletes expired sessions; their logs, effects and requests go with
// them (ON DELETE CASCADE). Sessions another transaction holds are left
// for the next Reap. It also forgets the rate-limit buckets that are full
// again (Take), which a missing row stands for as well.
func (s *Store) Reap(ctx context.Context, now time.Time, limit int) ([]host.Reaped, error) {
	at, err := sqlstore.ReapArgs(ctx, now, limit)
	if err != nil || limit < 1 {
		return nil, err
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM rate_limits WHERE tat <= $1`, at); err != nil {
		return nil, fmt.Errorf("forget full rate-limit buckets: %w", cause(ctx, err))
	}
	rows, err := s.pool.Query(ctx, `DELETE FROM sessions WHERE id IN (
		SELECT id FROM sessions WHERE expires IS NOT NULL AND expires <= $1
		ORDER BY expires, id LIMIT $2
		FOR UPDATE SKIP LOCKED)
		RETURNING id, hash, expires`, at, limit)
	if err != nil {
		return nil, fmt.Errorf("reap sessions: %w", cause(ctx, err))
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[sqlstore.Reaped])
	if err != nil {
		return nil, fmt.Errorf("reap sessions: %w", cause(ctx, err))
	}
	return sqlstore.ReapedInOrder(got), nil
}

// Hashes returns the hashes of the sessions not ended, sorted.
func (s *Store) Hashes(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT hash FROM sessions WHERE NOT done ORDER BY hash`)
	if err != nil {
		return nil, fmt.Errorf("session hashes: %w", cause(ctx, err))
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("session hashes: %w", cause(ctx, err))
	}
	return out, nil
}

// cause is err, from a call made with ctx, wrapping ctx.Err() as well
// when ctx has ended: the server reports a statement cancelled for it as
// an error of its own (SQLSTATE 57014).
func cause(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		return fmt.Errorf("%w (%w)", ctxErr, err)
	}
	return err
}
