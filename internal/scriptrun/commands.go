package scriptrun

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// commands are the commands a script may use, each as testscript means
// it, with its options as far as tether's scripts use them; exec-status
// and edit are tether's own (testscripts.Params).
var commands = map[string]func(s *state, neg bool, args []string) error{
	"chmod":       cmdChmod,
	"cmp":         cmdCmp,
	"cp":          cmdCp,
	"edit":        cmdEdit,
	"env":         cmdEnv,
	"exec":        cmdExec,
	"exec-status": cmdExecStatus,
	"exists":      cmdExists,
	"grep":        cmdGrep,
	"mkdir":       cmdMkdir,
	"rm":          cmdRm,
	"stderr":      func(s *state, neg bool, args []string) error { return s.match(neg, args, s.stderr, "stderr") },
	"stdin":       cmdStdin,
	"stdout":      func(s *state, neg bool, args []string) error { return s.match(neg, args, s.stdout, "stdout") },
	"symlink":     cmdSymlink,
}

// cmdExec runs a program: it must succeed, or fail under "!".
func cmdExec(s *state, neg bool, args []string) error {
	if len(args) == 0 || args[len(args)-1] == "&" || strings.HasPrefix(args[len(args)-1], "&") {
		return s.failf("usage: exec program [args...] (no background programs)")
	}
	err := s.exec(args[0], args[1:]...)
	if _, finished := exitCode(err); !finished {
		return s.failf("%v", err)
	}
	switch {
	case s.ctx.Err() != nil:
		return s.failf("test timed out while running command")
	case err == nil && neg:
		return s.failf("unexpected command success")
	case err != nil && !neg:
		return s.failf("unexpected command failure")
	}
	return nil
}

// cmdExecStatus runs a program and checks its exact exit status:
//
//	exec-status N program [args...]
func cmdExecStatus(s *state, neg bool, args []string) error {
	if neg {
		return s.failf("unsupported: ! exec-status (give the status expected)")
	}
	if len(args) < 2 {
		return s.failf("usage: exec-status N program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		return s.failf("exec-status: %q is not an exit status", args[0])
	}
	got, finished := exitCode(s.exec(args[1], args[2:]...))
	if !finished {
		return s.failf("exec-status: cannot run %s", args[1])
	}
	if got != want {
		return s.failf("%s exited with status %d, want %d", args[1], got, want)
	}
	return nil
}

// match checks text against a pattern, as stdout, stderr and grep do.
func (s *state) match(neg bool, args []string, text, name string) error {
	n, args, err := s.count(neg, args)
	if err != nil {
		return err
	}
	want, usage := 1, " 'pattern'"
	if name == "grep" {
		want, usage = 2, " 'pattern' file"
	}
	if len(args) != want {
		return s.failf("usage: %s [-count=N]%s", name, usage)
	}
	re, err := regexp.Compile("(?m)" + args[0])
	if err != nil {
		return s.failf("%v", err)
	}
	if name == "grep" {
		name = args[1]
		if text, err = s.read(args[1]); err != nil {
			return err
		}
	}
	switch {
	case neg && re.MatchString(text):
		return s.failf("unexpected match for %#q found in %s: %s", args[0], name, re.FindString(text))
	case neg:
		return nil
	case !re.MatchString(text):
		return s.failf("no match for %#q found in %s", args[0], name)
	case n > 0 && len(re.FindAllString(text, -1)) != n:
		return s.failf("have %d matches for %#q, want %d", len(re.FindAllString(text, -1)), args[0], n)
	}
	return nil
}

func cmdGrep(s *state, neg bool, args []string) error { return s.match(neg, args, "", "grep") }

// cmdCmp compares two files (stdout and stderr name the last output).
func cmdCmp(s *state, neg bool, args []string) error {
	if len(args) != 2 {
		return s.failf("usage: cmp file1 file2")
	}
	if args[0] == args[1] {
		return s.failf("cmp: cannot compare a file against itself")
	}
	a, err := s.read(args[0])
	if err != nil {
		return err
	}
	b, err := s.read(args[1])
	if err != nil {
		return err
	}
	switch {
	case neg && a == b:
		return s.failf("%s and %s do not differ", args[0], args[1])
	case !neg && a != b:
		s.log.WriteString(firstDifference(args[0], a, args[1], b))
		return s.failf("%s and %s differ", args[0], args[1])
	}
	return nil
}

// firstDifference says where two texts first differ, line by line.
func firstDifference(nameA, a, nameB, b string) string {
	la, lb := strings.SplitAfter(a, "\n"), strings.SplitAfter(b, "\n")
	for i := 0; ; i++ {
		if i >= len(la) || i >= len(lb) || la[i] != lb[i] {
			at := func(l []string) string {
				if i < len(l) {
					return strings.TrimSuffix(l[i], "\n")
				}
				return "(end)"
			}
			return "line " + strconv.Itoa(i+1) + ":\n--- " + nameA + ": " + at(la) + "\n+++ " + nameB + ": " + at(lb) + "\n"
		}
	}
}

// cmdEdit replaces the one occurrence of OLD in FILE with NEW (Edit):
//
//	edit FILE OLD NEW
func cmdEdit(s *state, neg bool, args []string) error {
	if neg || len(args) != 3 {
		return s.failf("usage: edit FILE OLD NEW")
	}
	if err := Edit(s.abs(args[0]), args[1], args[2]); err != nil {
		return s.failf("%v", err)
	}
	return nil
}

// Edit replaces the one occurrence of old in the file name with repl, so
// that a script can break a flow in one place (a mutant); a \n in old or
// repl stands for a newline. It fails when old is not in the file, or is
// there more than once.
func Edit(name, old, repl string) error {
	data, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	o, r := strings.ReplaceAll(old, `\n`, "\n"), strings.ReplaceAll(repl, `\n`, "\n")
	if n := strings.Count(string(data), o); n != 1 {
		return fmt.Errorf("edit: %q is in %s %d times, want once", old, filepath.Base(name), n)
	}
	return os.WriteFile(name, []byte(strings.Replace(string(data), o, r, 1)), 0o666)
}

// cmdCp copies files (stdout and stderr name the last output) to a file,
// or into a directory.
func cmdCp(s *state, neg bool, args []string) error {
	if neg || len(args) < 2 {
		return s.failf("usage: cp src... dst")
	}
	dst := s.abs(args[len(args)-1])
	fi, err := os.Stat(dst)
	isDir := err == nil && fi.IsDir()
	if len(args) > 2 && !isDir {
		return s.failf("cp: destination %s is not a directory", dst)
	}
	for _, src := range args[:len(args)-1] {
		mode := os.FileMode(0o666)
		if src != "stdout" && src != "stderr" {
			fi, err := os.Stat(s.abs(src))
			if err != nil {
				return s.failf("%v", err)
			}
			mode = fi.Mode() & 0o777
		}
		data, err := s.read(src)
		if err != nil {
			return err
		}
		target := dst
		if isDir {
			target = filepath.Join(dst, filepath.Base(src))
		}
		if err := os.WriteFile(target, []byte(data), mode); err != nil {
			return s.failf("%v", err)
		}
	}
	return nil
}

// cmdChmod sets a file's permission bits, given in octal.
func cmdChmod(s *state, neg bool, args []string) error {
	if neg || len(args) != 2 {
		return s.failf("usage: chmod perm path")
	}
	perm, err := strconv.ParseUint(args[0], 8, 32)
	if err != nil || perm&^0o777 != 0 {
		return s.failf("chmod: invalid mode %q", args[0])
	}
	if err := os.Chmod(s.abs(args[1]), os.FileMode(perm)); err != nil {
		return s.failf("%v", err)
	}
	return nil
}

// cmdEnv sets variables: env KEY=VALUE...
func cmdEnv(s *state, neg bool, args []string) error {
	if neg || len(args) == 0 {
		return s.failf("usage: env KEY=VALUE...")
	}
	for _, kv := range args {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return s.failf("env: %q is not KEY=VALUE", kv)
		}
		s.env.Setenv(k, v)
	}
	return nil
}

