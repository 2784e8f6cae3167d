package cli

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/tetherflow/tether/engine/yamlfile"
)

// budgetFlags registers --max-file-size and --max-nodes, the YAML budgets
// the flow files of a command are read within (docs/limits.md), for a
// trusted flow larger than any a person writes, such as a generated one.
// It returns the budgets as the flags set them; zero fields keep the
// defaults.
func budgetFlags(fs *flag.FlagSet) *yamlfile.Limits {
	lim := new(yamlfile.Limits)
	fs.Var((*fileSize)(&lim.MaxBytes), "max-file-size",
		fmt.Sprintf("read flow files of up to `SIZE`: bytes, or a number with KiB, MiB or GiB (default %s)", formatSize(yamlfile.DefaultMaxBytes)))
	fs.Var((*nodeCount)(&lim.MaxNodes), "max-nodes",
		fmt.Sprintf("read flow files of up to `N` YAML nodes, every alias expanded (default %d)", yamlfile.DefaultMaxNodes))
	return lim
}

// fileSize is a size in bytes given as 4194304, 4096KiB or 4MiB.
type fileSize int

var sizeUnits = []struct {
	suffix string
	shift  uint
}{{"GiB", 30}, {"MiB", 20}, {"KiB", 10}, {"B", 0}, {"", 0}}

func (s *fileSize) Set(v string) error {
	for _, u := range sizeUnits {
		num, ok := strings.CutSuffix(v, u.suffix)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
		if err != nil || n <= 0 {
			break
		}
		if n > (1<<62)>>u.shift {
			return fmt.Errorf("%s is more than any file can be", v)
		}
		*s = fileSize(n << u.shift)
		return nil
	}
	return fmt.Errorf("want a positive size such as 4MiB, 800KiB or 1048576, not %q", v)
}

func (s *fileSize) String() string {
	if s == nil || *s == 0 {
		return ""
	}
	return formatSize(int(*s))
}

// formatSize writes n bytes in the largest unit that divides it.
func formatSize(n int) string {
	for _, u := range sizeUnits[:3] {
		if n >= 1<<u.shift && n%(1<<u.shift) == 0 {
			return strconv.Itoa(n>>u.shift) + u.suffix
		}
	}
	return strconv.Itoa(n)
}

// nodeCount is a positive number of YAML nodes.
type nodeCount int

func (c *nodeCount) Set(v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return fmt.Errorf("want a positive number of nodes, not %q", v)
	}
	*c = nodeCount(n)
	return nil
}

func (c *nodeCount) String() string {
	if c == nil || *c == 0 {
		return ""
	}
	return strconv.Itoa(int(*c))
}
