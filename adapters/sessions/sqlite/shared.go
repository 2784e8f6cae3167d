package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/tetherflow/tether/adapters/sessions/internal/sqlstore"
	"github.com/tetherflow/tether/catalog"
)

// DeviceRecords returns the records kept for device, by name; none for a
// device that has none.
func (s *Store) DeviceRecords(ctx context.Context, device string) (map[string][]byte, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT name, data FROM device_records WHERE device = ?`, device)
	if err != nil {
		return nil, fmt.Errorf("records of device %s: %w", device, err)
	}
	defer rows.Close()
	out := map[string][]byte{}
	for rows.Next() {
		var name string
		var data []byte
		if err := rows.Scan(&name, &data); err != nil {
			return nil, fmt.Errorf("records of device %s: %w", device, err)
		}
		out[name] = sqlstore.Bytes(data)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("records of device %s: %w", device, err)
	}
	return out, nil
}

// PutDeviceRecord keeps data as device's record name, replacing any
// earlier one; it is durable once PutDeviceRecord returns nil.
func (s *Store) PutDeviceRecord(ctx context.Context, device, name string, data []byte) error {
	if _, err := s.w.ExecContext(ctx, `INSERT INTO device_records (device, name, data) VALUES (?, ?, ?)
		ON CONFLICT (device, name) DO UPDATE SET data = excluded.data`, device, name, sqlstore.Bytes(data)); err != nil {
		return fmt.Errorf("record %s of device %s: %w", name, device, err)
	}
	return nil
}

// AddDeviceRecord keeps data as device's record name unless it has one,
// and returns the record kept.
func (s *Store) AddDeviceRecord(ctx context.Context, device, name string, data []byte) ([]byte, error) {
	var kept []byte
	err := s.w.QueryRowContext(ctx, `INSERT INTO device_records (device, name, data) VALUES (?1, ?2, ?3)
		ON CONFLICT (device, name) DO UPDATE SET data = device_records.data
		RETURNING data`, device, name, sqlstore.Bytes(data)).Scan(&kept)
	if err != nil {
		return nil, fmt.Errorf("record %s of device %s: %w", name, device, err)
	}
	return sqlstore.Bytes(kept), nil
}

// DropDeviceRecord removes device's record name if it holds data, and
// reports whether it did.
func (s *Store) DropDeviceRecord(ctx context.Context, device, name string, data []byte) (bool, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM device_records WHERE device = ? AND name = ? AND data = ?`, device, name, sqlstore.Bytes(data))
	if err != nil {
		return false, fmt.Errorf("record %s of device %s: %w", name, device, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record %s of device %s: %w", name, device, err)
	}
	return n > 0, nil
}

// Archive returns the flow-version archive in the store's database, so
// that a restarted server restores sessions on the versions they started
// on from the database it keeps them in, with nothing on another disk.
func (s *Store) Archive() catalog.Archive { return archive{s} }

type archive struct{ s *Store }

var _ catalog.Archive = archive{}

// Put stores b unless its hash is stored already.
func (a archive) Put(ctx context.Context, b *catalog.Bundle) error {
	data, err := sqlstore.EncodeBundle(b)
	if err != nil {
		return err
	}
	if _, err := a.s.w.ExecContext(ctx, `INSERT INTO flow_versions (hash, bundle) VALUES (?, ?)
		ON CONFLICT (hash) DO NOTHING`, b.Hash, data); err != nil {
		return fmt.Errorf("version archive: put %s: %w", b.Hash, err)
	}
	return nil
}

// Get returns the bundle stored under hash.
func (a archive) Get(ctx context.Context, hash string) (*catalog.Bundle, error) {
	var data []byte
	err := a.s.r.QueryRowContext(ctx, `SELECT bundle FROM flow_versions WHERE hash = ?`, hash).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w in the database's archive", catalog.ErrNoVersion)
	}
	if err != nil {
		return nil, fmt.Errorf("version archive: get %s: %w", hash, err)
	}
	return sqlstore.DecodeBundle(hash, data)
}

// List returns the stored hashes, sorted.
func (a archive) List(ctx context.Context) ([]string, error) {
	rows, err := a.s.r.QueryContext(ctx, `SELECT hash FROM flow_versions ORDER BY hash`)
	if err != nil {
		return nil, fmt.Errorf("version archive: list: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, fmt.Errorf("version archive: list: %w", err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("version archive: list: %w", err)
	}
	return out, nil
}

// Delete removes the version stored under hash, if there is one.
func (a archive) Delete(ctx context.Context, hash string) error {
	if _, err := a.s.w.ExecContext(ctx, `DELETE FROM flow_versions WHERE hash = ?`, hash); err != nil {
		return fmt.Errorf("version archive: delete %s: %w", hash, err)
	}
	return nil
}
