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

func TestClients(t *testing.T) {
	proxies, err := ParseProxies("10.0.0.0/8, 192.0.2.1,fd00::/8")
	if err != nil {
		t.Fatal(err)
	}
	behind := NewClients(proxies)
	for _, c := range []struct {
		name, peer string
		xff        []string
		direct     string // Of without trusted proxies
		proxied    string // Of behind them
	}{
		{"a client, straight", "198.51.100.7:51234", nil, "198.51.100.7", "198.51.100.7"},
		{"a client forging the header, straight", "198.51.100.7:51234", []string{"203.0.113.9"}, "198.51.100.7", "198.51.100.7"},
		{"through one proxy", "10.1.2.3:80", []string{"198.51.100.7"}, "10.1.2.3", "198.51.100.7"},
		{"through two proxies", "10.1.2.3:80", []string{"198.51.100.7, 192.0.2.1"}, "10.1.2.3", "198.51.100.7"},
		{"a forged hop left of the real one", "10.1.2.3:80", []string{"203.0.113.9, 198.51.100.7"}, "10.1.2.3", "198.51.100.7"},
		{"headers repeated", "10.1.2.3:80", []string{"203.0.113.9", "198.51.100.7"}, "10.1.2.3", "198.51.100.7"},
		{"garbage from the client", "10.1.2.3:80", []string{"<script>, 198.51.100.7"}, "10.1.2.3", "198.51.100.7"},
		{"garbage from the proxy", "10.1.2.3:80", []string{"unknown"}, "10.1.2.3", "10.1.2.3"},
		{"no header", "10.1.2.3:80", nil, "10.1.2.3", "10.1.2.3"},
		{"only proxies", "10.1.2.3:80", []string{"10.9.9.9"}, "10.1.2.3", "10.9.9.9"},
		{"IPv6 through a proxy", "[fd00::1]:80", []string{"2001:db8::5"}, "fd00::1", "2001:db8::5"},
		{"IPv4 in IPv6", "[::ffff:10.1.2.3]:80", []string{"198.51.100.7"}, "10.1.2.3", "198.51.100.7"},
		{"not an IP peer", "pipe", []string{"198.51.100.7"}, "pipe", "pipe"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.peer
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := NewClients(nil).Of(r); got != c.direct {
			t.Errorf("%s, no trusted proxy: Of = %q, want %q", c.name, got, c.direct)
		}
		if got := behind.Of(r); got != c.proxied {
			t.Errorf("%s, behind trusted proxies: Of = %q, want %q", c.name, got, c.proxied)
		}
	}
	if _, err := ParseProxies("10.0.0.0/8,nonsense"); err == nil {
		t.Errorf("ParseProxies accepted nonsense")
	}
}

// An IPv6 client is limited by its /64: a new address from the same
// network does not bring a new burst.
func TestIPv6CountsByNetwork(t *testing.T) {
	l := New(1, 1)
	now := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	if _, ok := l.Allow("2001:db8:1:2::1", now); !ok {
		t.Fatal("first request refused")
	}
	if _, ok := l.Allow("2001:db8:1:2:ffff::9", now); ok {
		t.Errorf("another address of the same /64 got a new burst")
	}
	if _, ok := l.Allow("2001:db8:1:3::1", now); !ok {
		t.Errorf("another /64 was refused")
	}
	if _, ok := l.Allow("::ffff:198.51.100.7", now); !ok {
		t.Errorf("an IPv4 address (in IPv6 form) was refused")
	}
}
