package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/yamlfile"
)

// ruledFlow has a policy with two thresholds, a duration and a switch, and
// rules over them; %s is replaced by extra rules.
const ruledFlow = `flow: t
start: a
policy:
  captcha: 3
  lockout: 5
  cooldown: 30s
  strict: false
policy_rules:
  - check: policy.lockout >= 1 && policy.lockout <= 100
    message: lockout must be between 1 and 100
  - check: policy.captcha <= policy.lockout
    message: the CAPTCHA must come no later than the lockout
  - check: policy.cooldown > duration("0s")
    message: the cooldown must be positive
states:
  a: {final: ok}
`

func TestPolicyRulesCheckDefaults(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"defaults meet the rules", ruledFlow, nil},
		{
			"a default breaks a one-value rule",
			replace(ruledFlow, "lockout: 5", "lockout: 500"),
			[]string{"t.yaml:5:12: policy lockout of flow t is 500: lockout must be between 1 and 100"},
		},
		{
			// At the first value the rule reads, naming the others.
			"a default breaks a two-value rule",
			replace(ruledFlow, "captcha: 3", "captcha: 8"),
			[]string{"t.yaml:4:12: policy captcha of flow t is 8, with lockout 5 (t.yaml:5:12): the CAPTCHA must come no later than the lockout"},
		},
		{
			"a negative duration",
			replace(ruledFlow, "cooldown: 30s", "cooldown: -30s"),
			[]string{"t.yaml:6:13: policy cooldown of flow t is -30s: the cooldown must be positive"},
		},
		{
			"a rule that does not compile",
			replace(ruledFlow, "policy.captcha <= policy.lockout", "policy.captcha <= failures"),
			[]string{"t.yaml:11:30: unknown name failures\n | policy.captcha <= failures\n | ..................^"},
		},
		{
			"a rule that is not a condition",
			replace(ruledFlow, "policy.captcha <= policy.lockout", "policy.captcha + 1"),
			[]string{`t.yaml:11:12: policy rule: expression "policy.captcha + 1" is an int, want a bool`},
		},
		{
			"a rule on no policy value",
			replace(ruledFlow, "policy.captcha <= policy.lockout", "1 < 2"),
			[]string{"t.yaml:11:12: policy rule reads no policy value: it holds for every region or for none"},
		},
		{
			"a rule that fails to evaluate",
			replace(ruledFlow, "policy.captcha <= policy.lockout", "policy.lockout % (policy.captcha - 3) == 0"),
			[]string{"t.yaml:11:12: policy rule cannot be evaluated for flow t: expression \"policy.lockout % (policy.captcha - 3) == 0\" failed: division by zero (policy.lockout is an int, policy.captcha is an int)"},
		},
		{
			"policy_rules not a list",
			replace(ruledFlow, "policy_rules:\n", "policy_rules: {}\nx:\n"),
			[]string{
				"t.yaml:8:15: policy_rules must be a list of {check, message}, not a mapping",
				`t.yaml:9:1: unknown key "x" in flow file (want one of: flow, version, title, start, vars, sensitive, policy, policy_rules, messages, properties, migrate, states)`,
			},
		},
		{
			"a rule without its message, one with an unknown key",
			replace(ruledFlow, "    message: lockout must be between 1 and 100\n", "    because: NIST\n"),
			[]string{
				"t.yaml:9:5: policy rule needs message",
				`t.yaml:10:5: unknown key "because" in policy rule (want one of: check, message)`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := compile(t, tt.src, nil, nil)
			if got := joinLines(errorLines(err)); got != joinLines(tt.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", got, joinLines(tt.want))
			}
		})
	}
}