// cmdExists checks that files exist, or under "!" that they do not.
func cmdExists(s *state, neg bool, args []string) error {
	if len(args) == 0 {
		return s.failf("usage: exists file...")
	}
	for _, p := range args {
		_, err := os.Stat(s.abs(p))
		if err == nil && neg {
			return s.failf("%s unexpectedly exists", s.abs(p))
		}
		if err != nil && !neg {
			return s.failf("%s does not exist", s.abs(p))
		}
	}
	return nil
}

// cmdMkdir creates directories.
func cmdMkdir(s *state, neg bool, args []string) error {
	if neg || len(args) == 0 {
		return s.failf("usage: mkdir dir...")
	}
	for _, p := range args {
		if err := os.MkdirAll(s.abs(p), 0o777); err != nil {
			return s.failf("%v", err)
		}
	}
	return nil
}

// cmdRm removes files and directories.
func cmdRm(s *state, neg bool, args []string) error {
	if neg || len(args) == 0 {
		return s.failf("usage: rm file...")
	}
	for _, p := range args {
		if err := os.RemoveAll(s.abs(p)); err != nil {
			return s.failf("%v", err)
		}
	}
	return nil
}

// cmdStdin makes a file the next program's standard input.
func cmdStdin(s *state, neg bool, args []string) error {
	if neg || len(args) != 1 {
		return s.failf("usage: stdin filename")
	}
	text, err := s.read(args[0])
	s.stdin = text
	return err
}

// cmdSymlink makes a symbolic link: symlink file -> target.
func cmdSymlink(s *state, neg bool, args []string) error {
	if neg || len(args) != 3 || args[1] != "->" {
		return s.failf("usage: symlink file -> target")
	}
	// The target is as written: relative to the link's directory.
	if err := os.Symlink(args[2], s.abs(args[0])); err != nil {
		return s.failf("%v", err)
	}
	return nil
}
