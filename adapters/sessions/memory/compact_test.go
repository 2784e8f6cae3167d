package memory

import (
	"context"
	"strings"
	"testing"
)

// A device named by 32 lowercase hex digits (devices.Key) is kept under
// its bytes: the same digits in upper case name another device, and a
// device whose last record is dropped is forgotten.
func TestDeviceKeys(t *testing.T) {
	ctx := context.Background()
	s := New()
	lower := "0123456789abcdef0123456789abcdef"
	devices := []string{lower, strings.ToUpper(lower), lower[:31], lower + "0", "laptop"}
	for _, d := range devices {
		if err := s.PutDeviceRecord(ctx, d, "rec", []byte("of "+d)); err != nil {
			t.Fatal(err)
		}
	}
	if len(s.devices) != 1 || len(s.named) != len(devices)-1 {
		t.Errorf("%d devices kept by their bytes, %d by name; want 1, %d", len(s.devices), len(s.named), len(devices)-1)
	}
	for _, d := range devices {
		if m, err := s.DeviceRecords(ctx, d); err != nil || len(m) != 1 || string(m["rec"]) != "of "+d {
			t.Errorf("DeviceRecords(%s) = %q, %v; want its own record", d, m, err)
		}
	}
	for _, d := range devices {
		if ok, err := s.DropDeviceRecord(ctx, d, "rec", []byte("of "+d)); err != nil || !ok {
			t.Errorf("DropDeviceRecord(%s) = %v, %v; want dropped", d, ok, err)
		}
	}
	if len(s.devices)+len(s.named) != 0 {
		t.Errorf("%d devices kept after their last records were dropped, want none", len(s.devices)+len(s.named))
	}
}
