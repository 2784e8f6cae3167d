package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
)

// The hot route, answers, is served without huma's request machinery
// (parameters by reflection, the body decoded twice and validated
// against its schema): 9% of the server's CPU a step. answerDirect takes
// only requests it can tell huma would hand the handler as they are, and
// writes the handler's response as huma does, with the API's formats and
// transformers; huma takes every other request, and says what is wrong
// with it. TestDirectAnswer holds the two to the same responses.

// answerPath is the answers route, as registered.
const answerPath = "/v1/sessions/{id}/answers"

// answerBody is the answer's body, answerInput.Body (an alias: the
// OpenAPI document names the schema after the field).
type answerBody = struct {
	Choice string         `json:"choice" minLength:"1" maxLength:"64" example:"continue" doc:"The choice (button) that answers the prompt."`
	Fields map[string]any `json:"fields,omitempty" maxProperties:"32" doc:"The values of the fields the choice sends, by name." example:"{\"email\": \"family@example.com\", \"password\": \"Family-pass-2024\"}"`
}

// answerDirect answers r, an answer whose body is body, and reports true;
// or reports false, having written nothing, for a request it leaves to
// huma: one whose path, headers or body huma would refuse, or that it
// cannot tell of.
func (s *Server) answerDirect(w http.ResponseWriter, r *http.Request, body []byte) bool {
	id, ok := answerID(r)
	if !ok || s.noDirect || len(body) == 0 || int64(len(body)) >= s.cfg.MaxBody {
		return false // huma: 413 for a body of MaxBody bytes
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && ct != "application/json" {
		return false
	}
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 255 { // maxLength, in characters
		return false
	}
	ct, err := s.api.Negotiate(r.Header.Get("Accept"))
	if err != nil {
		return false
	}
	in := &answerInput{ID: id, Authorization: r.Header.Get("Authorization"), IfMatch: r.Header.Get("If-Match"), IdempotencyKey: key}
	if !decodeAnswer(body, &in.Body) {
		return false
	}
	if s.onDirect != nil {
		s.onDirect()
	}
	op := s.answerOp
	ctx := humago.NewContext(op, r, w)
	if op.BodyReadTimeout > 0 {
		ctx.SetReadDeadline(time.Now().Add(op.BodyReadTimeout))
	}
	out, err := s.answer(r.Context(), in)
	if err != nil {
		if he, ok := errors.AsType[huma.HeadersError](err); ok {
			for k, vs := range he.GetHeaders() {
				for _, v := range vs {
					ctx.AppendHeader(k, v)
				}
			}
		}
		se, ok := errors.AsType[huma.StatusError](err)
		if !ok {
			se = huma.NewErrorWithContext(ctx, http.StatusInternalServerError, "unexpected error occurred", err)
		}
		s.write(ctx, ct, se.GetStatus(), se)
		return true
	}
	// sessionOutput's headers, as huma sets them: none empty.
	for _, h := range [...]struct{ name, value string }{
		{"Content-Language", out.ContentLanguage}, {"ETag", out.ETag}, {"Idempotent-Replayed", out.Replayed},
	} {
		if h.value != "" {
			ctx.SetHeader(h.name, h.value)
		}
	}
	s.write(ctx, ct, op.DefaultStatus, out.Body)
	return true
}

// answerID returns the session id of an answer's path when the API's
// router would route it to answers with that id as it is: a clean path
// with nothing escaped and an id of letters, digits, '-' and '_', at most
// 64 (its maxLength).
func answerID(r *http.Request) (string, bool) {
	const prefix, suffix = "/v1/sessions/", "/answers"
	p := r.URL.Path
	if r.Method != http.MethodPost || r.URL.RawPath != "" || len(p) <= len(prefix)+len(suffix) ||
		p[:len(prefix)] != prefix || p[len(p)-len(suffix):] != suffix {
		return "", false
	}
	id := p[len(prefix) : len(p)-len(suffix)]
	if len(id) > 64 {
		return "", false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return "", false
		}
	}
	return id, true
}

