// Package engine compiles Tether flows and runs them: declarative YAML
// state machines whose states run actions, ask prompts or end with an
// outcome. It is what a flow's author and a front end need — compile a
// flow, start, restore, answer and tick a session, snapshot it, read its
// prompt and outcome, register the actions flows run — and nothing more.
//
// The pipeline is split along its stages, as expr's is:
//
//   - package syntax loads a flow file into a syntax tree that keeps every
//     element's line and column (package yamlfile decodes the YAML within
//     its budgets and positions every problem);
//   - compile.go and check.go check the tree against the actions of a
//     Registry and compile it: every expression is compiled once with
//     expr-lang/expr against the typed environment it runs in (variables,
//     policy.*, input.* from the prompt, result.* from the action), and
//     every problem is reported at once, sorted, as a yamlfile.ErrorList
//     of file:line:col messages;
//   - flow.go holds the compiled, immutable Flow, with its looplab/fsm
//     event table: one fsm event per branch, so that guarded alternatives
//     are the engine's choice and the transition is looplab/fsm's;
//   - exprsafe.go holds expressions to budgets (Limits);
//   - run.go runs Sessions: Start runs to the first prompt, Send answers
//     it, Tick fires timers on the injected clock, Snapshot and Restore
//     move a session between requests or processes. Every step is
//     appended to an event log in which secrets are masked (package
//     eventlog reads it, as JSON lines and as transcripts; package value
//     is the codec of its values).
//
// What a flow's language gains (a key, a field type, a check) goes into the
// loader (package syntax) and the checker (compile.go, check.go), not into
// this package's exported API, which a test holds to at most 60 functions,
// methods and types. Flow.Info describes a compiled flow, read-only
// (package flowinfo), for tools that reason about a flow without running
// it: path search, coverage and diagrams (package explore) read flows
// through it and run them through this API only.
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
// outside world through their own ports (an action keys its calls with
// package callkey), and prompt drivers live in adapters.
package engine
