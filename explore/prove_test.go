package explore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/value"
	"github.com/tetherflow/tether/explore"
)

// proveRegistry declares the actions the proof tests' flows run:
//
//	acc.sign_in() -> ok|denied; outputs needs_consent, strict (bool), name
//	acc.record() -> recorded
//	acc.list() -> one|none
func proveRegistry(t testing.TB) *engine.Registry {
	t.Helper()
	none := func(context.Context, engine.Args) (engine.Result, error) { return engine.Result{}, nil }
	reg, err := engine.NewRegistry(
		engine.Func(engine.Spec{Name: "acc.sign_in", Outcomes: []string{"ok", "denied"}, Outputs: []engine.Param{
			{Name: "needs_consent", Kind: value.Bool}, {Name: "strict", Kind: value.Bool}, {Name: "name", Kind: value.String}}}, none),
		engine.Func(engine.Spec{Name: "acc.record", Outcomes: []string{"recorded"}}, none),
		engine.Func(engine.Spec{Name: "acc.list", Outcomes: []string{"one", "none"}}, none),
	)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// consentFlow keeps its properties; the tests break it one way at a time.
const consentFlow = `flow: t
start: sign_in
vars: {tries: 0, name: ""}
policy: {consent: false, lock: 3}
properties:
  - name: consent
    message: connects only after recording consent where it is required
    when: did("acc.list") && (policy.consent || once(did("acc.sign_in", "ok") && result.needs_consent, did("acc.sign_in", "ok")))
    require: once(did("acc.record", "recorded"), did("acc.sign_in", "ok"))
  - name: lock
    message: locked after policy.lock denials
    when: times(did("acc.sign_in", "denied"), did("acc.sign_in", "ok")) >= policy.lock
    require: ended("locked")
  - name: ends
    message: every session ends
    ends: true
states:
  sign_in:
    ask: {text: Sign in, choices: [continue, help, cancel]}
    on: {continue: check, help: help, cancel: cancelled}
  help:
    ask: {text: "Help for {{ name }}", choices: [back]}
    on: {back: sign_in}
  check:
    run: acc.sign_in
    on:
      ok:
        - if: result.needs_consent || policy.consent
          set: {name: result.name}
          go: consent
        - set: {name: result.name}
          go: list
      denied:
        - if: tries + 1 >= policy.lock
          go: locked
        - set: {tries: tries + 1}
          go: sign_in
  consent:
    ask: {text: Accept, choices: [accept, decline]}
    on: {accept: record, decline: declined}
  record:
    run: acc.record
    on: {recorded: list}
  list:
    run: acc.list
    on: {one: connected, none: connected}
  connected: {final: connected}
  declined: {final: declined}
  locked: {final: locked}
  cancelled: {final: cancelled}
`

func proveSrc(t *testing.T, src string, opts explore.ProveOptions) (*engine.Flow, *explore.Proof) {
	t.Helper()
	f, err := syntax.Load("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	fl, err := engine.Compile(f, proveRegistry(t))
	if err != nil {
		t.Fatalf("compile:\n%v", err)
	}
	pr, err := explore.Prove(context.Background(), fl, opts)
	if err != nil {
		t.Fatal(err)
	}
	return fl, pr
}

func verdict(t *testing.T, pr *explore.Proof, name string) explore.Verdict {
	t.Helper()
	for _, v := range pr.Verdicts {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no verdict for %s in %+v", name, pr.Verdicts)
	return explore.Verdict{}
}

func mutate(t *testing.T, src, old, new string) string {
	t.Helper()
	if !strings.Contains(src, old) {
		t.Fatalf("mutation: %q not in the flow", old)
	}
	return strings.Replace(src, old, new, 1)
}

func TestProveHolds(t *testing.T) {
	_, pr := proveSrc(t, consentFlow, explore.ProveOptions{})
	if pr.Cut || pr.Configs == 0 {
		t.Fatalf("Cut %v, Configs %d: want a complete search", pr.Cut, pr.Configs)
	}
	for _, v := range pr.Verdicts {
		if v.Status != explore.Holds || v.Vacuous || v.Path != nil {
			t.Errorf("%s: %s (vacuous %v, path %v, %s), want it to hold", v.Name, v.Status, v.Vacuous, v.Path, v.Why)
		}
	}
}

// The counterexamples of broken flows: each names the property, and its
// path replays to the point where the property broke.
func TestProveCounterexamples(t *testing.T) {
	tests := []struct {
		name, old, new string
		property       string
		path           string // Format of the path, one step a line
		why            string
	}{
		{
			// The portal's requirement is not looked at: found only by
			// giving the output both values.
			name: "consent skipped when the portal requires it", property: "consent",
			old: "if: result.needs_consent || policy.consent", new: "if: policy.consent",
			path: "sign_in:continue\ncheck:ok{needs_consent}\nlist:one",
		},
		{
			name: "a lock one failure late", property: "lock",
			old: "tries + 1 >= policy.lock", new: "tries + 1 > policy.lock",
			path: "sign_in:continue\ncheck:denied\nsign_in:continue\ncheck:denied\nsign_in:continue\ncheck:denied",
		},
		{
			name: "a cycle of actions", property: "ends",
			old: "on: {one: connected, none: connected}", new: "on: {one: connected, none: record}",
			// Round once to the configuration the cycle repeats (consent
			// recorded), round again, and out.
			path: "sign_in:continue\ncheck:ok\nlist:none\nrecord:recorded\nlist:none\nrecord:recorded\nlist:one",
			why:  "a cycle of action states, from list",
		},
		{
			name: "a prompt with no way out", property: "ends",
			// The checker sees a way out, which no session can take.
			old: "on: {back: sign_in}", new: `on: {back: [{if: "tries > 99", go: sign_in}, {go: help}]}`,
			path: "sign_in:help", why: "from help no final state can be reached",
		},
		{
			name: "a session error", property: "ends",
			old: "        - set: {tries: tries + 1}\n          go: sign_in\n", new: "",
			path: "sign_in:continue\ncheck:denied", why: "the session failed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fl, pr := proveSrc(t, mutate(t, consentFlow, tt.old, tt.new), explore.ProveOptions{})
			v := verdict(t, pr, tt.property)
			if v.Status != explore.Violated || v.Path == nil {
				t.Fatalf("%s: %s, want violated with a path", tt.property, v.Status)
			}
			var got []string
			for _, s := range v.Path.Steps {
				got = append(got, s.Format("t"))
			}
			if strings.Join(got, "\n") != tt.path {
				t.Errorf("path:\n%s\nwant:\n%s", strings.Join(got, "\n"), tt.path)
			}
			if !strings.HasPrefix(v.Why, tt.why) {
				t.Errorf("why = %q, want it to start %q", v.Why, tt.why)
			}
			// The path file replays: it reads back, and the session
			// follows it to its end or its prompt.
			pf, err := explore.ParsePathFile("cx.yaml", v.Path.Format("t"))
			if err != nil {
				t.Fatal(err)
			}
			s, err := explore.Replay(context.Background(), fl, pf.Steps, time.Time{})
			if err != nil {
				if div, ok := errors.AsType[*explore.DivergedError](err); ok {
					t.Fatalf("replay diverged: %v", div)
				}
				t.Fatalf("replay: %v", err)
			}
			if pf.Wait != nil && (s.Done() || s.Current().State != pf.Wait.State) {
				t.Errorf("replay stopped at %s (done %v), want it waiting at %s", s.Current().State, s.Done(), pf.Wait.State)
			}
			// The other properties still hold.
			for _, o := range pr.Verdicts {
				if o.Name != tt.property && o.Status != explore.Holds {
					t.Errorf("%s: %s, want it to hold", o.Name, o.Status)
				}
			}
		})
	}
}

// A region whose policy requires consent reaches the consent prompt with
// every sign-in: the rule is proven there too, and a broken one found
// without the portal's output.
func TestProvePolicy(t *testing.T) {
	src := mutate(t, consentFlow, "policy: {consent: false, lock: 3}", "policy: {consent: true, lock: 1}")
	_, pr := proveSrc(t, src, explore.ProveOptions{})
	for _, v := range pr.Verdicts {
		if v.Status != explore.Holds {
			t.Errorf("%s: %s, want it to hold", v.Name, v.Status)
		}
	}
	src = mutate(t, src, "if: result.needs_consent || policy.consent", "if: result.needs_consent")
	_, pr = proveSrc(t, src, explore.ProveOptions{})
	if v := verdict(t, pr, "consent"); v.Status != explore.Violated || v.Path.Steps[1].Result != "" {
		t.Errorf("consent: %s, path %v; want violated on a path where the portal asks nothing", v.Status, v.Path)
	}
}

func TestProveVacuousAndCut(t *testing.T) {
	src := mutate(t, consentFlow, "properties:\n", `properties:
  - name: never
    message: nothing connects after declining
    when: ended("connected") && once(chose("consent", "decline"))
    require: "false"
`)
	_, pr := proveSrc(t, src, explore.ProveOptions{})
	if v := verdict(t, pr, "never"); v.Status != explore.Holds || !v.Vacuous {
		t.Errorf("never: %s, vacuous %v; want it to hold vacuously", v.Status, v.Vacuous)
	}
	// A budget too small for the flow: nothing is proven, and nothing
	// found is claimed.
	_, pr = proveSrc(t, consentFlow, explore.ProveOptions{MaxConfigs: 3})
	if !pr.Cut || pr.Configs > 3 {
		t.Errorf("Cut %v with %d configurations, want cut at 3", pr.Cut, pr.Configs)
	}
	for _, v := range pr.Verdicts {
		if v.Status != explore.Unknown || v.Vacuous {
			t.Errorf("%s: %s (vacuous %v), want unknown", v.Name, v.Status, v.Vacuous)
		}
	}
}
