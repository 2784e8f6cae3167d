package host

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/engine"
)

// Config is what a Host runs with. Catalog, Store and Actions are
// required.
type Config struct {
	// Catalog holds the flows sessions run.
	Catalog *catalog.Catalog
	// Store keeps sessions between steps.
	Store Store
	// Actions returns the actions a session of device runs, bound to that
	// device's ports (its credential store, say). It is called for every
	// step.
	Actions func(ctx context.Context, device string) (*engine.Registry, error)
	// Now is the session clock; nil means time.Now.
	Now func() time.Time
	// Rand is where session ids come from; nil means crypto/rand.
	Rand io.Reader
	// Sleep waits between the tries of an action (retry:); nil means a
	// real wait. A fake clock's Sleep moves the clock instead.
	Sleep func(ctx context.Context, d time.Duration) error
	// IdleTimeout is how long a session lives without a step; zero means
	// for ever. Every step extends it. An expired session is refused
	// (ErrExpired) until ServerStore.Reap deletes it.
	IdleTimeout time.Duration
	// Secrets, when set, has Start issue every session a secret
	// (View.Secret, in Start's view only; the session keeps its hash) that
	// Authorize requires: what a server needs so that a session id alone
	// opens nothing.
	Secrets bool
	// DeviceKeys, when set, guards the devices sessions are started for:
	// Start refuses a session of a device with a key unless the request
	// presents it (ErrDeviceKey), and gives the key of a device it is
	// the first session of in its view (View.DeviceKey).
	DeviceKeys DeviceKeys
	// RecentSessions is how many sessions' last saved records the host
	// keeps, so that the next step of one, answering the version its
	// record holds, reads nothing from the store (a step another host
	// took meanwhile is caught by the store's version check on save).
	// Zero keeps none: worth it where a read costs a round trip to a
	// database.
	RecentSessions int
	// Seal seals the sensitive values of the sessions' records (the
	// variables a flow marks sensitive: a sign-in ticket) before they
	// reach the store, and opens them: the server's seal keys, given
	// outside the store. Nil seals with a key made at random once per
	// process, which dies with it: enough for a store that dies with the
	// process (the memory store of tether run); a store that outlives it
	// needs keys that do too, or its sessions' sealed values no longer
	// open (seal.ErrUnknownKey, key "ephemeral").
	Seal Sealer
	// Observe, when set, is told of every step, conflict, late timer and
	// retried action, for metrics and the server's log, with the context
	// of the call that took it. It must be quick and safe for concurrent
	// use.
	Observe func(ctx context.Context, e Event)
}

// Host takes the steps of flow sessions: the one place a step is taken,
// whatever front end asked for it. It is safe for concurrent use; two
// steps on one session race on the store's version check, and the loser
// gets ErrConflict.
type Host struct {
	cfg      Config
	inflight inflight
	recent   *recent
	// sleepFunc is h.sleep, made once: a method value costs an
	// allocation every time it is taken.
	sleepFunc func(ctx context.Context, d time.Duration) error
}

