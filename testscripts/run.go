package testscripts

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"
)

// Failure is a script that failed: testscript's message, "file:line: what
// failed", and the script's log.
type Failure struct {
	Msg, Log string
}

// Error returns the message.
func (f *Failure) Error() string { return f.Msg }

// Run runs p's scripts with testscript outside go test, as many at once as
// there are CPUs. It returns a *Failure for the first script in file order
// that fails, any other error when the scripts could not be run, or nil.
func Run(p testscript.Params) error {
	r := &runner{sem: make(chan struct{}, runtime.GOMAXPROCS(0))}
	r.run(func(t testscript.T) { testscript.RunT(t, p) })
	if len(r.failed) > 0 {
		var fails []*Failure
		for _, t := range r.failed {
			fails = append(fails, t.failure())
		}
		// Messages start with the script's file name.
		slices.SortFunc(fails, func(a, b *Failure) int { return strings.Compare(a.Msg, b.Msg) })
		return fails[0]
	}
	if r.top.failed {
		return fmt.Errorf("running the scripts: %s", strings.TrimSpace(r.top.log.String()))
	}
	return nil
}

// runner implements testscript.T without go test: it runs each script as
// a subtest in a goroutine of its own, at most cap(sem) at once, and keeps
// what the failing ones logged.
type runner struct {
	sem    chan struct{}
	wg     sync.WaitGroup
	mu     sync.Mutex
	failed []*scriptT
	top    *scriptT
}

// run runs f with a top-level T, and waits for it and every subtest it
// starts.
func (r *runner) run(f func(testscript.T)) {
	r.top = &scriptT{r: r}
	r.wg.Add(1)
	go r.top.call(f)
	r.wg.Wait()
}

// scriptT is one testscript.T: the top level, or one script.
type scriptT struct {
	r      *runner
	name   string
	log    strings.Builder
	failed bool
}

// call runs f as t's test function: FailNow and Skip end it early, as
// testing's do, with runtime.Goexit.
func (t *scriptT) call(f func(testscript.T)) {
	defer t.r.wg.Done()
	defer func() {
		if t.failed && t != t.r.top {
			t.r.mu.Lock()
			t.r.failed = append(t.r.failed, t)
			t.r.mu.Unlock()
		}
	}()
	f(t)
}

func (t *scriptT) Run(name string, f func(testscript.T)) {
	sub := &scriptT{r: t.r, name: name}
	t.r.wg.Add(1)
	go func() {
		t.r.sem <- struct{}{}
		defer func() { <-t.r.sem }()
		sub.call(f)
	}()
}

func (t *scriptT) Skip(args ...any) {
	t.Log(args...)
	runtime.Goexit()
}

func (t *scriptT) Fatal(args ...any) {
	t.Log(args...)
	t.FailNow()
}

func (t *scriptT) FailNow() {
	t.failed = true
	runtime.Goexit()
}

func (t *scriptT) Log(args ...any) { fmt.Fprintln(&t.log, args...) }
func (t *scriptT) Parallel()       {}
func (t *scriptT) Verbose() bool   { return false }

// failure says where script t failed: testscript logs it as
// "FAIL: file:line: message".
func (t *scriptT) failure() *Failure {
	f := &Failure{Msg: "script " + t.name + " failed", Log: t.log.String()}
	for line := range strings.Lines(f.Log) {
		if msg, ok := strings.CutPrefix(line, "FAIL: "); ok {
			f.Msg = strings.TrimSpace(msg)
			break
		}
	}
	return f
}
