package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/host"
)

// Problem is an error response (RFC 9457, application/problem+json) with
// a stable Code that clients branch on; Title and Detail are for people.
type Problem struct {
	Type   string `json:"type" doc:"A URI naming the problem: docs/api.md's section for Code." example:"https://github.com/tetherflow/tether/blob/main/docs/api.md#stale_version"`
	Title  string `json:"title" doc:"A short summary of the problem type." example:"Stale version"`
	Status int    `json:"status" example:"409"`
	Detail string `json:"detail,omitempty" doc:"What went wrong this time, for people."`
	// Code is stable: clients branch on it.
	Code      string `json:"code" doc:"What went wrong, stable for clients to branch on." example:"stale_version"`
	Field     string `json:"field,omitempty" doc:"The field an invalid answer got wrong." example:"email"`
	RequestID string `json:"request_id,omitempty" doc:"The request's id, as the server's logs record it."`
	// Errors are the problems of a refused reload, file:line:col: message.
	Errors []string `json:"errors,omitempty" doc:"A refused reload's problems, file:line:col: message."`
	// Session is where the session stands, when the problem is about an
	// answer to it: a client shows it instead of fetching it again.
	Session *Session `json:"session,omitempty" doc:"Where the session stands now, when the problem concerns an answer to it."`
	// RetryAfter is how many seconds to wait (rate_limited); sent as the
	// Retry-After header.
	RetryAfter int `json:"-"`
}

// The problem codes. Each is documented in docs/api.md.
const (
	CodeBadRequest        = "bad_request"              // 400: the request is malformed
	CodeInvalidRequest    = "invalid_request"          // 422: the body does not fit the schema
	CodeInvalidVersion    = "invalid_version"          // 400: If-Match is not a version
	CodeInvalidKey        = "invalid_idempotency_key"  // 400: Idempotency-Key is not 1-255 visible ASCII characters
	CodeSecretRequired    = "secret_required"          // 401: no Authorization: Bearer SECRET
	CodeNotFound          = "session_not_found"        // 404: no such session, or not with this secret
	CodeUnknownFlow       = "unknown_flow"             // 422: the flow is not in the catalog
	CodeInvalidCountry    = "invalid_country"          // 422: the country is not an ISO 3166-1 alpha-2 code
	CodeInvalidRegion     = "invalid_region"           // 422: invalid_country, for a request that names it region (deprecated)
	CodeInvalidDevice     = "invalid_device"           // 422: the device id is malformed
	CodeDeviceKey         = "device_key_required"      // 403: the device exists; its key is missing or wrong
	CodeStale             = "stale_version"            // 409: If-Match names an earlier version
	CodeConflict          = "version_conflict"         // 409: another step was saved first
	CodePromptGone        = "prompt_gone"              // 409: a timer moved the session before the answer
	CodeEnded             = "session_ended"            // 409: the session has ended
	CodeInvalidAnswer     = "invalid_answer"           // 422: the answer does not fit the prompt
	CodeExpired           = "session_expired"          // 410: idle past its expiry
	CodeVersionRequired   = "version_required"         // 428: no If-Match
	CodeKeyRequired       = "idempotency_key_required" // 428: no Idempotency-Key
	CodeKeyReused         = "idempotency_key_reused"   // 422: the key was used for another request
	CodePrecondition      = "precondition_failed"      // 412: If-Match names no strong tag (a weak one never matches)
	CodeDuplicateMember   = "duplicate_member"         // 400: the body names a JSON member twice
	CodeTooLarge          = "body_too_large"           // 413: the body is over the limit
	CodeUnsupportedMedia  = "unsupported_media_type"   // 415: the body is not JSON
	CodeRateLimited       = "rate_limited"             // 429: too many requests from this address
	CodeUnavailable       = "unavailable"              // 503: shutting down, or the store cannot be reached
	CodeInternal          = "internal"                 // 500: a fault of the server; the logs have it
	CodeMethodNotAllowed  = "method_not_allowed"       // 405
	CodeNotFoundPath      = "not_found"                // 404: no such path
	CodeFlowUnavailable   = "flow_unavailable"         // 500: the flow has problems
	CodeAdminRequired     = "admin_required"           // 401: no or a wrong admin token
	CodeAdminDisabled     = "admin_disabled"           // 403: the server has no admin token
	CodeReloadRefused     = "reload_refused"           // 422: the flows have problems; the old ones keep serving
	problemTypePrefix     = "https://github.com/tetherflow/tether/blob/main/docs/api.md#"
	problemContentType    = "application/problem+json"
	problemContentTypeAlt = "application/problem+cbor"
)