// New returns a host.
func New(cfg Config) (*Host, error) {
	if cfg.Catalog == nil || cfg.Store == nil || cfg.Actions == nil {
		return nil, errors.New("host: Catalog, Store and Actions are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Observe == nil {
		cfg.Observe = func(context.Context, Event) {}
	}
	if cfg.Seal == nil {
		var err error
		if cfg.Seal, err = ephemeralSealer(); err != nil {
			return nil, fmt.Errorf("host: a seal key: %w", err)
		}
	}
	h := &Host{cfg: cfg, inflight: inflight{m: map[flight]chan struct{}{}}, recent: newRecent(cfg.RecentSessions)}
	h.sleepFunc = h.sleep
	return h, nil
}

// StartRequest says which session to start.
type StartRequest struct {
	// Flow is the flow's name in the catalog.
	Flow string
	// Country picks the regional policy (ISO 3166-1 alpha-2); empty means
	// the flow's defaults.
	Country string
	// Device identifies the device the session connects; it selects the
	// ports the actions use.
	Device string
	// Locale is the locale (BCP 47) the client asked to see the session
	// in, kept with it for the requests that do not say; empty for none.
	Locale string
	// DeviceKey is the key of the device that the request presents
	// (Config.DeviceKeys); empty for none.
	DeviceKey string
}

// Answer is an answer to the prompt a session waits at.
type Answer struct {
	// Version is the session version the answer was made for; a session
	// at another version refuses it with ErrConflict. Zero skips the
	// check.
	Version int
	Choice  string
	Input   map[string]any
	// Key, when set, is the request's idempotency key: the same key again
	// gets the first answer's view instead of a second step (with a store
	// that remembers requests, a ServerStore), and waits for it while it
	// is in flight in this process. The same key with another version,
	// choice or input is refused with ErrKeyReused.
	Key string
	// Secret is the session's secret, which a host with Config.Secrets
	// requires (ErrSecret otherwise): the answer checks it on the record
	// it steps, read once.
	Secret string
}

// ErrKeyReused is returned by Answer for an idempotency key that an
// earlier request to the session used with another version, choice or
// input.
var ErrKeyReused = errors.New("the idempotency key was used for another request")

// ErrStale is wrapped by Answer's error when Answer.Version is not the
// session's version: the answer was made for a prompt that is gone.
// It also wraps ErrConflict.
var ErrStale = fmt.Errorf("%w: the answer is for an earlier version", ErrConflict)

// Start starts a session and runs it to its first prompt or its end. With
// Config.Secrets, the view carries the session's secret.
func (h *Host) Start(ctx context.Context, req StartRequest) (v *View, err error) {
	defer h.observe(ctx, OpStart, h.cfg.Now(), &v, &err)
	ctx, fx := withEffects(ctx, req.Device)
	c, err := h.cfg.Catalog.Compiled(req.Flow, req.Country)
	if err != nil {
		return nil, err
	}
	// The device is opened before anything is bound to it: the actions
	// read its saved connection.
	claim, err := h.openDevice(ctx, req)
	if err != nil {
		return nil, err
	}
	defer func() {
		if v == nil {
			err = h.releaseDevice(ctx, req, claim, err)
		}
	}()
	reg, err := h.cfg.Actions(ctx, req.Device)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", req.Flow, err)
	}
	s, err := c.Flow.Start(ctx, h.ports(reg))
	if s == nil {
		return nil, err
	}
	if err := h.cfg.Catalog.Hold(ctx, c.Flow, s.ID()); err != nil {
		return nil, fmt.Errorf("start %s: %w", req.Flow, err)
	}
	// A run error ends the session; it is saved like any other end.
	m := meta{Country: req.Country, Locale: req.Locale, Device: req.Device, Region: c.Region.Name, Versions: c.Flow.Info().Labels}
	var secret string
	if h.cfg.Secrets {
		if secret, m.Secret, err = newSecret(h.cfg.Rand); err != nil {
			return nil, err
		}
	}
	v, err = h.commit(ctx, s, m, 0, nil, nil, fx)
	if v != nil {
		v.Secret, v.DeviceKey, v.DeviceAdopted = secret, claim.Key, claim.Adopted
	}
	return v, err
}

// Answer answers the prompt session id waits at. Bad input returns an
// *engine.InputError and the view of the session still waiting (the
// refusal is logged); an answer that came after a timer moved the session
// returns engine.ErrPromptGone with the view of where it is now.
func (h *Host) Answer(ctx context.Context, id string, a Answer) (v *View, err error) {
	defer h.observe(ctx, OpAnswer, h.cfg.Now(), &v, &err)
	var req *Request
	if a.Key != "" {
		digest, err := answerDigest(a)
		if err != nil {
			return nil, fmt.Errorf("session %s: %w", id, err)
		}
		req = &Request{Key: a.Key, Digest: digest}
		k, done, err := h.inflight.enter(ctx, id, a.Key)
		if err != nil {
			return nil, err
		}
		defer h.inflight.leave(k, done)
	}
	return h.answer(ctx, id, a, req, true)
}

