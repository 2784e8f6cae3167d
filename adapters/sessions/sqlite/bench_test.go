package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/tetherflow/tether/adapters/sessions/storetest"
)

// BenchmarkP3 compares durable commits through the store with one-row
// upserts on a connection with the same settings to the same file.
func BenchmarkP3(b *testing.B) {
	for _, sync := range []string{"full", "normal"} {
		for _, clients := range []int{1, 8} {
			b.Run(fmt.Sprintf("synchronous=%s/clients=%d", sync, clients), func(b *testing.B) {
				url := "sqlite:" + filepath.Join(b.TempDir(), "p3.db") + "?synchronous=" + sync
				s, err := Open(context.Background(), url)
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				o, err := parseURL(url)
				if err != nil {
					b.Fatal(err)
				}
				raw, err := sql.Open("sqlite", o.dsn(true))
				if err != nil {
					b.Fatal(err)
				}
				defer raw.Close()
				raw.SetMaxOpenConns(1)
				if _, err := raw.Exec(`CREATE TABLE p3_raw (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)`); err != nil {
					b.Fatal(err)
				}
				storetest.BenchP3(b, s, func(ctx context.Context, n int) error {
					_, err := raw.ExecContext(ctx, `INSERT INTO p3_raw (id, v) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET v = excluded.v`, n%64, n)
					return err
				}, clients)
			})
		}
	}
}
