package host

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"time"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/eventlog"
	"github.com/tetherflow/tether/engine/prompt"
)

// A record's data, the host's metadata and the engine's snapshot, is kept
// in a compact binary form: a step decodes it and encodes it again, and a
// memory store holds it for every idle session, so it costs a step's CPU
// and an idle session's memory. JSON (the form of earlier releases, whose
// records start with '{') is still read. encodeData and decodeData are the
// one place a session's data turns into bytes and back: where sealing at
// rest wraps it.
//
// The form: the byte dataVersion, then the metadata (country, device,
// region, the secret's hash, the version labels, the locale) and the
// snapshot (id, flow, hash, seq, the frames with their variables and
// timers, the outcome with its message's id and parameters, the error,
// when the prompt was shown). Form 1, without the locale and the
// message's id, is still read. Strings and byte
// strings are a uvarint length and the bytes; integers varints; times the
// seconds and nanoseconds since the epoch and the zone's offset; flow
// values a tag byte and what the tag says.
const dataVersion = 2

// The tags of flow values.
const (
	tagNil = iota
	tagFalse
	tagTrue
	tagInt
	tagFloat
	tagString
	tagDuration
	tagTime
	tagList
	tagMap
	tagSealed // a sensitive variable's value, sealed (version 2)
)

// maxDepth bounds the nesting of values a record may hold, as the JSON
// decoder's does: data is read back from a store.
const maxDepth = 10_000

// encodeData encodes d, its sensitive values sealed with sealer.
func encodeData(d *data, sealer Sealer) ([]byte, error) {
	return encodeForm(d, sealer, dataVersion)
}

// encodeForm encodes d in the binary form form: dataVersion, or 1, which
// has no locale and no outcome message (for tests of reading it).
func encodeForm(d *data, sealer Sealer, form byte) ([]byte, error) {
	w := &writer{b: make([]byte, 0, 256)}
	w.b = append(w.b, form)
	w.str(d.Country)
	w.str(d.Device)
	w.str(d.Region)
	var buf [32]byte // a SHA-256, the secret's hash, decodes here
	if raw, err := hex.AppendDecode(buf[:0], []byte(d.Secret)); err == nil && len(raw) > 0 {
		w.b = append(w.b, 1)
		w.bytes(raw)
	} else {
		w.b = append(w.b, 0)
		w.str(d.Secret)
	}
	w.strMap(d.Versions)
	if form >= 2 {
		w.str(d.Locale)
	}
	s := d.Snapshot
	if s == nil {
		return nil, errors.New("no snapshot")
	}
	w.str(s.ID)
	w.str(s.Flow)
	w.str(s.Hash)
	w.varint(int64(s.Seq))
	w.uvarint(uint64(len(s.Frames)))
	for i := range s.Frames {
		f := &s.Frames[i]
		w.str(f.Flow)
		w.str(f.Hash)
		w.str(f.State)
		if err := w.vars(f, s.ID, sealer); err != nil {
			return nil, fmt.Errorf("flow %s: vars: %w", f.Flow, err)
		}
		w.uvarint(uint64(len(f.Timers)))
		for _, t := range f.Timers {
			w.str(t.Key)
			w.time(t.Due)
		}
	}
	if o := s.Done; o == nil {
		w.b = append(w.b, 0)
	} else {
		w.b = append(w.b, 1)
		w.str(o.Name)
		w.bool(o.Success)
		w.str(o.State)
		w.str(o.Message)
		if err := w.mapValue(o.Output, 0); err != nil {
			return nil, fmt.Errorf("output: %w", err)
		}
		if form >= 2 {
			if t := o.Text; t == nil {
				w.b = append(w.b, 0)
			} else {
				w.b = append(w.b, 1)
				w.str(t.ID)
				w.str(t.Text)
				if err := w.mapValue(t.Params, 0); err != nil {
					return nil, fmt.Errorf("message %s: %w", t.ID, err)
				}
			}
		}
	}
	w.str(s.Error)
	w.time(s.Shown)
	return w.b, nil
}

// decodeData decodes rec's data, binary or JSON, opening its sealed
// values with sealer.
func decodeData(rec *Record, sealer Sealer) (*data, error) {
	var d data
	if len(rec.Data) > 0 && rec.Data[0] == '{' {
		if err := json.Unmarshal(rec.Data, &d); err != nil {
			return nil, fmt.Errorf("session %s: stored data: %w", rec.ID, err)
		}
		return &d, nil
	}
	if err := readData(rec.Data, &d, rec.ID, sealer); err != nil {
		return nil, fmt.Errorf("session %s: stored data: %w", rec.ID, err)
	}
	return &d, nil
}

