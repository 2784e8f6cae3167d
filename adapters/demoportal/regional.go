package demoportal

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"time"

	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/value"
	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/policy"
)

// Rules are the thresholds the portal holds one account to. The fixture's
// settings give them for every account; a fixture that names the flow
// whose policy the client runs (portal.policy) has them from that policy,
// as the regional overlays next to it set it for the account's country —
// so that region strict locks at 4 on the portal as in the flow.
type Rules struct {
	Region          string        // the regional policy's name; "default" without one
	CaptchaAfter    int           // failed passwords after which a CAPTCHA answer is required
	LockoutAfter    int           // failed passwords in a row that lock the account
	CodeTTL         time.Duration // how long a code is valid
	ResendCooldown  time.Duration // minimum time between two codes for a ticket
	MaxCodes        int           // codes a ticket may be sent
	ConsentRequired bool          // the regulation on data provisioning must be accepted
	Document        string        // the regulation's document
	Version         string        // and its version
}

// The policy keys the portal reads, and what of Rules each sets.
var policyRules = map[string]func(r *Rules, v any) bool{
	"captcha_after_failures": func(r *Rules, v any) bool { return set(&r.CaptchaAfter, v) },
	"lockout_after_failures": func(r *Rules, v any) bool { return set(&r.LockoutAfter, v) },
	"code_lifetime":          func(r *Rules, v any) bool { return set(&r.CodeTTL, v) },
	"resend_cooldown":        func(r *Rules, v any) bool { return set(&r.ResendCooldown, v) },
	"max_resends": func(r *Rules, v any) bool {
		n, ok := v.(int)
		r.MaxCodes = n + 1 // the first code and the resends
		return ok && n >= 0
	},
	"data_provisioning_consent": func(r *Rules, v any) bool { return set(&r.ConsentRequired, v) },
	"consent_document":          func(r *Rules, v any) bool { return set(&r.Document, v) },
	"consent_version":           func(r *Rules, v any) bool { return set(&r.Version, v) },
}

func set[T any](dst *T, v any) bool {
	t, ok := v.(T)
	if ok {
		*dst = t
	}
	return ok
}

// Regional is a flow's policy defaults with the regional overlays next to
// the flow (regions/), as far as the portal reads them.
type Regional struct {
	flow     string         // the flow's name, as overlays name it
	defaults map[string]any // the flow's policy values
	pos      map[string]yamlfile.Pos
	set      *policy.Set
}

// LoadRegional reads the policy of the flow file at path and the overlays
// in the directory regions/ next to it (none when it is missing). Every
// problem — the flow's or an overlay's syntax, a value of the wrong kind
// for the portal — is reported together.
func LoadRegional(path string) (*Regional, error) {
	f, err := syntax.LoadFile(path)
	if err != nil {
		return nil, err
	}
	r := &Regional{flow: f.Flow.Name, defaults: map[string]any{}, pos: map[string]yamlfile.Pos{}}
	for _, v := range f.Policy {
		r.defaults[v.Name], r.pos[v.Name] = v.Value, v.VPos
	}
	r.set, err = policy.Load(filepath.Join(filepath.Dir(path), "regions"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		r.set = &policy.Set{}
	case err != nil:
		return nil, err
	}
	// Check every region now rather than at the first sign-in from it.
	var errs yamlfile.ErrorList
	r.apply(&Rules{}, policy.DefaultRegion, r.defaults, r.pos, &errs)
	for _, reg := range r.set.Regions() {
		vals, pos := r.merged(reg)
		r.apply(&Rules{}, reg.Name, vals, pos, &errs)
	}
	errs.Sort()
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return r, nil
}

// merged returns the flow's values under region reg, with where each was
// set.
func (r *Regional) merged(reg *policy.Region) (map[string]any, map[string]yamlfile.Pos) {
	vals, pos := map[string]any{}, map[string]yamlfile.Pos{}
	for k, v := range r.defaults {
		vals[k], pos[k] = v, r.pos[k]
	}
	for k, v := range reg.Merged(r.flow) {
		vals[k], pos[k] = v.Value, v.Pos
	}
	return vals, pos
}

// apply sets what vals say of rules, reporting values of the wrong kind.
func (r *Regional) apply(rules *Rules, region string, vals map[string]any, pos map[string]yamlfile.Pos, errs *yamlfile.ErrorList) {
	rules.Region = region
	for _, k := range sortedKeys(vals) {
		if fn, ok := policyRules[k]; ok && !fn(rules, vals[k]) {
			errs.Add(pos[k], "policy %s (region %s) cannot be used by the portal: %s is not what the portal expects", k, region, value.Format(vals[k]))
		}
	}
}

// rules returns base overridden by the policy that applies in country.
func (r *Regional) rules(base Rules, country string) Rules {
	if r == nil {
		return base
	}
	reg := r.set.ForCountry(country)
	vals, pos := r.merged(reg)
	var errs yamlfile.ErrorList
	r.apply(&base, reg.Name, vals, pos, &errs) // checked by LoadRegional
	return base
}

func sortedKeys(m map[string]any) []string {
	return slices.Sorted(maps.Keys(m))
}

// String describes the rules for messages and the serve command's banner.
func (r Rules) String() string {
	return fmt.Sprintf("region %s: CAPTCHA after %d, lock after %d, codes %s (cooldown %s, %d per sign-in), consent %t",
		r.Region, r.CaptchaAfter, r.LockoutAfter, r.CodeTTL, r.ResendCooldown, r.MaxCodes, r.ConsentRequired)
}
