// Package host is the session host: the one place a flow session takes a
// step, whatever front end (the CLI, the HTTP API, the web pages) asked for
// it. A step loads the session from a Store, restores it on the compiled
// flow the catalog holds for it, applies one Start, Answer, Tick or Cancel,
// and saves the snapshot with the log entries the step appended and the
// side effects its actions recorded (RecordEffect: portal calls, under
// their idempotency keys) in one commit, refusing with ErrConflict a save
// from a stale version. A session is restored on the version of its flow
// it started on, or moved to the current one by the flow's migration
// (versions.go).
//
// A server's host also issues each session a secret (Config.Secrets) that
// Authorize requires, expires sessions left idle (Config.IdleTimeout,
// ErrExpired; Reap deletes them), fires due timers with no client calling
// (FireDue, Sweep) and tells Config.Observe what it does, for metrics.
//
//	h, err := host.New(host.Config{Catalog: cat, Store: store, Actions: world.Actions,
//		IdleTimeout: 30 * time.Minute, Secrets: true})
//	v, err := h.Start(ctx, host.StartRequest{Flow: "connect", Country: "DE", Device: "laptop-7f3a"})
//	// v.Secret goes to the client, once; later calls present it:
//	v, err = h.Authorize(ctx, v.ID, secret)
//	v, err = h.Answer(ctx, v.ID, host.Answer{Version: v.Version, Choice: "continue", Input: input, Key: key})
//	go h.Sweep(ctx, host.SweepOptions{})
package host
