package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tetherflow/tether/adapters/sessions/internal/sqlstore"
)

// DeviceRecords returns the records kept for device, by name; none for a
// device that has none.
func (s *Store) DeviceRecords(ctx context.Context, device string) (map[string][]byte, error) {
	rows, err := s.pool.Query(ctx, `SELECT name, data FROM device_records WHERE device = $1`, device)
	if err != nil {
		return nil, fmt.Errorf("records of device %s: %w", device, cause(ctx, err))
	}
	out := map[string][]byte{}
	var name string
	var data []byte
	if _, err := pgx.ForEachRow(rows, []any{&name, &data}, func() error {
		out[name] = sqlstore.Bytes(data)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("records of device %s: %w", device, cause(ctx, err))
	}
	return out, nil
}

// PutDeviceRecord keeps data as device's record name, replacing any
// earlier one; it is durable once PutDeviceRecord returns nil.
func (s *Store) PutDeviceRecord(ctx context.Context, device, name string, data []byte) error {
	if _, err := s.pool.Exec(ctx, `INSERT INTO device_records (device, name, data) VALUES ($1, $2, $3)
		ON CONFLICT (device, name) DO UPDATE SET data = excluded.data`, device, name, sqlstore.Bytes(data)); err != nil {
		return fmt.Errorf("record %s of device %s: %w", name, device, cause(ctx, err))
	}
	return nil
}

// AddDeviceRecord keeps data as device's record name unless it has one,
// and returns the record kept. The upsert that changes nothing returns the
// row that was there, locked: two instances at once get the same record.
func (s *Store) AddDeviceRecord(ctx context.Context, device, name string, data []byte) ([]byte, error) {
	var kept []byte
	err := s.pool.QueryRow(ctx, `INSERT INTO device_records AS d (device, name, data) VALUES ($1, $2, $3)
		ON CONFLICT (device, name) DO UPDATE SET data = d.data
		RETURNING data`, device, name, sqlstore.Bytes(data)).Scan(&kept)
	if err != nil {
		return nil, fmt.Errorf("record %s of device %s: %w", name, device, cause(ctx, err))
	}
	return sqlstore.Bytes(kept), nil
}

// DropDeviceRecord removes device's record name if it holds data, and
// reports whether it did.
func (s *Store) DropDeviceRecord(ctx context.Context, device, name string, data []byte) (bool, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM device_records WHERE device = $1 AND name = $2 AND data = $3`, device, name, sqlstore.Bytes(data))
	if err != nil {
		return false, fmt.Errorf("record %s of device %s: %w", name, device, cause(ctx, err))
	}
	return tag.RowsAffected() > 0, nil
}

// Take takes a token from the rate-limit bucket at now, every instance on
// the database counting against the same bucket. A bucket holds burst
// tokens and gains one every interval (the generic cell rate algorithm:
// one row per bucket, its theoretical arrival time). It returns 0 when a
// token was taken, else how long until one is there. One statement: the
// row is updated only when a token is there, and the time it holds is
// read in the same snapshot.
func (s *Store) Take(ctx context.Context, bucket string, now time.Time, interval time.Duration, burst int) (time.Duration, error) {
	at, err := sqlstore.Nanos(now)
	if err != nil {
		return 0, fmt.Errorf("rate limit %s: %w", bucket, err)
	}
	var taken bool
	var tat *int64
	err = s.pool.QueryRow(ctx, `WITH t AS (
			INSERT INTO rate_limits AS r (bucket, tat) VALUES ($1, $2::bigint + $3::bigint)
			ON CONFLICT (bucket) DO UPDATE SET tat = greatest(r.tat, $2) + $3
			WHERE greatest(r.tat, $2) + $3 - $4::bigint * $3 <= $2
			RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM t), (SELECT tat FROM rate_limits WHERE bucket = $1)`,
		bucket, *at, int64(interval), int64(burst)).Scan(&taken, &tat)
	if err != nil {
		return 0, fmt.Errorf("rate limit %s: %w", bucket, cause(ctx, err))
	}
	if taken || tat == nil {
		return 0, nil
	}
	// The next token is there when tat + interval - burst*interval <= now.
	return max(time.Duration(*tat+int64(interval)-int64(burst)*int64(interval)-*at), 1), nil
}
