package sqlstore

import (
	"math"
	"testing"
	"time"
)

func TestNanos(t *testing.T) {
	for _, tt := range []struct {
		t       time.Time
		wantNil bool
		wantErr bool
	}{
		{t: time.Time{}, wantNil: true},
		{t: time.Unix(0, math.MinInt64)},
		{t: time.Unix(0, math.MaxInt64)},
		{t: time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("X", -7*3600))},
		{t: time.Unix(0, math.MinInt64).Add(-time.Nanosecond), wantErr: true},
		{t: time.Unix(0, math.MaxInt64).Add(time.Nanosecond), wantErr: true},
		{t: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), wantErr: true},
	} {
		n, err := Nanos(tt.t)
		switch {
		case tt.wantErr:
			if err == nil {
				t.Errorf("Nanos(%v) = %v, want an error", tt.t, *n)
			}
		case err != nil:
			t.Errorf("Nanos(%v) = %v", tt.t, err)
		case (n == nil) != tt.wantNil:
			t.Errorf("Nanos(%v) = %v, want nil: %v", tt.t, n, tt.wantNil)
		case !Time(n).Equal(tt.t) || Time(n).Location() != time.UTC:
			t.Errorf("Time(Nanos(%v)) = %v, want the same instant in UTC", tt.t, Time(n))
		}
	}
}
