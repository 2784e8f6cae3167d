package addrlimit

import (
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// Each address has its own bucket: a burst, then a wait that says how
// long, then a token again once it has refilled.
func TestAllow(t *testing.T) {
	l := New(1, 2)
	now := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	for i := range 2 {
		if _, ok := l.Allow("10.0.0.1", now); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	wait, ok := l.Allow("10.0.0.1", now)
	if ok || wait != time.Second {
		t.Fatalf("past the burst: wait %v, allowed %v; want a refusal for 1s", wait, ok)
	}
	if _, ok := l.Allow("10.0.0.2", now); !ok {
		t.Errorf("another address was refused")
	}
	if _, ok := l.Allow("10.0.0.1", now.Add(time.Second)); !ok {
		t.Errorf("refused after the bucket refilled")
	}
}

// Past maxClients addresses the idle ones are forgotten, so that the map
// stays bounded however many addresses come.
func TestForget(t *testing.T) {
	l := New(1, 1)
	now := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	for i := range maxClients {
		l.Allow(strconv.Itoa(i), now)
	}
	l.Allow("late", now.Add(2*time.Minute))
	if n := len(l.clients); n != 1 {
		t.Errorf("after the idle ones were forgotten: %d addresses remembered, want 1", n)
	}
}

func TestClientAddr(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "192.0.2.7:51234"
	if got := ClientAddr(r); got != "192.0.2.7" {
		t.Errorf("ClientAddr = %q, want 192.0.2.7", got)
	}
	r.RemoteAddr = "pipe"
	if got := ClientAddr(r); got != "pipe" {
		t.Errorf("ClientAddr = %q, want pipe", got)
	}
}
