// Package logbuf batches a busy log's lines into few writes: a server
// that logs every request would otherwise make a system call a request.
// It knows nothing of what the lines say.
//
// A line written while the log is quiet goes out at once and opens a
// window; the lines that follow within the window wait for its end and go
// out in one write. What a crash (SIGKILL, a fatal runtime error) can
// lose is the last window's lines.
//
//	out := logbuf.New(os.Stderr, 100*time.Millisecond)
//	defer out.Close()
//	log := slog.New(slog.NewJSONHandler(out, nil))
package logbuf

import (
	"io"
	"sync"
	"time"
)

// maxBuffered bounds the lines a window holds: past it they go out before
// the window ends.
const maxBuffered = 64 << 10

// Writer batches the lines written to it into few writes to the writer
// under it. It is safe for concurrent use; each Write should be whole
// lines, as a log handler's is.
type Writer struct {
	mu     sync.Mutex
	w      io.Writer
	window time.Duration
	timer  *time.Timer
	open   bool // a window is open: lines wait for its end
	closed bool
	buf    []byte
	err    error // the first error of a window's write, for Flush
}

// New returns a Writer onto w whose windows last window.
func New(w io.Writer, window time.Duration) *Writer {
	b := &Writer{w: w, window: window}
	b.timer = time.AfterFunc(window, b.endWindow)
	b.timer.Stop()
	return b
}

// Write writes p at once when the log is quiet or the Writer closed, else
// keeps it for the window's end. The error is the one of the write that
// took p, when there was one now.
func (b *Writer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.closed:
		return b.w.Write(p)
	case !b.open:
		b.open = true
		b.timer.Reset(b.window)
		return b.w.Write(p)
	}
	b.buf = append(b.buf, p...)
	if len(b.buf) >= maxBuffered {
		return len(p), b.flush()
	}
	return len(p), nil
}

// endWindow writes the window's lines. A window that held some opens
// another: the log is busy. One that held none closes: the next line goes
// out at once.
func (b *Writer) endWindow() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	if len(b.buf) == 0 {
		b.open = false
		return
	}
	if err := b.flush(); err != nil && b.err == nil {
		b.err = err
	}
	b.timer.Reset(b.window)
}

// Flush writes the lines kept. It returns the error of a window's write
// since the last Flush, else its own.
func (b *Writer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	err := b.flush()
	if b.err != nil {
		err, b.err = b.err, nil
	}
	return err
}

// Close writes the lines kept; later lines go out as they come. It
// returns what Flush does.
func (b *Writer) Close() error {
	b.mu.Lock()
	b.closed = true
	b.timer.Stop()
	b.mu.Unlock()
	return b.Flush()
}

// flush writes the lines kept. b.mu is held.
func (b *Writer) flush() error {
	if len(b.buf) == 0 {
		return nil
	}
	_, err := b.w.Write(b.buf)
	b.buf = b.buf[:0]
	return err
}
