// Package scriptrun runs tether's testscript archives outside go test, for
// tether cover: the subset of the testscript language the transcripts use,
// with testscript's meaning, and no package testing in the binary.
//
// It knows no flow and no tether command: what runs as a program, and what
// each script's work directory holds beyond its archive, are its caller's.
package scriptrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/tools/txtar"
)

// Config says how scripts run. Its zero value runs them with no programs
// of the caller's and no setup.
type Config struct {
	// Programs maps a program name to the executable exec runs for it,
	// ahead of the PATH.
	Programs map[string]string
	// Setup, if set, prepares a script's work directory after its archive
	// is unpacked there, and may add variables to env.
	Setup func(workDir string, env *Env) error
}

// Env is the environment a script's commands run with.
type Env struct {
	vars []string
}

// Setenv sets a variable.
func (e *Env) Setenv(key, value string) {
	prefix := key + "="
	for i, kv := range e.vars {
		if strings.HasPrefix(kv, prefix) {
			e.vars[i] = prefix + value
			return
		}
	}
	e.vars = append(e.vars, prefix+value)
}

// Getenv returns a variable's value, "" when it is not set.
func (e *Env) Getenv(key string) string {
	for _, kv := range slices.Backward(e.vars) {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v
		}
	}
	return ""
}

// Failure is a script that failed: "file:line: what failed", and what the
// script's commands printed up to there.
type Failure struct {
	Msg, Log string
}

// Error returns the message.
func (f *Failure) Error() string { return f.Msg }