// readData reads the binary form of the data of session id.
func readData(b []byte, d *data, id string, sealer Sealer) (err error) {
	r := &reader{b: b, id: id, sealer: sealer}
	form := r.byte()
	if form != 1 && form != dataVersion {
		return fmt.Errorf("form %d, want %d", form, dataVersion)
	}
	d.Country, d.Device, d.Region = r.str(), r.str(), r.str()
	if r.byte() == 1 {
		d.Secret = hex.EncodeToString(r.bytes())
	} else {
		d.Secret = r.str()
	}
	d.Versions = r.strMap()
	if form >= 2 {
		d.Locale = r.str()
	}
	s := &engine.Snapshot{ID: r.str(), Flow: r.str(), Hash: r.str(), Seq: int(r.varint())}
	if n := r.count(); n > 0 {
		s.Frames = make([]engine.FrameSnapshot, n)
	}
	for i := range s.Frames {
		f := &s.Frames[i]
		f.Flow, f.Hash, f.State = r.str(), r.str(), r.str()
		f.Vars, f.Sensitive = r.vars(f.Flow)
		if n := r.count(); n > 0 {
			f.Timers = make([]engine.TimerSnapshot, n)
		}
		for j := range f.Timers {
			f.Timers[j] = engine.TimerSnapshot{Key: r.str(), Due: r.time()}
		}
	}
	if r.byte() == 1 {
		s.Done = &eventlog.Outcome{Name: r.str(), Success: r.byte() == 1, State: r.str(), Message: r.str()}
		s.Done.Output = r.mapValue()
		if form >= 2 && r.byte() == 1 {
			s.Done.Text = &prompt.Message{ID: r.str(), Text: r.str(), Params: r.mapValue()}
		}
	}
	s.Error = r.str()
	s.Shown = r.time()
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%d bytes past the end", len(r.b))
	}
	d.Snapshot = s
	return r.err
}

// writer appends the binary form.
type writer struct{ b []byte }

func (w *writer) uvarint(u uint64) { w.b = binary.AppendUvarint(w.b, u) }
func (w *writer) varint(i int64)   { w.b = binary.AppendVarint(w.b, i) }
func (w *writer) str(s string)     { w.uvarint(uint64(len(s))); w.b = append(w.b, s...) }
func (w *writer) bytes(p []byte)   { w.uvarint(uint64(len(p))); w.b = append(w.b, p...) }

func (w *writer) bool(v bool) {
	if v {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
}

// time writes t with its zone's offset; the zero time is the zero byte.
func (w *writer) time(t time.Time) {
	if t.IsZero() {
		w.b = append(w.b, 0)
		return
	}
	_, off := t.Zone()
	w.b = append(w.b, 1)
	w.varint(t.Unix())
	w.uvarint(uint64(t.Nanosecond()))
	w.varint(int64(off))
}

// strMap writes m, sorted by key.
func (w *writer) strMap(m map[string]string) {
	w.uvarint(uint64(len(m)))
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		w.str(k)
		w.str(m[k])
	}
}

// mapValue writes a map of flow values, or nil.
func (w *writer) mapValue(m map[string]any, depth int) error {
	if m == nil {
		w.b = append(w.b, tagNil)
		return nil
	}
	return w.value(m, depth)
}

// value writes a flow value: the kinds engine's value codec keeps, other
// integer and float types, slices and string-keyed maps taken as theirs.
func (w *writer) value(v any, depth int) error {
	if depth > maxDepth {
		return errors.New("values nested too deep")
	}
	switch x := v.(type) {
	case nil:
		w.b = append(w.b, tagNil)
	case bool:
		w.b = append(w.b, tagFalse)
		if x {
			w.b[len(w.b)-1] = tagTrue
		}
	case int:
		w.b = append(w.b, tagInt)
		w.varint(int64(x))
	case float64:
		w.b = append(w.b, tagFloat)
		w.b = binary.LittleEndian.AppendUint64(w.b, math.Float64bits(x))
	case string:
		w.b = append(w.b, tagString)
		w.str(x)
	case time.Duration:
		w.b = append(w.b, tagDuration)
		w.varint(int64(x))
	case time.Time:
		w.b = append(w.b, tagTime)
		w.time(x.UTC())
	case []any:
		w.b = append(w.b, tagList)
		w.uvarint(uint64(len(x)))
		for _, e := range x {
			if err := w.value(e, depth+1); err != nil {
				return err
			}
		}
	case map[string]any:
		w.b = append(w.b, tagMap)
		w.uvarint(uint64(len(x)))
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			w.str(k)
			if err := w.value(x[k], depth+1); err != nil {
				return err
			}
		}
	default:
		return w.reflectValue(v, depth)
	}
	return nil
}