// decodeAnswer decodes an answer's body into b as huma does, and reports
// whether huma's validation passes it (its schema, AnswerInputBody): an
// object with choice, a string of 1 to 64 characters, and maybe fields,
// an object of at most 32 members or null, and nothing else. It reports
// false for a body huma may refuse, or whose member names it would have
// to unescape.
func decodeAnswer(data []byte, b *answerBody) bool {
	if json.Unmarshal(data, b) != nil {
		return false
	}
	// Unmarshal took a null, or an object: which members?
	var choice, fields int
	ok := topMembers(data, func(name []byte) bool {
		switch string(name) {
		case "choice":
			choice++
		case "fields":
			fields++
		default:
			return false
		}
		return true
	})
	// fields may be null, as the Go client sends it: huma ignores an
	// optional member that is.
	n := utf8.RuneCountInString(b.Choice)
	return ok && choice == 1 && fields <= 1 && n >= 1 && n <= 64 && len(b.Fields) <= 32
}

// topMembers calls f with the raw name of each member of the object data,
// valid JSON, while f returns true; it reports false when data is not an
// object or f returned false.
func topMembers(data []byte, f func(name []byte) bool) bool {
	i := 0
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	if i == len(data) || data[i] != '{' {
		return false
	}
	depth, name := 0, false // name: a string here is a member's name
	for ; i < len(data); i++ {
		switch c := data[i]; c {
		case '{', '[':
			depth++
			name = depth == 1
		case '}', ']':
			depth--
		case ',':
			name = depth == 1
		case '"':
			end := stringEnd(data, i)
			if end < 0 {
				return false
			}
			if name && !f(data[i+1:end]) {
				return false
			}
			name, i = false, end
		}
	}
	return true
}

// write writes body as huma writes a response (writeResponse) of content
// type ct, as negotiated: through the API's transformers, in its format.
// Like huma, it panics when the body cannot be marshalled, after its
// status; the middleware logs it.
func (s *Server) write(ctx huma.Context, ct string, status int, body any) {
	if f, ok := body.(huma.ContentTypeFilter); ok {
		ct = f.ContentType(ct)
	}
	ctx.SetHeader("Content-Type", ct)
	v, err := s.api.Transform(ctx, strconv.Itoa(status), body)
	if err != nil {
		ctx.BodyWriter().Write([]byte("error transforming response"))
		panic(fmt.Errorf("error transforming response for %s %s %d: %w", ctx.Operation().Method, ctx.Operation().Path, status, err))
	}
	ctx.SetStatus(status)
	if err := s.marshal(ctx.BodyWriter(), ct, v, body); err != nil {
		if errors.Is(ctx.Context().Err(), context.Canceled) {
			ctx.SetStatus(499)
			return
		}
		ctx.BodyWriter().Write([]byte("error marshaling response"))
		panic(fmt.Errorf("error marshaling response for %s %s %d: %w", ctx.Operation().Method, ctx.Operation().Path, status, err))
	}
}

// bufs holds the buffers marshal writes sessions in.
var bufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// marshal writes v, body as the transformers left it, as the API's
// format for ct does: a session in JSON, untouched by the transformers,
// by appendSession, the same bytes without reflection; anything else
// (CBOR, a problem), and a session appendSession cannot write, by the
// format.
func (s *Server) marshal(w io.Writer, ct string, v, body any) error {
	sess, ok := v.(*Session)
	if !ok || v != body || ct != "application/json" {
		return s.api.Marshal(w, ct, v)
	}
	bp := bufs.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 64<<10 {
			bufs.Put(bp)
		}
	}()
	b, err := appendSession((*bp)[:0], sess)
	*bp = b
	if err != nil {
		return s.api.Marshal(w, ct, v) // its error, as huma reports it
	}
	b = append(b, '\n') // as the Encoder ends a value
	*bp = b
	_, err = w.Write(b)
	return err
}