// RunAll runs each archive in a work directory of its own under root, as
// many at once as there are CPUs. It returns a *Failure for the first
// archive, in the order given, that fails, another error when an archive
// could not be run at all, or nil.
func RunAll(ctx context.Context, archives []string, root string, cfg Config) error {
	errs := make([]error, len(archives))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, file := range archives {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = Run(ctx, file, filepath.Join(root, fmt.Sprintf("script-%d", i)), cfg)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Run runs one archive in workDir, which it creates. It returns a *Failure
// when a command fails, or another error when the archive could not be
// read or unpacked.
func Run(ctx context.Context, archive, workDir string, cfg Config) error {
	a, err := txtar.ParseFile(archive)
	if err != nil {
		return err
	}
	s := &state{ctx: ctx, file: archive, work: workDir, cfg: cfg}
	tmp := filepath.Join(workDir, ".tmp")
	if err := os.MkdirAll(tmp, 0o777); err != nil {
		return err
	}
	// What testscript gives every script.
	s.env.vars = []string{
		"WORK=" + workDir,
		"PATH=" + os.Getenv("PATH"),
		"GOTRACEBACK=system",
		"HOME=/no-home",
		"TMPDIR=" + tmp,
		"devnull=" + os.DevNull,
		"/=" + string(os.PathSeparator),
		":=" + string(os.PathListSeparator),
		"$=$",
		"exe=",
	}
	for _, f := range a.Files {
		name := s.abs(s.expand(f.Name))
		if err := os.MkdirAll(filepath.Dir(name), 0o777); err != nil {
			return err
		}
		// Archive names are unique, as the suite requires.
		w, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if err != nil {
			return fmt.Errorf("%s: %w", archive, err)
		}
		_, err = w.Write(f.Data)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	if cfg.Setup != nil {
		if err := cfg.Setup(workDir, &s.env); err != nil {
			return err
		}
	}
	for n, line := range strings.Split(string(a.Comment), "\n") {
		s.line = n + 1
		if err := s.runLine(line); err != nil {
			return err
		}
	}
	return nil
}

// state is one script as it runs.
type state struct {
	ctx            context.Context
	file, work     string
	cfg            Config
	env            Env
	line           int
	log            strings.Builder
	stdin          string
	stdout, stderr string
}

// errFailed is what a command returns through s.failf.
type errFailed struct{ msg string }

func (e *errFailed) Error() string { return e.msg }

// failf fails the script at the current line.
func (s *state) failf(format string, args ...any) error {
	return &errFailed{msg: fmt.Sprintf(format, args...)}
}

// runLine runs one line of the script: a comment, a blank, or a command
// that "!" says must fail.
func (s *state) runLine(line string) error {
	args, err := s.parse(line)
	if err == nil && len(args) == 0 {
		return nil
	}
	if err == nil {
		fmt.Fprintf(&s.log, "> %s\n", strings.TrimSpace(line))
		neg := args[0] == "!"
		if neg {
			args = args[1:]
		}
		switch {
		case len(args) == 0:
			err = s.failf("! on a line of its own")
		case strings.HasPrefix(args[0], "[") || args[0] == "?":
			err = s.failf("unsupported: %s (tether cover runs no conditions)", args[0])
		default:
			cmd, ok := commands[args[0]]
			if !ok {
				err = s.failf("unknown command %q", args[0])
			} else {
				err = cmd(s, neg, args[1:])
			}
		}
	}
	if f, ok := errors.AsType[*errFailed](err); ok {
		return &Failure{Msg: fmt.Sprintf("%s:%d: %s", s.file, s.line, f.msg), Log: s.log.String()}
	}
	return err
}

// parse splits a line into words as testscript does: spaces separate
// them, # starts a comment, '...' quotes (a doubled quote inside is one quote), and
// $VAR and ${VAR} outside quotes expand.
func (s *state) parse(line string) ([]string, error) {
	var (
		args   []string
		arg    string // the word so far, less line[start:i]
		start  = -1   // where the word's current chunk starts, if >= 0
		quoted bool
	)
	for i := 0; ; i++ {
		if !quoted && (i >= len(line) || line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '#') {
			if start >= 0 {
				args = append(args, arg+s.expand(line[start:i]))
				start, arg = -1, ""
			}
			if i >= len(line) || line[i] == '#' {
				return args, nil
			}
			continue
		}
		if i >= len(line) {
			return nil, s.failf("unterminated quoted argument")
		}
		if line[i] == '\'' {
			switch {
			case !quoted:
				if start >= 0 {
					arg += s.expand(line[start:i])
				}
				start, quoted = i+1, true
			case i+1 < len(line) && line[i+1] == '\'':
				// 'foo''bar' is foo'bar.
				arg += line[start:i]
				start = i + 1
				i++
			default:
				arg += line[start:i]
				start, quoted = i+1, false
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
}

// expand replaces $VAR and ${VAR} with the script's variables.
func (s *state) expand(text string) string {
	return os.Expand(text, s.env.Getenv)
}

// abs resolves a path against the work directory.
func (s *state) abs(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(s.work, path)
}

// read returns a file's text, or the last command's stdout or stderr.
func (s *state) read(name string) (string, error) {
	switch name {
	case "stdout":
		return s.stdout, nil
	case "stderr":
		return s.stderr, nil
	}
	data, err := os.ReadFile(s.abs(name))
	if err != nil {
		return "", s.failf("%v", err)
	}
	return string(data), nil
}

// exec runs a program to completion with the script's environment and
// stdin, in the work directory, and keeps its output.
func (s *state) exec(name string, args ...string) error {
	path, ok := s.cfg.Programs[name]
	if !ok {
		var err error
		if path, err = s.lookPath(name); err != nil {
			return err
		}
	}
	cmd := exec.CommandContext(s.ctx, path, args...)
	cmd.Args[0] = name
	cmd.Dir = s.work
	cmd.Env = s.env.vars
	cmd.Stdin = strings.NewReader(s.stdin)
	s.stdin = ""
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	s.stdout, s.stderr = stdout.String(), stderr.String()
	if s.stdout != "" {
		fmt.Fprintf(&s.log, "[stdout]\n%s", s.stdout)
	}
	if s.stderr != "" {
		fmt.Fprintf(&s.log, "[stderr]\n%s", s.stderr)
	}
	if err != nil {
		fmt.Fprintf(&s.log, "[%v]\n", err)
	}
	return err
}

// lookPath finds a program on the script's PATH.
func (s *state) lookPath(name string) (string, error) {
	if strings.Contains(name, string(os.PathSeparator)) {
		return s.abs(name), nil
	}
	for _, dir := range filepath.SplitList(s.env.Getenv("PATH")) {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: %w", name, exec.ErrNotFound)
}

// exitCode returns a finished program's exit status.
func exitCode(err error) (int, bool) {
	if err == nil {
		return 0, true
	}
	if exit, ok := errors.AsType[*exec.ExitError](err); ok {
		return exit.ExitCode(), true
	}
	return 0, false
}

// count strips a leading -count=N off a match's arguments.
func (s *state) count(neg bool, args []string) (int, []string, error) {
	if len(args) == 0 || !strings.HasPrefix(args[0], "-count=") {
		return 0, args, nil
	}
	if neg {
		return 0, nil, s.failf("cannot use -count= with negated match")
	}
	n, err := strconv.Atoi(strings.TrimPrefix(args[0], "-count="))
	if err != nil || n < 1 {
		return 0, nil, s.failf("bad -count=: must be a number at least 1")
	}
	return n, args[1:], nil
}

// CopyMissing copies the tree src into dst, keeping each file dst holds
// already: a script that brings its own copy of a file keeps it.
func CopyMissing(src, dst string) error {
	src, err := filepath.Abs(src)
	if err != nil {
		return err
	}
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o777)
		}
		if _, err := os.Lstat(target); err == nil {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o666)
	})
}