// answer takes the step of Answer, from the record this host saved last
// when recent is set and it can (admitAnswer). A step from a remembered
// record that the store refuses is taken again from the stored one: the
// refusal says only that the remembered record was not the latest.
func (h *Host) answer(ctx context.Context, id string, a Answer, req *Request, recent bool) (*View, error) {
	rec, d, old, cached, err := h.admitAnswer(ctx, id, a, recent)
	if err != nil {
		return nil, err
	}
	if old != nil {
		return replay(id, req, old)
	}
	s, m, rec, err := h.restore(ctx, rec, d)
	if err != nil {
		return nil, err
	}
	ctx, fx := withEffects(ctx, m.Device)
	if a.Version != 0 && a.Version != rec.Version {
		return nil, fmt.Errorf("session %s is at version %d, not %d: %w", id, rec.Version, a.Version, ErrStale)
	}
	serr := s.Send(ctx, a.Choice, a.Input)
	var problem error
	switch {
	case serr == nil:
	case refused(serr):
		problem = serr
	case s.Err() == nil:
		return nil, serr // not a step: nothing to save
	}
	if s.Seq() == rec.Version {
		// Nothing happened (the session had ended): nothing to save.
		v := h.view(s, m, rec.Version, rec.Expires)
		v.Problem = problemOf(problem)
		return v, problem
	}
	v, err := h.commit(ctx, s, m, rec.Version, req, problemOf(problem), fx)
	switch {
	case errors.Is(err, ErrConflict) && cached:
		return h.answer(ctx, id, a, req, false)
	case errors.Is(err, ErrConflict) && req != nil:
		// Another instance may have answered the same request first.
		if old, rerr := h.recall(ctx, id, req.Key); rerr == nil && old != nil {
			return replay(id, req, old)
		}
	}
	if err != nil {
		return nil, err
	}
	return v, problem
}

// Tick fires the session's due timers, if any, and returns where it
// stands.
func (h *Host) Tick(ctx context.Context, id string) (v *View, err error) {
	began := h.cfg.Now()
	defer h.observe(ctx, OpTick, began, &v, &err)
	s, m, rec, err := h.load(ctx, id)
	if err != nil {
		return nil, err
	}
	ctx, fx := withEffects(ctx, m.Device)
	if !rec.Due.IsZero() && !rec.Due.After(began) {
		h.cfg.Observe(ctx, Event{Op: OpTick, Kind: EventTimer, Session: id, Lag: began.Sub(rec.Due)})
	}
	before := s.Seq()
	if _, err := s.Tick(ctx); err != nil && s.Err() == nil {
		return nil, err
	}
	if s.Seq() == before {
		return h.view(s, m, rec.Version, rec.Expires), nil
	}
	return h.commit(ctx, s, m, rec.Version, nil, nil, fx)
}

// Get returns where the session stands, taking no step.
func (h *Host) Get(ctx context.Context, id string) (*View, error) {
	s, m, rec, err := h.load(ctx, id)
	if err != nil {
		return nil, err
	}
	return h.view(s, m, rec.Version, rec.Expires), nil
}

