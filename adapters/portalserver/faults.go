package portalserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tetherflow/tether/api"
	"github.com/tetherflow/tether/engine/yamlfile"
)

// FaultKind is a kind of fault the simulator injects.
type FaultKind string

// The faults. The ones after 5xx let the portal answer first: the client
// cannot tell whether what it asked was done, and must retry with the
// same Idempotency-Key.
const (
	// FaultLatency waits Delay, then answers. A client that gives up
	// meanwhile gets nothing done.
	FaultLatency FaultKind = "latency"
	// Fault5xx answers 503 without calling the portal.
	Fault5xx FaultKind = "5xx"
	// FaultReset calls the portal, then resets the connection instead of
	// answering.
	FaultReset FaultKind = "reset"
	// FaultSlow calls the portal, then sends the answer's body a little at
	// a time over Delay.
	FaultSlow FaultKind = "slow"
	// FaultTruncate calls the portal, then sends half of the answer's body
	// (with the whole body's Content-Length) and closes the connection.
	FaultTruncate FaultKind = "truncate"
)

// faultKinds are the kinds, in the order a rate spec tries them.
var faultKinds = []FaultKind{FaultLatency, Fault5xx, FaultReset, FaultSlow, FaultTruncate}

// delayed reports whether the kind takes a delay.
func (k FaultKind) delayed() bool { return k == FaultLatency || k == FaultSlow }

// Fault is what one request gets; the zero Fault is none.
type Fault struct {
	Kind  FaultKind
	Delay time.Duration // latency, slow
}

// Faults decides which requests get a fault: each by a rate, drawn from a
// seeded source (ParseFaults), or the Nth request to an operation by a
// schedule (ParseSchedule). A nil *Faults injects none. It is safe for
// concurrent use.
type Faults struct {
	mu       sync.Mutex
	rates    []rate
	rng      *rand.Rand
	schedule map[string]map[int]Fault // op -> request number -> fault
	seen     map[string]int           // op -> requests so far
}

type rate struct {
	fault Fault
	p     float64
}

// decide returns the fault of the next request to op.
func (f *Faults) decide(op string) Fault {
	if f == nil {
		return Fault{}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen[op]++
	if f.schedule != nil {
		return f.schedule[op][f.seen[op]]
	}
	x, sum := f.rng.Float64(), 0.0
	for _, r := range f.rates {
		if sum += r.p; x < sum {
			return r.fault
		}
	}
	return Fault{}
}

// Requests returns how many requests to op the server has taken, faulty
// or not.
func (f *Faults) Requests(op string) int {
	if f == nil {
		return 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seen[op]
}

// ParseFaults parses a rate spec: comma-separated KIND=RATE items, RATE a
// probability in [0, 1], with the delay of latency and slow before it
// (latency=200ms@0.3), and seed=N for the source the rates are drawn from
// (default 1). Each request gets at most one fault; the rates together
// must not exceed 1.
//
//	5xx=0.2,reset=0.1,latency=200ms@0.3,slow=2s@0.05,truncate=0.05,seed=7
func ParseFaults(spec string) (*Faults, error) {
	f := &Faults{seen: map[string]int{}}
	seed := uint64(1)
	var errs []error
	total := 0.0
	for i, item := range strings.Split(spec, ",") {
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("item %d %q: %s", i+1, item, fmt.Sprintf(format, args...)))
		}
		name, val, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			bad("want KIND=RATE or seed=N")
			continue
		}
		if name == "seed" {
			n, err := strconv.ParseUint(val, 10, 64)
			if err != nil {
				bad("the seed is not a whole number")
			}
			seed = n
			continue
		}
		kind := FaultKind(name)
		if !slices.Contains(faultKinds, kind) {
			bad("unknown fault %q (want %s, or seed)", name, kindList())
			continue
		}
		fault := Fault{Kind: kind}
		if kind.delayed() {
			d, p, ok := strings.Cut(val, "@")
			delay, err := time.ParseDuration(d)
			if !ok || err != nil || delay <= 0 {
				bad("%s wants DELAY@RATE, like %s=200ms@0.3", kind, kind)
				continue
			}
			fault.Delay, val = delay, p
		}
		p, err := strconv.ParseFloat(val, 64)
		if err != nil || p < 0 || p > 1 {
			bad("the rate is not a probability between 0 and 1")
			continue
		}
		total += p
		f.rates = append(f.rates, rate{fault, p})
	}
	if total > 1 {
		errs = append(errs, fmt.Errorf("the rates add up to %g: a request gets at most one fault, so they must not exceed 1", total))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("faults %q: %w", spec, errors.Join(errs...))
	}
	f.rng = rand.New(rand.NewPCG(seed, seed))
	return f, nil
}

// ScheduledFault is one entry of a fault schedule: the Request-th request
// (1 for the first) to the operation Op gets Fault (with Delay for latency
// and slow).
type ScheduledFault struct {
	Op      string        `yaml:"op"`
	Request int           `yaml:"request"`
	Fault   FaultKind     `yaml:"fault"`
	Delay   time.Duration `yaml:"delay"`
}

