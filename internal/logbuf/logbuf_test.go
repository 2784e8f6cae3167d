package logbuf

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// writes records each Write made to it.
type writes struct {
	mu    sync.Mutex
	calls []string
	err   error
}

func (w *writes) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, string(p))
	if w.err != nil {
		return 0, w.err
	}
	return len(p), nil
}

func (w *writes) got() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.calls...)
}

func check(t *testing.T, w *writes, want ...string) {
	t.Helper()
	got := w.got()
	if !slices.Equal(got, want) {
		t.Errorf("writes = %q, want %q", got, want)
	}
}

// A quiet log's line goes out at once; the lines that follow it within
// the window go out together at its end, in order; a window that held
// none closes, and the next line goes out at once again.
func TestWindows(t *testing.T) {
	w := &writes{}
	b := New(w, time.Hour)
	defer b.Close()
	b.Write([]byte("a\n"))
	check(t, w, "a\n")
	b.Write([]byte("b\n"))
	b.Write([]byte("c\n"))
	check(t, w, "a\n")
	b.endWindow()
	check(t, w, "a\n", "b\nc\n")
	b.Write([]byte("d\n"))
	check(t, w, "a\n", "b\nc\n")
	b.endWindow()
	b.endWindow() // quiet: the window closes
	check(t, w, "a\n", "b\nc\n", "d\n")
	b.Write([]byte("e\n"))
	check(t, w, "a\n", "b\nc\n", "d\n", "e\n")
}

// The window's timer ends it.
func TestTimer(t *testing.T) {
	w := &writes{}
	b := New(w, time.Millisecond)
	defer b.Close()
	b.Write([]byte("a\n"))
	b.Write([]byte("b\n"))
	for i := 0; i < 500 && len(w.got()) < 2; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	check(t, w, "a\n", "b\n")
}

// Close writes what is kept; later lines go out at once.
func TestClose(t *testing.T) {
	w := &writes{}
	b := New(w, time.Hour)
	b.Write([]byte("a\n"))
	b.Write([]byte("b\n"))
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	check(t, w, "a\n", "b\n")
	b.Write([]byte("c\n"))
	b.endWindow() // a timer that fired as Close stopped it
	check(t, w, "a\n", "b\n", "c\n")
}

// A window holds at most maxBuffered bytes.
func TestFull(t *testing.T) {
	w := &writes{}
	b := New(w, time.Hour)
	defer b.Close()
	line := strings.Repeat("x", 1023) + "\n"
	b.Write([]byte(line))
	for range maxBuffered / len(line) {
		b.Write([]byte(line))
	}
	got := w.got()
	if len(got) != 2 || got[1] != strings.Repeat(line, maxBuffered/len(line)) {
		t.Errorf("after %d bytes in a window: %d writes, want 2, the second all of them", maxBuffered, len(got))
	}
}

// Lines written at once arrive whole, each writer's in its order.
func TestConcurrent(t *testing.T) {
	w := &writes{}
	b := New(w, 50*time.Microsecond)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				b.Write(fmt.Appendf(nil, "%d %d\n", g, i))
			}
		})
	}
	wg.Wait()
	b.Close()
	next := map[string]int{}
	lines := strings.Split(strings.Join(w.got(), ""), "\n")
	for _, l := range lines[:len(lines)-1] {
		var g, i int
		if _, err := fmt.Sscanf(l, "%d %d", &g, &i); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		if k := fmt.Sprint(g); i != next[k] {
			t.Fatalf("writer %d's line %d came after its %d", g, i, next[k]-1)
		}
		next[fmt.Sprint(g)]++
	}
	if len(lines)-1 != 8*200 {
		t.Errorf("%d lines, want %d", len(lines)-1, 8*200)
	}
}

// A window's write that fails is told by the next Flush; a write at once
// tells its caller.
func TestErrors(t *testing.T) {
	broken := errors.New("broken pipe")
	w := &writes{err: broken}
	b := New(w, time.Hour)
	defer b.Close()
	if _, err := b.Write([]byte("a\n")); err != broken {
		t.Errorf("Write when quiet: %v, want %v", err, broken)
	}
	if _, err := b.Write([]byte("b\n")); err != nil {
		t.Errorf("Write in a window: %v, want nil", err)
	}
	b.endWindow()
	if err := b.Flush(); err != broken {
		t.Errorf("Flush after a window's write failed: %v, want %v", err, broken)
	}
	if err := b.Flush(); err != nil {
		t.Errorf("Flush again: %v, want nil", err)
	}
}
