// Package engine loads, checks, compiles and runs Tether flows: declarative
// YAML state machines whose states run actions, ask prompts or end with an
// outcome.
//
// The pipeline has four stages, one file each:
//
//   - load.go reads a flow file with gopkg.in/yaml.v3, keeping every
//     element's line and column; unknown and duplicate keys are errors.
//   - compile.go and check.go check the flow against the actions of a
//     Registry and compile it: every expression is compiled once with
//     expr-lang/expr against the typed environment it runs in (variables,
//     policy.*, input.* from the prompt, result.* from the action), and
//     every problem is reported at once, sorted, as an ErrorList of
//     file:line:col messages.
//   - flow.go holds the compiled, immutable Flow, with its looplab/fsm event
//     table: one fsm event per branch, so that guarded alternatives are the
//     engine's choice and the transition is looplab/fsm's (asked once per
//     branch when the flow is compiled, and looked up by every step).
//   - exprsafe.go holds expressions to budgets: their size before expr
//     parses them, and the work and memory of every evaluation.
//   - run.go runs Sessions: Start runs to the first prompt, Send answers it,
//     Tick fires timers on the injected clock, Snapshot and Restore move a
//     session between requests or processes. Every step is appended to an
//     event log in which secrets are masked; transcript.go renders it.
//
// model.go describes a compiled flow, read-only (Flow.Info), for tools
// that reason about a flow without running it. The QA tooling over flows
// (path search and replay, coverage, state diagrams) is package explore,
// which reads flows through Flow.Info and runs them through the public API
// only: the runtime has no hooks for it.
//
// A minimal use:
//
//	reg, _ := engine.NewRegistry(myActions...)
//	fl, err := engine.CompileFile("flows/connect.yaml", reg)
//	if err != nil {
//		fmt.Fprintln(os.Stderr, err) // every problem, file:line:col: message
//		return
//	}
//	s, err := fl.Start(ctx, engine.Ports{Actions: reg, Now: clock})
//	for err == nil && !s.Done() {
//		p := s.Current().Prompt
//		choice, input := ask(p)
//		err = s.Send(ctx, choice, input) // *InputError: ask again
//	}
//	fmt.Println(s.Current().Outcome.Name)
//
// The engine knows nothing of portals, SMS or terminals: actions reach the
// outside world through their own ports, and prompt drivers live in
// adapters.
package engine