// LoadSchedule reads a fault schedule file (ParseSchedule).
func LoadSchedule(path string) (*Faults, error) {
	data, err := yamlfile.ReadFile(path, yamlfile.Limits{})
	if err != nil {
		if _, ok := err.(yamlfile.ErrorList); ok {
			return nil, err
		}
		return nil, fmt.Errorf("fault schedule: %w", err)
	}
	return ParseSchedule(path, data)
}

// ParseSchedule parses a fault schedule: a YAML (or JSON) list of
// ScheduledFault, within the YAML budgets every user file is held to. Every
// problem is reported, as name:line:col: message.
//
//   - {op: sendCode, request: 1, fault: reset}
//   - {op: signInPassword, request: 2, fault: latency, delay: 3s}
func ParseSchedule(name string, data []byte) (*Faults, error) {
	list, err := yamlfile.Decode(name, data, yamlfile.Limits{})
	if err != nil {
		return nil, err
	}
	f := &Faults{seen: map[string]int{}, schedule: map[string]map[int]Fault{}}
	if list == nil {
		return f, nil
	}
	if list.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s:%d:%d: want a list of {op, request, fault, delay}", name, list.Line, list.Column)
	}
	var errs []error
	for _, n := range list.Content {
		bad := func(at *yaml.Node, format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s:%d:%d: %s", name, at.Line, at.Column, fmt.Sprintf(format, args...)))
		}
		if n.Kind != yaml.MappingNode {
			bad(n, "want {op, request, fault, delay}")
			continue
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			switch k := n.Content[i]; k.Value {
			case "op", "request", "fault", "delay":
			default:
				bad(k, "unknown key %q%s", k.Value, yamlfile.KeyHint(k.Value, []string{"op", "request", "fault", "delay"}, "op, request, fault, delay"))
			}
		}
		var sf ScheduledFault
		if err := n.Decode(&sf); err != nil {
			bad(n, "%v", strings.TrimPrefix(err.Error(), "yaml: unmarshal errors:\n  "))
			continue
		}
		switch {
		case !knownOp(sf.Op):
			bad(n, "unknown operation %q (want one of %s)", sf.Op, opList())
		case sf.Request < 1:
			bad(n, "request must be 1 or more (the first request to %s is 1)", sf.Op)
		case !slices.Contains(faultKinds, sf.Fault):
			bad(n, "unknown fault %q (want %s)", sf.Fault, kindList())
		case sf.Fault.delayed() && sf.Delay <= 0:
			bad(n, "%s needs a delay, like delay: 2s", sf.Fault)
		case f.schedule[sf.Op][sf.Request].Kind != "":
			bad(n, "request %d to %s already has a fault", sf.Request, sf.Op)
		default:
			if f.schedule[sf.Op] == nil {
				f.schedule[sf.Op] = map[int]Fault{}
			}
			f.schedule[sf.Op][sf.Request] = Fault{Kind: sf.Fault, Delay: sf.Delay}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return f, nil
}

func knownOp(op string) bool {
	_, ok := api.Operations()[op]
	return ok
}

func opList() string {
	return strings.Join(slices.Sorted(maps.Keys(api.Operations())), ", ")
}

func kindList() string {
	var ks []string
	for _, k := range faultKinds {
		ks = append(ks, string(k))
	}
	return strings.Join(ks, ", ")
}

// before injects what comes before the portal is called: latency. It
// reports false when the client went away meanwhile.
func (f Fault) before(ctx context.Context) bool {
	if f.Kind != FaultLatency {
		return true
	}
	t := time.NewTimer(f.Delay)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// answer sends body, of type ctype, with status, as the fault has it.
func (f Fault) answer(w http.ResponseWriter, status int, ctype string, body []byte) {
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	switch f.Kind {
	case FaultReset:
		reset(w)
	case FaultTruncate:
		w.WriteHeader(status)
		w.Write(body[:len(body)/2])
		http.NewResponseController(w).Flush()
		panic(http.ErrAbortHandler) // the server closes the connection
	case FaultSlow:
		w.WriteHeader(status)
		const pieces = 8
		step := max(1, (len(body)+pieces-1)/pieces)
		for len(body) > 0 {
			n := min(step, len(body))
			if _, err := w.Write(body[:n]); err != nil {
				return
			}
			http.NewResponseController(w).Flush()
			body = body[n:]
			if len(body) > 0 {
				time.Sleep(f.Delay / pieces)
			}
		}
	default:
		w.WriteHeader(status)
		w.Write(body)
	}
}

// reset resets the request's connection (a TCP RST, where it can), so
// that the client reads no answer at all.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// String describes the plan, for the serve command's banner.
func (f *Faults) String() string {
	if f == nil {
		return "none"
	}
	var b bytes.Buffer
	if f.schedule != nil {
		n := 0
		for _, m := range f.schedule {
			n += len(m)
		}
		fmt.Fprintf(&b, "a schedule of %d faults", n)
		return b.String()
	}
	for i, r := range f.rates {
		if i > 0 {
			b.WriteString(", ")
		}
		if r.fault.Delay > 0 {
			fmt.Fprintf(&b, "%s %s", r.fault.Kind, r.fault.Delay)
		} else {
			b.WriteString(string(r.fault.Kind))
		}
		fmt.Fprintf(&b, " %g%%", r.p*100)
	}
	return b.String()
}
