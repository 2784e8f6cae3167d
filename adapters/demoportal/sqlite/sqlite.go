// Package sqlite keeps the demo portal's State in a SQLite database file
// (modernc.org/sqlite, pure Go), so that a portal restarted on the same
// file remembers what happened: accounts created, failure counters and
// locks, tickets and the codes sent for them, SMS counts, consents,
// the authorization server's grants, codes and keys, CAPTCHA challenges used and calls made under
// idempotency keys. Each Update is one transaction.
//
//	st, err := sqlite.Open(ctx, "portal.db")
//	defer st.Close()
//	portal, err := demoportal.New(fx, time.Now, rng, outbox, demoportal.WithState(st))
//
// Records are kept as the JSON of demoportal's record types; what the
// portal must not keep in clear (passwords, tokens, tickets, codes) it
// hands over hashed or sealed.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite"

	"github.com/tetherflow/tether/adapters/demoportal"
	"github.com/tetherflow/tether/internal/dbfile"
)

// schemaVersion is the version of the schema below, in the database's
// user_version; a file of another version is refused rather than misread.
const schemaVersion = 2

const schema = `
CREATE TABLE accounts (email TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE guards (email TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE tickets (hash TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE records (kind TEXT NOT NULL, key TEXT NOT NULL, expires INTEGER NOT NULL, record TEXT NOT NULL, PRIMARY KEY (kind, key));
CREATE INDEX records_expires ON records (expires);
CREATE TABLE sms (key TEXT NOT NULL, at INTEGER NOT NULL);
CREATE INDEX sms_key_at ON sms (key, at);
CREATE TABLE consents (seq INTEGER PRIMARY KEY AUTOINCREMENT, record TEXT NOT NULL);
CREATE TABLE captchas (id TEXT PRIMARY KEY, at INTEGER NOT NULL);
CREATE TABLE idempotency (key_hash TEXT PRIMARY KEY, at INTEGER NOT NULL, record TEXT NOT NULL);
CREATE INDEX idempotency_at ON idempotency (at);
`

// State is a demoportal.State in a SQLite file. It is safe for concurrent
// use, and for use by several processes: transactions take the write lock
// when they begin, and wait up to busyTimeout for it.
type State struct {
	db *sql.DB
}

var _ demoportal.State = (*State)(nil)

// busyTimeout is how long a transaction waits for another process's.
const busyTimeout = 5 * time.Second

// Open opens the state in the file at path, creating it (and its tables)
// when it does not exist.
func Open(ctx context.Context, path string) (*State, error) {
	// Made for its owner alone: SQLite would make it 0644, and its -wal
	// and -shm files take its mode.
	if err := dbfile.Private(path); err != nil {
		return nil, fmt.Errorf("open portal state %s: %w", path, err)
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open portal state %s: %w", path, err)
	}
	// The portal takes one call at a time; one connection keeps every
	// transaction on it, and lets a cancelled one leave nothing open.
	db.SetMaxOpenConns(1)
	s := &State{db: db}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open portal state %s: %w", path, err)
	}
	return s, nil
}

// migrate creates the tables of a new file and checks an old file's
// version.
func (s *State) migrate(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return err
	}
	switch v {
	case schemaVersion:
		return nil
	case 0:
		if _, err := tx.ExecContext(ctx, schema); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
			return err
		}
		return tx.Commit()
	}
	return fmt.Errorf("the file holds state of version %d, this portal reads version %d", v, schemaVersion)
}

// Close closes the database.
func (s *State) Close() error { return s.db.Close() }

// Update runs fn in one transaction, committed when fn returns nil.
func (s *State) Update(ctx context.Context, fn func(demoportal.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("portal state: %w", err)
	}
	defer tx.Rollback()
	if err := fn(&sqlTx{ctx: ctx, tx: tx}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("portal state: commit: %w", err)
	}
	return nil
}

// sqlTx is one Update's transaction. It holds the Update's context because
// demoportal.Tx's methods, called inside Update, take none: it lives no
// longer than the call that made it.
type sqlTx struct {
	ctx context.Context
	tx  *sql.Tx
}

// get reads the JSON record of table's row whose key column is key into
// v.
func (t *sqlTx) get(table, col, key string, v any) (bool, error) {
	var rec string
	err := t.tx.QueryRowContext(t.ctx, "SELECT record FROM "+table+" WHERE "+col+" = ?", key).Scan(&rec)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("portal state: read %s: %w", table, err)
	}
	if err := json.Unmarshal([]byte(rec), v); err != nil {
		return false, fmt.Errorf("portal state: read %s: %w", table, err)
	}
	return true, nil
}

// put writes v as the JSON record of table's row whose key column is key.
func (t *sqlTx) put(table, col, key string, v any) error {
	rec, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("portal state: write %s: %w", table, err)
	}
	_, err = t.tx.ExecContext(t.ctx, "INSERT INTO "+table+" ("+col+", record) VALUES (?, ?) ON CONFLICT ("+col+") DO UPDATE SET record = excluded.record", key, string(rec))
	if err != nil {
		return fmt.Errorf("portal state: write %s: %w", table, err)
	}
	return nil
}