// problem returns a Problem with the title of its status.
func problem(status int, code, detail string) *Problem {
	return &Problem{Type: problemTypePrefix + code, Title: http.StatusText(status), Status: status, Code: code, Detail: detail}
}

// Error makes a Problem an error huma writes.
func (p *Problem) Error() string { return p.Code + ": " + p.Detail }

// GetStatus is the response's status.
func (p *Problem) GetStatus() int { return p.Status }

// ContentType makes the response application/problem+json.
func (p *Problem) ContentType(ct string) string {
	if ct == "application/cbor" {
		return problemContentTypeAlt
	}
	return problemContentType
}

// problemOf maps what the host returned to a Problem; v is the session's
// view when the host gave one. Errors it does not know are internal: their
// text is for the logs, not the client.
func problemOf(err error) *Problem {
	var ierr *engine.InputError
	var p *Problem
	switch {
	case errors.As(err, &p):
		return p
	case errors.Is(err, host.ErrSecret), errors.Is(err, host.ErrNotFound):
		// A wrong secret reads as no session: an id alone tells nothing.
		return problem(http.StatusNotFound, CodeNotFound, "no session with this id and secret")
	case errors.Is(err, host.ErrDeviceKey):
		return problem(http.StatusForbidden, CodeDeviceKey, "this device exists: present its key as Tether-Device-Key, as the response that created it gave it (device_key)")
	case errors.Is(err, host.ErrKeyReused):
		return problem(http.StatusUnprocessableEntity, CodeKeyReused, "this Idempotency-Key was used for another answer (another version, choice or fields); send a new answer under a new key")
	case errors.Is(err, host.ErrExpired):
		return problem(http.StatusGone, CodeExpired, "the session was idle past its expiry; start a new one")
	case errors.Is(err, host.ErrStale):
		p = problem(http.StatusConflict, CodeStale, "the answer is for an earlier version of the session; answer the prompt it shows now")
	case errors.Is(err, host.ErrConflict):
		p = problem(http.StatusConflict, CodeConflict, "another step on the session was saved first; answer the prompt it shows now")
	case errors.As(err, &ierr):
		p = problem(http.StatusUnprocessableEntity, CodeInvalidAnswer, ierr.Msg)
		p.Field = ierr.Field
	case errors.Is(err, engine.ErrPromptGone):
		p = problem(http.StatusConflict, CodePromptGone, "a timer moved the session before the answer came; answer the prompt it shows now")
	case errors.Is(err, engine.ErrFinished):
		p = problem(http.StatusConflict, CodeEnded, "the session has ended")
	case errors.Is(err, catalog.ErrNoFlow):
		detail := "no such flow"
		if nf, ok := errors.AsType[*catalog.NoFlowError](err); ok {
			detail += " " + nf.Name + nf.Hint // not the server's directory
		}
		return problem(http.StatusUnprocessableEntity, CodeUnknownFlow, detail)
	case errors.Is(err, catalog.ErrCountry):
		return problem(http.StatusUnprocessableEntity, CodeInvalidCountry, strings.TrimPrefix(err.Error(), catalog.ErrCountry.Error()+": "))
	default:
		var list yamlfile.ErrorList
		if errors.As(err, &list) {
			return problem(http.StatusInternalServerError, CodeFlowUnavailable, "the flow has problems; the server's logs list them")
		}
		return problem(http.StatusInternalServerError, CodeInternal, "the server could not do this; its logs have the request id")
	}
	return p
}

// fromHuma turns huma's own errors (a body that does not parse or fit the
// schema, or is too large) into Problems. The values huma quotes are
// dropped: they may be a password.
func fromHuma(e *huma.ErrorModel) *Problem {
	code := CodeBadRequest
	switch e.Status {
	case http.StatusUnprocessableEntity:
		code = CodeInvalidRequest
	case http.StatusRequestEntityTooLarge:
		code = CodeTooLarge
	case http.StatusUnsupportedMediaType:
		code = CodeUnsupportedMedia
	case http.StatusInternalServerError:
		code = CodeInternal
	}
	detail := e.Detail
	for _, d := range e.Errors {
		if d == nil {
			continue
		}
		msg := d.Message
		if d.Location != "" {
			msg = d.Location + ": " + msg
		}
		detail += "; " + msg
	}
	return problem(e.Status, code, detail)
}

// tooLarge is the Problem for a body over limit bytes.
func tooLarge(limit int64) *Problem {
	return problem(http.StatusRequestEntityTooLarge, CodeTooLarge, fmt.Sprintf("the request body is over %d bytes", limit))
}