// Cancel ends the session with the outcome cancelled. A session that has
// ended already returns engine.ErrFinished with its view.
func (h *Host) Cancel(ctx context.Context, id, reason string) (v *View, err error) {
	defer h.observe(ctx, OpCancel, h.cfg.Now(), &v, &err)
	s, m, rec, err := h.load(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.Cancel(reason); err != nil {
		return h.view(s, m, rec.Version, rec.Expires), engine.ErrFinished
	}
	return h.commit(ctx, s, m, rec.Version, nil, nil, nil)
}

func (h *Host) ports(reg *engine.Registry) engine.Ports {
	return engine.Ports{Actions: reg, Now: h.cfg.Now, Rand: h.cfg.Rand, Sleep: h.sleepFunc}
}

// sleep waits between two tries of an action, telling Observe that one is
// tried again.
func (h *Host) sleep(ctx context.Context, d time.Duration) error {
	h.cfg.Observe(ctx, Event{Kind: EventRetry})
	if h.cfg.Sleep != nil {
		return h.cfg.Sleep(ctx, d)
	}
	select {
	case <-time.After(d): // at most a retry's max_delay: nothing to stop early
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// observe tells Observe how the call op that began at began went: a
// step saved (with the outcome it ended in) or a conflict. Calls that
// saved nothing are not steps.
func (h *Host) observe(ctx context.Context, op Op, began time.Time, v **View, err *error) {
	d := h.cfg.Now().Sub(began)
	switch {
	case errors.Is(*err, ErrConflict):
		h.cfg.Observe(ctx, Event{Op: op, Kind: EventConflict, Duration: d})
	case *v == nil || (*v).Replayed || (*v).Entries == nil:
	default:
		e := Event{Op: op, Kind: EventStep, Duration: d, Flow: (*v).Flow, Session: (*v).ID}
		if (*v).Done {
			e.Outcome = "error"
			if o := (*v).Step.Outcome; o != nil {
				e.Outcome = o.Name
			}
			e.Failure = (*v).Error
		}
		h.cfg.Observe(ctx, e)
	}
}

// meta is what the host keeps with a session beyond its snapshot.
type meta struct {
	Country string `json:"country,omitempty"`
	Locale  string `json:"locale,omitempty"`
	Device  string `json:"device,omitempty"`
	Region  string `json:"region"`
	// Secret is the hash of the session's secret (Config.Secrets).
	Secret string `json:"secret,omitempty"`
	// Versions are the version: labels of the flow and its subflows
	// the session runs on (versions.go).
	Versions map[string]string `json:"versions,omitempty"`
}

// data is a Record's Data.
type data struct {
	meta
	Snapshot *engine.Snapshot `json:"snapshot"`
}

// load restores session id on the compiled flow it started on. An
// expired session is refused with ErrExpired.
func (h *Host) load(ctx context.Context, id string) (*engine.Session, meta, *Record, error) {
	rec, err := h.cfg.Store.Load(ctx, id)
	if err != nil {
		return nil, meta{}, nil, err
	}
	d, err := decodeData(rec, h.cfg.Seal)
	if err != nil {
		return nil, meta{}, nil, err
	}
	if err := h.expired(rec); err != nil {
		return nil, meta{}, nil, err
	}
	return h.restore(ctx, rec, d)
}

// expired returns an error wrapping ErrExpired when rec's session has
// been idle past its expiry.
func (h *Host) expired(rec *Record) error {
	if !rec.Expires.IsZero() && !h.cfg.Now().Before(rec.Expires) {
		return fmt.Errorf("session %s: %w", rec.ID, ErrExpired)
	}
	return nil
}

// restore restores rec's session on the version of its flow flowFor
// picks: the one it started on, or the current one (migrated if need be).
func (h *Host) restore(ctx context.Context, rec *Record, d *data) (*engine.Session, meta, *Record, error) {
	id := rec.ID
	fl, err := h.flowFor(ctx, rec, d)
	if err != nil {
		return nil, meta{}, nil, fmt.Errorf("session %s: %w", id, err)
	}
	reg, err := h.cfg.Actions(ctx, d.Device)
	if err != nil {
		return nil, meta{}, nil, fmt.Errorf("session %s: %w", id, err)
	}
	s, err := fl.Restore(ctx, d.Snapshot, h.ports(reg))
	if err != nil {
		return nil, meta{}, nil, fmt.Errorf("session %s: %w", id, err)
	}
	return s, d.meta, rec, nil
}

// commit saves the session as the step left it, with the entries the step
// appended, from version prev.
func (h *Host) commit(ctx context.Context, s *engine.Session, m meta, prev int, req *Request, problem *Problem, fx *effects) (*View, error) {
	now := h.cfg.Now()
	var expires time.Time
	if h.cfg.IdleTimeout > 0 {
		expires = now.Add(h.cfg.IdleTimeout)
	}
	v := h.view(s, m, s.Seq(), expires)
	v.Entries, v.Problem = s.Log(), problem
	raw, err := encodeData(&data{meta: m, Snapshot: s.Snapshot()}, h.cfg.Seal)
	if err != nil {
		return nil, fmt.Errorf("session %s: %w", s.ID(), err)
	}
	c := &Commit{
		Record: Record{
			ID: s.ID(), Version: s.Seq(), Flow: s.Flow().Name(), Region: m.Region, Hash: s.Flow().Hash(),
			Done: s.Done(), Expires: expires, Updated: now, Data: raw,
		},
		Prev:    prev,
		Effects: fx.taken(),
	}
	if due, ok := s.NextDeadline(); ok {
		c.Record.Due = due
	}
	// The entries and the response are JSON, as encoding/json writes
	// them, in one buffer: an answer's entry with its prompt and the
	// response take about 1 KB.
	buf := make([]byte, 0, 1024*(len(v.Entries)+1))
	c.Entries = make([]LogEntry, len(v.Entries))
	for i := range v.Entries {
		start := len(buf)
		if buf, err = v.Entries[i].AppendJSON(buf); err != nil {
			return nil, fmt.Errorf("session %s: log: %w", s.ID(), err)
		}
		c.Entries[i] = LogEntry{Seq: v.Entries[i].Seq, Data: buf[start:len(buf):len(buf)]}
	}
	if req != nil {
		start := len(buf)
		if buf, err = v.appendJSON(buf); err != nil {
			return nil, fmt.Errorf("session %s: response: %w", s.ID(), err)
		}
		req.Response = buf[start:len(buf):len(buf)]
		c.Request = req
	}
	if err := h.cfg.Store.Save(ctx, c); err != nil {
		h.recent.drop(c.Record.ID)
		return nil, err
	}
	h.recent.put(&c.Record)
	h.saved(&c.Record)
	return v, nil
}

// recall returns the request remembered under key for session id, nil
// when there is none or the store remembers no requests.
func (h *Host) recall(ctx context.Context, id, key string) (*Request, error) {
	ss, ok := h.cfg.Store.(ServerStore)
	if !ok {
		return nil, nil
	}
	_, req, err := ss.Recall(ctx, id, key)
	return req, err
}

// replay returns the view remembered for old, the request req repeats,
// or ErrKeyReused when req asks something else under old's key.
func replay(id string, req, old *Request) (*View, error) {
	if !hmac.Equal(req.Digest, old.Digest) {
		return nil, fmt.Errorf("session %s: request %s: %w", id, req.Key, ErrKeyReused)
	}
	var v View
	if err := json.Unmarshal(old.Response, &v); err != nil {
		return nil, fmt.Errorf("session %s: remembered response: %w", id, err)
	}
	v.Replayed = true
	return &v, v.Problem.Err()
}

func (h *Host) view(s *engine.Session, m meta, version int, expires time.Time) *View {
	cur := s.Current()
	v := &View{
		ID: s.ID(), Flow: s.Flow().Name(), Hash: s.Flow().Hash(), Region: m.Region, Country: m.Country, Locale: m.Locale, Device: m.Device,
		Version: version, Expires: expires, Done: s.Done(),
		Step: cur,
	}
	if err := s.Err(); err != nil {
		v.Error = err.Error()
	}
	return v
}
