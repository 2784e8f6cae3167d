package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/engine"
)

// flowRegistry returns the actions flows are checked against. Checking and
// drawing never run an action, so no ports are needed.
func flowRegistry() (*engine.Registry, error) {
	return actions.Registry(actions.Ports{})
}

// compileFlow loads, checks and compiles the flow at path against the
// action library. Its error is an engine.ErrorList for problems in the flow.
func compileFlow(path string) (*engine.Flow, error) {
	reg, err := flowRegistry()
	if err != nil {
		return nil, fmt.Errorf("action library: %w", err)
	}
	return engine.CompileFile(path, reg)
}

// flowErrors turns what compiling path returned into positioned errors: an
// ErrorList's own, or one error at the file for anything else (a file that
// cannot be read, say).
func flowErrors(path string, err error) engine.ErrorList {
	var list engine.ErrorList
	if errors.As(err, &list) {
		return list
	}
	msg := err.Error()
	if perr, ok := errors.AsType[*fs.PathError](err); ok && perr.Path == path {
		msg = perr.Err.Error()
	}
	return engine.ErrorList{{Pos: engine.Pos{File: path}, Msg: msg}}
}

// fileErrors reports what is wrong with a data file the command reads (an
// answers file, a fixture): an ErrorList one problem a line, as
// printErrors writes them, anything else as the command's error. Either
// way the command exits 2.
func fileErrors(env *Env, err error) error {
	var list engine.ErrorList
	if errors.As(err, &list) {
		printErrors(env.Stderr, list)
		return &exitError{code: exitUsage}
	}
	return &exitError{code: exitUsage, err: err}
}

// printErrors writes errs sorted, one `file:line:col: message` each, with
// expr's caret snippet under the ones that have it.
func printErrors(w io.Writer, errs engine.ErrorList) {
	errs.Sort()
	for _, e := range errs {
		fmt.Fprintln(w, e.Error())
	}
}
