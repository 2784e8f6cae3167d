// Package callkey makes the idempotency keys an action sends with its
// calls to outside systems: the same step run again, retried or restored
// after a crash, makes the same calls with the same keys, so the outside
// system does each once (Next), and no key gives away the session or the
// answer that set the step off.
//
// It must not know what the calls are: the engine marks each step's
// context (With), and an action asks for a key per call.
package callkey
