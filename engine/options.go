package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/yamlfile"
)

// DefaultActionTimeout bounds an action whose spec sets no timeout.
const DefaultActionTimeout = 30 * time.Second

// Limits are the budgets a flow is loaded, compiled and run under: the
// size of its files, the size and work of its expressions, the time its
// actions take. A zero field takes its default, so the zero value is the
// default budget. docs/limits.md lists them and the errors for going over
// them.
type Limits struct {
	// YAML bounds each flow file CompileFile reads, its subflows' included.
	YAML yamlfile.Limits

	MaxExprBytes      int // an expression's source, in bytes (DefaultMaxExprBytes)
	MaxExprDepth      int // nesting of brackets in an expression (DefaultMaxExprDepth)
	MaxInterpolations int // {{ }} parts in one text (DefaultMaxInterpolations)
	MaxExprSteps      int // work of one evaluation (DefaultMaxExprSteps)
	MaxStepExprSteps  int // work of all the evaluations of one step (DefaultMaxStepExprSteps)
	MaxExprMemory     int // allocation of one evaluation, in expr's units (DefaultMaxExprMemory)
	MaxValueBytes     int // a value an expression gives (DefaultMaxValueBytes)

	// ActionTimeout bounds one run of an action whose spec sets no
	// timeout (DefaultActionTimeout).
	ActionTimeout time.Duration
}

// exprLimits returns the expression budgets of l, defaults filled in.
func (l Limits) exprLimits() exprLimits {
	return exprLimits{
		MaxBytes: l.MaxExprBytes, MaxDepth: l.MaxExprDepth, MaxInterpolations: l.MaxInterpolations,
		MaxSteps: l.MaxExprSteps, MaxStepSteps: l.MaxStepExprSteps, MaxMemory: l.MaxExprMemory,
		MaxValueBytes: l.MaxValueBytes,
	}.withDefaults()
}

type config struct {
	resolve func(name string) (*syntax.File, error)
	yaml    yamlfile.Limits
	timeout time.Duration
	limits  exprLimits
}

func newConfig(opts []Option) config {
	cfg := config{timeout: DefaultActionTimeout, limits: exprLimits{}.withDefaults()}
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}

// Option configures Compile and CompileFile.
type Option func(*config)

// WithSubflows sets how `run: flow:NAME` finds the flow NAME. Without it,
// Compile knows no subflows, and CompileFile looks for NAME.yaml in the
// directory of the file it compiles.
func WithSubflows(resolve func(name string) (*syntax.File, error)) Option {
	return func(c *config) { c.resolve = resolve }
}

// WithLimits sets the budgets flows are loaded, compiled and run under;
// zero fields keep their defaults.
func WithLimits(l Limits) Option {
	return func(c *config) {
		c.yaml, c.limits = l.YAML, l.exprLimits()
		c.timeout = DefaultActionTimeout
		if l.ActionTimeout > 0 {
			c.timeout = l.ActionTimeout
		}
	}
}

// CompileFile loads the flow at path and compiles it, resolving subflows in
// the same directory unless WithSubflows says otherwise. The file and its
// subflows are read within the YAML budgets of WithLimits.
func CompileFile(path string, reg *Registry, opts ...Option) (*Flow, error) {
	cfg := newConfig(opts)
	f, err := syntax.ReadDocument(path, cfg.yaml).Load()
	if err != nil {
		return nil, err
	}
	if cfg.resolve == nil {
		dir, lim := filepath.Dir(path), cfg.yaml
		opts = append([]Option{WithSubflows(func(name string) (*syntax.File, error) {
			path := filepath.Join(dir, name+".yaml")
			if _, err := os.Stat(path); err != nil {
				return nil, fmt.Errorf("no flow %s (looked for %s)", name, path)
			}
			return syntax.ReadDocument(path, lim).Load()
		})}, opts...)
	}
	return Compile(f, reg, opts...)
}