func (t *sqlTx) Account(email string) (a demoportal.AccountRecord, ok bool, err error) {
	ok, err = t.get("accounts", "email", email, &a)
	return a, ok, err
}

func (t *sqlTx) PutAccount(a demoportal.AccountRecord) error {
	return t.put("accounts", "email", a.Email, a)
}

func (t *sqlTx) Guard(email string) (g demoportal.Guard, ok bool, err error) {
	ok, err = t.get("guards", "email", email, &g)
	return g, ok, err
}

func (t *sqlTx) PutGuard(email string, g demoportal.Guard) error {
	return t.put("guards", "email", email, g)
}

func (t *sqlTx) Ticket(hash string) (r demoportal.TicketRecord, ok bool, err error) {
	ok, err = t.get("tickets", "hash", hash, &r)
	return r, ok, err
}

func (t *sqlTx) PutTicket(r demoportal.TicketRecord) error {
	return t.put("tickets", "hash", r.Hash, r)
}

func (t *sqlTx) Record(kind, key string, now time.Time, v any) (bool, error) {
	var rec string
	err := t.tx.QueryRowContext(t.ctx, "SELECT record FROM records WHERE kind = ? AND key = ? AND expires > ?", kind, key, now.UnixNano()).Scan(&rec)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("portal state: read %s: %w", kind, err)
	}
	if err := json.Unmarshal([]byte(rec), v); err != nil {
		return false, fmt.Errorf("portal state: read %s: %w", kind, err)
	}
	return true, nil
}

func (t *sqlTx) PutRecord(kind, key string, v any, expires time.Time) error {
	rec, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("portal state: write %s: %w", kind, err)
	}
	_, err = t.tx.ExecContext(t.ctx, "INSERT INTO records (kind, key, expires, record) VALUES (?, ?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET expires = excluded.expires, record = excluded.record", kind, key, expires.UnixNano(), string(rec))
	if err != nil {
		return fmt.Errorf("portal state: write %s: %w", kind, err)
	}
	return nil
}

func (t *sqlTx) ForgetRecords(before time.Time) error {
	if _, err := t.tx.ExecContext(t.ctx, "DELETE FROM records WHERE expires < ?", before.UnixNano()); err != nil {
		return fmt.Errorf("portal state: forget records: %w", err)
	}
	return nil
}

func (t *sqlTx) SMSSent(key string, since time.Time) ([]time.Time, error) {
	rows, err := t.tx.QueryContext(t.ctx, "SELECT at FROM sms WHERE key = ? AND at >= ? ORDER BY at", key, since.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("portal state: read sms: %w", err)
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var at int64
		if err := rows.Scan(&at); err != nil {
			return nil, fmt.Errorf("portal state: read sms: %w", err)
		}
		out = append(out, time.Unix(0, at).UTC())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("portal state: read sms: %w", err)
	}
	return out, nil
}

func (t *sqlTx) AddSMS(keys []string, at time.Time) error {
	for _, k := range keys {
		if _, err := t.tx.ExecContext(t.ctx, "INSERT INTO sms (key, at) VALUES (?, ?)", k, at.UnixNano()); err != nil {
			return fmt.Errorf("portal state: write sms: %w", err)
		}
	}
	return nil
}

func (t *sqlTx) AddConsent(c demoportal.ConsentRecord) (int, error) {
	rec, err := json.Marshal(c)
	if err != nil {
		return 0, fmt.Errorf("portal state: write consents: %w", err)
	}
	res, err := t.tx.ExecContext(t.ctx, "INSERT INTO consents (record) VALUES (?)", string(rec))
	if err != nil {
		return 0, fmt.Errorf("portal state: write consents: %w", err)
	}
	n, err := res.LastInsertId()
	return int(n), err
}

func (t *sqlTx) UseCaptcha(id string, at time.Time) (bool, error) {
	res, err := t.tx.ExecContext(t.ctx, "INSERT INTO captchas (id, at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING", id, at.UnixNano())
	if err != nil {
		return false, fmt.Errorf("portal state: write captchas: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (t *sqlTx) Idempotent(keyHash string) (r demoportal.IdempotentRecord, ok bool, err error) {
	ok, err = t.get("idempotency", "key_hash", keyHash, &r)
	return r, ok, err
}

func (t *sqlTx) PutIdempotent(r demoportal.IdempotentRecord) error {
	rec, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("portal state: write idempotency: %w", err)
	}
	_, err = t.tx.ExecContext(t.ctx, "INSERT INTO idempotency (key_hash, at, record) VALUES (?, ?, ?) ON CONFLICT (key_hash) DO UPDATE SET at = excluded.at, record = excluded.record", r.KeyHash, r.At.UnixNano(), string(rec))
	if err != nil {
		return fmt.Errorf("portal state: write idempotency: %w", err)
	}
	return nil
}

func (t *sqlTx) ForgetIdempotent(before time.Time) error {
	if _, err := t.tx.ExecContext(t.ctx, "DELETE FROM idempotency WHERE at < ?", before.UnixNano()); err != nil {
		return fmt.Errorf("portal state: forget idempotency keys: %w", err)
	}
	return nil
}
