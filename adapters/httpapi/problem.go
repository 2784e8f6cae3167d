package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tetherflow/tether/adapters/httpapi/wire"
	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/host"
)

// Problem is the API's error document (wire.Problem).
type Problem = wire.Problem

// The problem codes, as package wire defines them. Each is documented in
// docs/api.md.
const (
	CodeBadRequest       = wire.CodeBadRequest
	CodeInvalidRequest   = wire.CodeInvalidRequest
	CodeInvalidVersion   = wire.CodeInvalidVersion
	CodeInvalidKey       = wire.CodeInvalidKey
	CodeSecretRequired   = wire.CodeSecretRequired
	CodeNotFound         = wire.CodeNotFound
	CodeUnknownFlow      = wire.CodeUnknownFlow
	CodeInvalidCountry   = wire.CodeInvalidCountry
	CodeInvalidRegion    = wire.CodeInvalidRegion
	CodeInvalidDevice    = wire.CodeInvalidDevice
	CodeDeviceKey        = wire.CodeDeviceKey
	CodeStale            = wire.CodeStale
	CodeConflict         = wire.CodeConflict
	CodePromptGone       = wire.CodePromptGone
	CodeEnded            = wire.CodeEnded
	CodeInvalidAnswer    = wire.CodeInvalidAnswer
	CodeExpired          = wire.CodeExpired
	CodeVersionRequired  = wire.CodeVersionRequired
	CodeKeyRequired      = wire.CodeKeyRequired
	CodeKeyReused        = wire.CodeKeyReused
	CodePrecondition     = wire.CodePrecondition
	CodeDuplicateMember  = wire.CodeDuplicateMember
	CodeTooLarge         = wire.CodeTooLarge
	CodeUnsupportedMedia = wire.CodeUnsupportedMedia
	CodeRateLimited      = wire.CodeRateLimited
	CodeUnavailable      = wire.CodeUnavailable
	CodeInternal         = wire.CodeInternal
	CodeMethodNotAllowed = wire.CodeMethodNotAllowed
	CodeNotFoundPath     = wire.CodeNotFoundPath
	CodeFlowUnavailable  = wire.CodeFlowUnavailable
	CodeAdminRequired    = wire.CodeAdminRequired
	CodeAdminDisabled    = wire.CodeAdminDisabled
	CodeReloadRefused    = wire.CodeReloadRefused
)

// problemContentType is the media type of a problem in JSON.
const problemContentType = wire.ProblemContentType

// problem returns a Problem with the title of its status.
func problem(status int, code, detail string) *Problem { return wire.NewProblem(status, code, detail) }

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