func TestPolicyRulesCheckOverlays(t *testing.T) {
	fl, err := compile(t, ruledFlow, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := func(line int) yamlfile.Pos { return yamlfile.Pos{File: "r.yaml", Line: line, Col: 5} }
	tests := []struct {
		name   string
		values map[string]engine.PolicyValue
		want   []string
	}{
		{"within the rules", map[string]engine.PolicyValue{"lockout": {Value: 4, Pos: at(1)}, "captcha": {Value: 2, Pos: at(2)}}, nil},
		{
			"a lockout after a million failures",
			map[string]engine.PolicyValue{"lockout": {Value: 1000000, Pos: at(1)}},
			[]string{"r.yaml:1:5: policy lockout of flow t is 1000000: lockout must be between 1 and 100"},
		},
		{
			// The overlay set only the lockout: the error is there, and
			// names the flow's default it conflicts with.
			"a lockout below the default CAPTCHA",
			map[string]engine.PolicyValue{"lockout": {Value: 2, Pos: at(1)}},
			[]string{"r.yaml:1:5: policy lockout of flow t is 2, with captcha 3 (t.yaml:4:12): the CAPTCHA must come no later than the lockout"},
		},
		{
			// Both set: at both places, each naming the other.
			"both thresholds set, the wrong way round",
			map[string]engine.PolicyValue{"lockout": {Value: 2, Pos: at(1)}, "captcha": {Value: 4, Pos: at(2)}},
			[]string{
				"r.yaml:1:5: policy lockout of flow t is 2, with captcha 4 (r.yaml:2:5): the CAPTCHA must come no later than the lockout",
				"r.yaml:2:5: policy captcha of flow t is 4, with lockout 2 (r.yaml:1:5): the CAPTCHA must come no later than the lockout",
			},
		},
		{
			"a zero cooldown",
			map[string]engine.PolicyValue{"cooldown": {Value: time.Duration(0), Pos: at(3)}},
			[]string{"r.yaml:3:5: policy cooldown of flow t is 0s: the cooldown must be positive"},
		},
		{
			// A value of the wrong kind is reported as such; the rules
			// are not evaluated over it.
			"a value of the wrong kind",
			map[string]engine.PolicyValue{"lockout": {Value: "many", Pos: at(1)}},
			[]string{`r.yaml:1:5: policy lockout of flow t is an int, not a string`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eff, err := fl.WithPolicies(map[string]map[string]engine.PolicyValue{fl.Name(): tt.values})
			if got := joinLines(errorLines(err)); got != joinLines(tt.want) {
				t.Errorf("WithPolicies() errors:\n%s\nwant:\n%s", got, joinLines(tt.want))
			}
			if (eff == nil) != (len(tt.want) > 0) {
				t.Errorf("WithPolicies() flow = %v, want one exactly when the values are accepted", eff)
			}
		})
	}
}

// replace returns src with old replaced by new, which must be there.
func replace(src, old, new string) string {
	if !strings.Contains(src, old) {
		panic("replace: no " + old)
	}
	return strings.Replace(src, old, new, 1)
}

// TestPolicyRulesOfSubflows compiles a flow and its subflow, each with
// rules over a policy of its own: each flow's rules are checked against its
// own policy, and each is held to them (the subflow under the policy its
// parent gives it).
func TestPolicyRulesOfSubflows(t *testing.T) {
	child := `flow: child
start: ask
policy: {b: 2}
policy_rules:
  - check: policy.b > 0
    message: b must be positive
states:
  ask:
    ask: {text: hi}
    on: {continue: end}
  end: {final: done, success: true}
`
	parent := `flow: t
start: go
policy: {a: 1}
policy_rules:
  - check: policy.a > 0
    message: a must be positive
states:
  go:
    run: flow:child
    on: {done: end}
  end: {final: done, success: true}
`
	if _, err := compile(t, parent, nil, flows{"child": child}); err != nil {
		t.Fatalf("a parent and a subflow with rules of their own:\n%v", err)
	}
	_, err := compile(t, replace(parent, "{a: 1}", "{a: -1}"), nil, flows{"child": child})
	if got, want := joinLines(errorLines(err)), "t.yaml:3:13: policy a of flow t is -1: a must be positive"; got != want {
		t.Errorf("parent breaking its rule:\n%s\nwant:\n%s", got, want)
	}
	_, err = compile(t, parent, nil, flows{"child": replace(child, "{b: 2}", "{b: 0}")})
	if got := joinLines(errorLines(err)); !strings.Contains(got, "policy b of flow child is 0: b must be positive") {
		t.Errorf("subflow breaking its rule: %s", got)
	}
}
