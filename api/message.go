package api

import (
	"math"
	"regexp"
	"strings"
	"unicode"

	"github.com/tetherflow/tether/actions"
)

// Message is a text of the portal's as a message of its vocabulary: a
// stable id and parameters, beside the text itself (captcha_challenge,
// error_description, reason), for a client to say in its user's
// language. The ids the demo portal uses are listed in
// docs/portal-protocol.md; tether's catalogs translate them.
type Message struct {
	ID     string         `json:"id"`
	Params map[string]any `json:"params,omitempty"`
}

// Bounds of a message a client takes: what is outside them is dropped,
// and the words beside it shown.
const (
	maxMessageParams     = 8
	maxMessageParamBytes = 200
)

var (
	messageIDPattern    = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){0,7}$`)
	messageParamPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
)

// FromPortalText returns t as a message, or nil for no message.
func FromPortalText(t actions.PortalText) *Message {
	if t.ID == "" {
		return nil
	}
	return &Message{ID: t.ID, Params: t.Params}
}

// Port returns the message as a client takes it: the zero PortalText
// when m is nil or malformed (an id that is no dotted lower-case name of
// at most 64 bytes, more than 8 parameters, a parameter that is not a
// string of at most 200 bytes or a whole number), so that a portal's
// answer never puts more than a bounded, plain message before a person.
func (m *Message) Port() actions.PortalText {
	if m == nil || len(m.ID) > 64 || !messageIDPattern.MatchString(m.ID) || len(m.Params) > maxMessageParams {
		return actions.PortalText{}
	}
	out := actions.PortalText{ID: m.ID}
	for k, v := range m.Params {
		if !messageParamPattern.MatchString(k) {
			return actions.PortalText{}
		}
		var p any
		switch x := v.(type) {
		case string:
			if len(x) > maxMessageParamBytes || strings.ContainsFunc(x, unicode.IsControl) {
				return actions.PortalText{}
			}
			p = x
		case float64:
			if x != math.Trunc(x) || math.Abs(x) > 1e15 {
				return actions.PortalText{}
			}
			p = int(x)
		case int:
			p = x
		default:
			return actions.PortalText{}
		}
		if out.Params == nil {
			out.Params = map[string]any{}
		}
		out.Params[k] = p
	}
	return out
}
