package engine

import (
	"maps"
	"sort"
	"strings"

	"github.com/tetherflow/tether/engine/value"
	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/internal/suggest"
)

// PolicyValue is an overriding policy value and where it was set.
type PolicyValue struct {
	Value any
	Pos   yamlfile.Pos
}

// WithPolicies returns a copy of the flow and of every subflow it runs, at
// any depth, each with the values byFlow holds under its name overriding
// its policy, for example by a regional overlay: an overlay's values for a
// subflow apply wherever the subflow runs. Flows byFlow does not name keep
// their policy. Every key must be one its flow declares, with a value of
// the declared kind (ints widen to floats), and the values must meet the
// flow's policy_rules. A copy shares the compiled states and has its own
// hash, so snapshots of one region's sessions do not restore under
// another's policy. Every problem is reported, as an ErrorList.
func (f *Flow) WithPolicies(byFlow map[string]map[string]PolicyValue) (*Flow, error) {
	var errs yamlfile.ErrorList
	done := map[*Flow]*Flow{}
	cp := f.withPolicies(byFlow, done, &errs)
	errs.Sort()
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return cp, nil
}

func (f *Flow) withPolicies(byFlow map[string]map[string]PolicyValue, done map[*Flow]*Flow, errs *yamlfile.ErrorList) *Flow {
	if cp, ok := done[f]; ok {
		return cp
	}
	cp := *f
	cp.policy = maps.Clone(f.policy)
	cp.psource = maps.Clone(f.psource)
	values := byFlow[f.name]
	before := len(*errs)
	for _, k := range sortedKeys(values) {
		pv := values[k]
		kind, ok := f.pkinds[k]
		if !ok {
			errs.Add(pv.Pos, "unknown policy key %s for flow %s%s", k, f.name, suggest.Hint(k, f.policyKeys()))
			continue
		}
		v, err := value.Coerce(kind, pv.Value)
		if err != nil || !strictKind(kind, pv.Value) {
			errs.Add(pv.Pos, "policy %s of flow %s is %s, not %s", k, f.name, kind.Article(), value.Describe(pv.Value))
			continue
		}
		cp.policy[k] = v
		cp.psource[k] = pv.Pos
	}
	if len(*errs) == before {
		*errs = append(*errs, cp.brokenRules(func(k string) bool { _, ok := values[k]; return ok })...)
	}
	cp.subs = make([]*Flow, len(f.subs))
	for i, sub := range f.subs {
		if sub != nil {
			cp.subs[i] = sub.withPolicies(byFlow, done, errs)
		}
	}
	cp.hash = flowHash(&cp)
	cp.info = new(lazyInfo)
	done[f] = &cp
	return &cp
}

// strictKind reports whether v, as decoded from YAML, is of kind k (or an
// int where a float is wanted), so that `captcha_after_failures: "3"` is an
// error rather than silently converted.
func strictKind(k value.Kind, v any) bool {
	got, ok := value.Of(v)
	if !ok {
		return false
	}
	return got == k || k == value.Any || (k == value.Float && got == value.Int)
}

// policyReachable returns the states that can be reached from the start
// when every branch whose if reads nothing but policy values and constants
// is decided by this flow's policy. Other guards are taken as possibly true.
func (f *Flow) policyReachable() []string {
	seen := map[*state]bool{}
	var walk func(s *state)
	walk = func(s *state) {
		if seen[s] {
			return
		}
		seen[s] = true
		for _, h := range s.handlers() {
			for _, b := range h.branches {
				holds, decided := f.policyGuard(b)
				if decided && !holds {
					continue
				}
				if b.target != nil {
					walk(b.target)
				}
				if decided && holds {
					break // later branches are never tried
				}
				if b.cond == nil {
					break
				}
			}
		}
	}
	if f.start != nil {
		walk(f.start)
	}
	var out []string
	for _, s := range f.states {
		if seen[s] {
			out = append(out, s.name)
		}
	}
	return out
}

// policyGuard evaluates b's if when it reads only policy.* and constants.
func (f *Flow) policyGuard(b *branch) (holds, decided bool) {
	if b.cond == nil {
		return true, true
	}
	if !policyOnly(b.condSrc, f) {
		return false, false
	}
	env := map[string]any{"policy": f.policy, "input": emptyMap, "result": emptyMap}
	for _, v := range f.vars {
		env[v.name] = v.kind.Zero()
	}
	var s Session
	v, err := s.eval(&frame{env: env}, b.cond)
	if err != nil {
		return false, false
	}
	ok, isBool := v.(bool)
	return ok, isBool
}

// policyOnly reports whether the expression reads no variable, input,
// result or clock: only policy.* and literals.
func policyOnly(src string, f *Flow) bool {
	names := identifiers(src)
	for _, n := range names {
		if n != "policy" && (n == "input" || n == "result" || n == "now" || f.varIdx != nil && hasVar(f, n)) {
			return false
		}
	}
	return strings.Contains(src, "policy.")
}

func hasVar(f *Flow, name string) bool {
	_, ok := f.varIdx[name]
	return ok
}

// identifiers returns the identifiers in an expression that are not
// member names (after a dot) or inside string literals.
func identifiers(src string) []string {
	var out []string
	inStr := byte(0)
	for i := 0; i < len(src); i++ {
		c := src[i]
		if inStr != 0 {
			if c == '\\' {
				i++
			} else if c == inStr {
				inStr = 0
			}
			continue
		}
		if c == '"' || c == '\'' || c == '`' {
			inStr = c
			continue
		}
		if isIdentStart(c) {
			j := i
			for j < len(src) && (isIdentStart(src[j]) || src[j] >= '0' && src[j] <= '9') {
				j++
			}
			if i == 0 || src[i-1] != '.' {
				out = append(out, src[i:j])
			}
			i = j - 1
		}
	}
	sort.Strings(out)
	return out
}

func isIdentStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