// reflectValue writes the Go values an expression or action may produce
// that are not flow values as such, as engine's value codec takes them.
func (w *writer) reflectValue(v any, depth int) error {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return w.value(int(rv.Int()), depth)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if rv.Uint() > math.MaxInt64 {
			return fmt.Errorf("%d does not fit an int", rv.Uint())
		}
		return w.value(int(rv.Uint()), depth)
	case reflect.Float32, reflect.Float64:
		return w.value(rv.Float(), depth)
	case reflect.String:
		return w.value(rv.String(), depth)
	case reflect.Bool:
		return w.value(rv.Bool(), depth)
	case reflect.Slice, reflect.Array:
		list := make([]any, rv.Len())
		for i := range list {
			list[i] = rv.Index(i).Interface()
		}
		return w.value(list, depth)
	case reflect.Map:
		if rv.Type().Key().Kind() == reflect.String {
			m := make(map[string]any, rv.Len())
			for it := rv.MapRange(); it.Next(); {
				m[it.Key().String()] = it.Value().Interface()
			}
			return w.value(m, depth)
		}
	}
	return fmt.Errorf("a value of Go type %T is not a flow value", v)
}

// reader reads the binary form; the first error sticks, and every read
// after it returns a zero value. id and sealer open sealed values.
type reader struct {
	b      []byte
	err    error
	id     string
	sealer Sealer
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("truncated or malformed %s", what)
	}
	r.b = nil
}

func (r *reader) byte() byte {
	if len(r.b) < 1 {
		r.fail("byte")
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) uvarint() uint64 {
	u, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("number")
		return 0
	}
	r.b = r.b[n:]
	return u
}

func (r *reader) varint() int64 {
	i, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail("number")
		return 0
	}
	r.b = r.b[n:]
	return i
}

// count reads a length, which cannot be more than the bytes left: every
// element takes at least one.
func (r *reader) count() int {
	u := r.uvarint()
	if u > uint64(len(r.b)) {
		r.fail("length")
		return 0
	}
	return int(u)
}

func (r *reader) bytes() []byte {
	n := r.count()
	p := r.b[:n:n]
	r.b = r.b[n:]
	return p
}

func (r *reader) str() string { return string(r.bytes()) }

func (r *reader) time() time.Time {
	if r.byte() == 0 {
		return time.Time{}
	}
	sec, nsec, off := r.varint(), r.uvarint(), r.varint()
	if nsec >= 1e9 || off < -86400 || off > 86400 {
		r.fail("time")
		return time.Time{}
	}
	t := time.Unix(sec, int64(nsec)).UTC()
	if off != 0 {
		t = t.In(time.FixedZone("", int(off)))
	}
	return t
}

func (r *reader) strMap() map[string]string {
	n := r.count()
	if n == 0 {
		return nil
	}
	m := make(map[string]string, n)
	for range n {
		k := r.str()
		m[k] = r.str()
	}
	return m
}

// mapValue reads a map of flow values, or nil.
func (r *reader) mapValue() map[string]any {
	v := r.value(0)
	m, ok := v.(map[string]any)
	if !ok && v != nil {
		r.fail("map")
	}
	return m
}

func (r *reader) value(depth int) any {
	if depth > maxDepth {
		r.fail("value: nested too deep")
		return nil
	}
	switch tag := r.byte(); tag {
	case tagNil:
		return nil
	case tagFalse:
		return false
	case tagTrue:
		return true
	case tagInt:
		return int(r.varint())
	case tagFloat:
		if len(r.b) < 8 {
			r.fail("float")
			return nil
		}
		f := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
		r.b = r.b[8:]
		return f
	case tagString:
		return r.str()
	case tagDuration:
		return time.Duration(r.varint())
	case tagTime:
		return r.time().UTC()
	case tagList:
		list := make([]any, r.count())
		for i := range list {
			list[i] = r.value(depth + 1)
		}
		return list
	case tagMap:
		n := r.count()
		m := make(map[string]any, n)
		for range n {
			k := r.str()
			m[k] = r.value(depth + 1)
		}
		return m
	default:
		r.fail(fmt.Sprintf("value (tag %d)", tag))
		return nil
	}
}
