package engine_test

import (
	"strings"
	"testing"

	"github.com/tetherflow/tether/engine/flowinfo"
)

// propFlow runs svc.check from an ask state; %s is replaced by its
// properties.
const propFlow = `flow: t
start: ask
vars: {n: 0, flag: false}
policy: {lim: 3, on: true}
properties:
%s
states:
  ask:
    ask: {text: hi, choices: [go, stop]}
    on: {go: check, stop: stopped}
  check:
    run: svc.check
    with: {email: '"a"', password: '"b"'}
    on:
      ok: done
      wrong: {set: {n: n + 1}, go: ask}
  done:
    final: done
  stopped:
    final: stopped
`

func withProps(props string) string { return strings.Replace(propFlow, "%s", props, 1) }

func TestPropertiesCompileErrors(t *testing.T) {
	tests := []struct {
		name  string
		props string
		want  []string
	}{
		{"unknown action", `  - {name: p, message: m, require: 'once(did("svc.chek"))'}`,
			[]string{`t.yaml:6:46: did: flow t runs no action svc.chek (did you mean svc.check?)`}},
		{"unknown outcome", `  - {name: p, message: m, require: 'did("svc.check", "okay")'}`,
			[]string{`t.yaml:6:54: did: action svc.check has no outcome okay (it has: ok, wrong)`}},
		{"unknown ask state", `  - {name: p, message: m, require: 'chose("check")'}`,
			[]string{`t.yaml:6:43: chose: flow t has no ask state check`}},
		{"unknown choice", `  - {name: p, message: m, require: 'chose("ask", "went")'}`,
			[]string{`t.yaml:6:50: chose: state ask offers no choice went (it offers: go, stop)`}},
		{"unknown state", `  - {name: p, message: m, require: '!at("nowhere")'}`,
			[]string{`t.yaml:6:41: at: flow t has no state nowhere`}},
		{"unknown outcome of the flow", `  - {name: p, message: m, require: '!ended("connected")'}`,
			[]string{`t.yaml:6:44: ended: flow t has no outcome connected (it has: done, stopped)`}},
		{"unknown variable", `  - {name: p, message: m, require: 'm > 0'}`,
			[]string{"t.yaml:6:37: unknown name m\n | m > 0\n | ^"}},
		{"not a bool", `  - {name: p, message: m, require: 'n + 1'}`,
			[]string{`t.yaml:6:36: require: n + 1 is an int, want a bool`}},
		{"a premise not a bool", `  - {name: p, message: m, when: '"x"', require: 'true'}`,
			[]string{`t.yaml:6:33: when: "x" is a string, want a bool`}},
		{"times used in arithmetic", `  - {name: p, message: m, require: 'times(did("svc.check")) + 1 > 2'}`,
			[]string{`t.yaml:6:37: times(...) must be compared with a whole number or an integer policy value (times(p) >= policy.KEY), so that the search knows how far to count`}},
		{"a name not in quotes", `  - {name: p, message: m, require: 'did(n)'}`,
			[]string{`t.yaml:6:41: did takes names in quotes (an action and its outcomes: did("portal.sign_in", "ok")), not expressions`}},
		{"the compiler's own names", `  - {name: p, message: m, require: '$a0'}`,
			[]string{"t.yaml:6:37: names starting with $ are reserved\n | $a0\n | ^"}},
		{"an unknown output", `  - {name: p, message: m, require: 'result.tokn == ""'}`,
			[]string{"t.yaml:6:44: unknown field tokn\n | result.tokn == \"\"\n | .......^"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := compile(t, withProps(tt.props), nil, nil)
			if got := errorLines(err); joinLines(got) != joinLines(tt.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", joinLines(got), joinLines(tt.want))
			}
		})
	}
}

func TestPropertiesLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		props string
		want  string
	}{
		{"no require", `  - {name: p, message: m}`, `t.yaml:6:5: property needs require: (what must hold) or ends: true`},
		{"no message", `  - {name: p, require: 'true'}`, `t.yaml:6:5: property needs message`},
		{"both kinds", `  - {name: p, message: m, ends: true, require: 'true'}`, `t.yaml:6:5: a property is either ends: true or when:/require:, not both`},
		{"ends false", `  - {name: p, message: m, ends: false}`, `t.yaml:6:33: ends: false states nothing: leave the key out, or say require:`},
		{"twice", "  - {name: p, message: m, ends: true}\n  - {name: p, message: m, ends: true}", `t.yaml:7:12: property p is named twice (first at t.yaml:6:12)`},
		{"unknown key", `  - {name: p, message: m, ends: true, always: x}`, `t.yaml:6:39: unknown key "always" in property (want one of: name, message, when, require, ends)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := compile(t, withProps(tt.props), nil, nil)
			if got := joinLines(errorLines(err)); got != tt.want {
				t.Errorf("errors:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// step runs p along points, returning its premise and verdict at each.
func step(t *testing.T, p *flowinfo.Property, points []flowinfo.Point) (whens, holds []bool) {
	t.Helper()
	var prev []int
	for i := range points {
		next := make([]int, len(p.Monitors))
		w, h, err := p.Eval(prev, &points[i], next)
		if err != nil {
			t.Fatalf("point %d: %v", i, err)
		}
		whens, holds = append(whens, w), append(holds, h)
		prev = next
	}
	return whens, holds
}

func TestPropertyEval(t *testing.T) {
	fl := mustCompile(t, withProps(`  - name: limit
    message: no more than policy.lim wrong answers since the last stop
    when: did("svc.check")
    require: times(did("svc.check", "wrong"), chose("ask", "stop")) < policy.lim
  - name: ok_once
    message: done only after an ok
    when: ended("done")
    require: once(did("svc.check", "ok")) && !flag
  - name: ends
    message: every session ends
    ends: true`), nil, nil)
	props := fl.Info().Properties
	if len(props) != 3 {
		t.Fatalf("got %d properties, want 3", len(props))
	}
	limit, okOnce, ends := &props[0], &props[1], &props[2]
	if !ends.Ends || ends.Eval != nil {
		t.Errorf("ends: Ends %v, Eval set %v; want true, false", ends.Ends, ends.Eval != nil)
	}
	if limit.Bound != 4 || len(limit.Monitors) != 1 || limit.Monitors[0].Op != flowinfo.MonitorTimes {
		t.Errorf("limit: Bound %d, Monitors %v; want 4 and one times()", limit.Bound, limit.Monitors)
	}
	wrong := flowinfo.Point{Kind: flowinfo.PointOutcome, Action: "svc.check", Name: "wrong", At: "ask", Vars: map[string]any{"n": 1, "flag": false}}
	stop := flowinfo.Point{Kind: flowinfo.PointChoice, State: "ask", Root: true, Name: "stop", At: "stopped", Ended: "stopped"}
	goOn := flowinfo.Point{Kind: flowinfo.PointChoice, State: "ask", Root: true, Name: "go", At: "check"}
	whens, holds := step(t, limit, []flowinfo.Point{{At: "ask"}, wrong, goOn, wrong, wrong, stop, wrong})
	wantW := []bool{false, true, false, true, true, false, true}
	wantH := []bool{true, true, true, true, false, true, true}
	for i := range whens {
		if whens[i] != wantW[i] || holds[i] != wantH[i] {
			t.Errorf("limit at point %d: when %v holds %v, want %v %v", i, whens[i], holds[i], wantW[i], wantH[i])
		}
	}
	ok := flowinfo.Point{Kind: flowinfo.PointOutcome, Action: "svc.check", Name: "ok", At: "done", Ended: "done", Vars: map[string]any{"flag": false}}
	if _, holds := step(t, okOnce, []flowinfo.Point{{At: "ask"}, goOn, ok}); !holds[2] {
		t.Errorf("ok_once after an ok: does not hold, want it to")
	}
	ok.Vars = map[string]any{"flag": true}
	if _, holds := step(t, okOnce, []flowinfo.Point{{At: "ask"}, goOn, ok}); holds[2] {
		t.Errorf("ok_once with flag set: holds, want it not to")
	}
	skipped := flowinfo.Point{Kind: flowinfo.PointChoice, State: "ask", Root: true, Name: "go", At: "done", Ended: "done", Vars: map[string]any{"flag": false}}
	if whens, holds := step(t, okOnce, []flowinfo.Point{{At: "ask"}, skipped}); !whens[1] || holds[1] {
		t.Errorf("ok_once ended without an ok: when %v holds %v, want true false", whens[1], holds[1])
	}
}
