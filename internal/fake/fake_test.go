package fake

import (
	"bytes"
	"io"
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	start := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	c := NewClock(start)
	if !c.Now().Equal(start) {
		t.Fatalf("Now = %v, want %v", c.Now(), start)
	}
	c.Add(30 * time.Second)
	if want := start.Add(30 * time.Second); !c.Now().Equal(want) {
		t.Errorf("after Add(30s): %v, want %v", c.Now(), want)
	}
}

// The same seed gives the same bytes; another seed others.
func TestRand(t *testing.T) {
	read := func(seed uint64) []byte {
		b := make([]byte, 32)
		if _, err := io.ReadFull(Rand(seed), b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	if !bytes.Equal(read(1), read(1)) {
		t.Errorf("seed 1 gave different bytes twice")
	}
	if bytes.Equal(read(1), read(2)) {
		t.Errorf("seeds 1 and 2 gave the same bytes")
	}
}

func TestLog(t *testing.T) {
	var l Log
	done := make(chan bool)
	for range 4 {
		go func() { l.Write([]byte("ab")); done <- true }()
	}
	for range 4 {
		<-done
	}
	if got := l.String(); got != "abababab" {
		t.Errorf("String = %q", got)
	}
}
