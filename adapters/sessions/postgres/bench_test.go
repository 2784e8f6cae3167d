package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tetherflow/tether/adapters/sessions/storetest"
)

// BenchmarkP3 compares durable commits through the store with one-row
// upserts, each its own transaction, in the same database.
func BenchmarkP3(b *testing.B) {
	for _, clients := range []int{1, 8} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			ctx := context.Background()
			url := schemaURL(b)
			s := open(b, url)
			defer s.Close()
			raw, err := pgxpool.New(ctx, url)
			if err != nil {
				b.Fatal(err)
			}
			defer raw.Close()
			if _, err := raw.Exec(ctx, `CREATE TABLE p3_raw (id bigint PRIMARY KEY, v bigint NOT NULL)`); err != nil {
				b.Fatal(err)
			}
			storetest.BenchP3(b, s, func(ctx context.Context, n int) error {
				_, err := raw.Exec(ctx, `INSERT INTO p3_raw (id, v) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET v = excluded.v`, n%64, n)
				return err
			}, clients)
		})
	}
}
