package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/yamlfile"
)

// flowSource says where a command's flows come from: the catalog of the
// flow file's directory, with its overlays (regions/ there, or --regions).
type flowSource struct {
	regions string
	// limits are the YAML budgets of the flow files (budgetFlags).
	limits yamlfile.Limits
}

// flowRegistry returns the actions flows are checked against. Checking and
// drawing never run an action, so no ports are needed.
func flowRegistry() (*engine.Registry, error) {
	return actions.Registry(actions.Ports{})
}

// loadCatalog loads the catalog holding the flow file path. A flow file
// that does not exist is a usage error (exit 2) for every command.
func loadCatalog(env *Env, path string, src flowSource) (*catalog.Catalog, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, missingFlow(path, err)
	}
	reg, err := flowRegistry()
	if err != nil {
		return nil, fmt.Errorf("action library: %w", err)
	}
	cat, err := catalog.Load(filepath.Dir(path), catalog.Options{
		Registry: reg, Regions: env.path(src.regions), Files: []string{path}, Limits: src.limits,
	})
	if err != nil {
		return nil, &exitError{code: exitUsage, err: err}
	}
	return cat, nil
}

// missingFlow is the error for a flow file that cannot be read: exit 2.
func missingFlow(path string, err error) error {
	if perr, ok := errors.AsType[*fs.PathError](err); ok {
		err = perr.Err
	}
	return &exitError{code: exitUsage, err: fmt.Errorf("%s: %w", path, err)}
}

// compiledFlow returns the flow in the file path under country's policy
// (its defaults for ""), with the catalog it came from. Problems are
// printed, all at once, and returned as an exitError with code failCode;
// a bad country is a usage error.
func compiledFlow(env *Env, path, country string, src flowSource, failCode int) (*catalog.Compiled, *catalog.Catalog, error) {
	cat, err := loadCatalog(env, path, src)
	if err != nil {
		return nil, nil, err
	}
	if err := cat.FileErr(path); err != nil {
		printErrors(env.Stderr, listOf(path, err))
		return nil, nil, &exitError{code: failCode}
	}
	c, err := cat.CompiledFile(path, country)
	switch {
	case errors.Is(err, catalog.ErrCountry):
		return nil, nil, usagef("--country: %v", err)
	case err != nil:
		printErrors(env.Stderr, listOf(path, err))
		return nil, nil, &exitError{code: failCode}
	}
	return c, cat, nil
}

// regionHeader describes the region a compiled flow runs under and the
// files its policy comes from, for a transcript's header.
func regionHeader(c *catalog.Compiled) string {
	if c.Country == "" {
		return "default (flow defaults: " + c.Path + ")"
	}
	files := c.Region.Files()
	if len(files) == 0 {
		return fmt.Sprintf("%s for %s (flow defaults: %s)", c.Region.Name, c.Country, c.Path)
	}
	return fmt.Sprintf("%s for %s (policy: %s over %s)", c.Region.Name, c.Country, strings.Join(files, ", "), c.Path)
}

// listOf returns err's positioned errors, or err as one error at path.
func listOf(path string, err error) yamlfile.ErrorList {
	var list yamlfile.ErrorList
	if errors.As(err, &list) {
		return list
	}
	return yamlfile.ErrorList{{Pos: yamlfile.Pos{File: path}, Msg: err.Error()}}
}

// fileErrors reports what is wrong with a data file the command reads (an
// answers file, a fixture): an ErrorList one problem a line, as
// printErrors writes them, anything else as the command's error. Either
// way the command exits 2.
func fileErrors(env *Env, err error) error {
	var list yamlfile.ErrorList
	if errors.As(err, &list) {
		printErrors(env.Stderr, list)
		return &exitError{code: exitUsage}
	}
	return &exitError{code: exitUsage, err: err}
}

// printErrors writes errs sorted, one `file:line:col: message` each, with
// expr's caret snippet under the ones that have it.
func printErrors(w io.Writer, errs yamlfile.ErrorList) {
	errs.Sort()
	for _, e := range errs {
		fmt.Fprintln(w, e.Error())
	}
}

// loadFlowsDir loads the flows directory dir, for the texts of its flows;
// a directory that cannot be read is a usage error.
func loadFlowsDir(env *Env, dir string) (*catalog.Catalog, error) {
	reg, err := flowRegistry()
	if err != nil {
		return nil, fmt.Errorf("action library: %w", err)
	}
	cat, err := catalog.Load(dir, catalog.Options{Registry: reg})
	if err != nil {
		return nil, &exitError{code: exitUsage, err: err}
	}
	return cat, nil
}
