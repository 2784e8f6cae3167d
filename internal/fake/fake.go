// Package fake holds the stand-ins tests give Tether's packages for the
// outside world they take as dependencies: a clock that moves only when
// told, randomness that is the same every run, a log many goroutines
// write.
//
//	clock := fake.NewClock(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
//	h, _ := host.New(host.Config{..., Now: clock.Now, Rand: fake.Rand(1)})
//	clock.Add(30 * time.Second)
package fake

import (
	"bytes"
	"io"
	"math/rand/v2"
	"sync"
	"time"
)

// Clock is a clock that moves only when Add moves it. It is safe for
// concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock showing t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time: a func() time.Time for a Now field.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock on by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Rand returns a source of random bytes that gives the same bytes for
// the same seed.
func Rand(seed uint64) io.Reader { return &seeded{r: rand.New(rand.NewPCG(seed, 2))} }

type seeded struct {
	mu sync.Mutex
	r  *rand.Rand
}

func (s *seeded) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range p {
		p[i] = byte(s.r.Uint32())
	}
	return len(p), nil
}

// Log is a buffer many goroutines may write at once: where a server
// under test logs.
type Log struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
