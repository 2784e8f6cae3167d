package wire

import (
	"time"

	"github.com/tetherflow/tether/ui"
)

// Session is a session as the API shows it: where it stands and what to
// show — the prompt it waits at, as a description of the screen, or how
// it ended. Every response about a session carries one.
type Session struct {
	ID      string `json:"id" doc:"The session's id: 128 random bits in hex." example:"3f2a9c0d1e5b7a44c0ffee1234567890"`
	Flow    string `json:"flow" doc:"The flow the session runs." example:"connect"`
	Region  string `json:"region" doc:"The regional policy it runs under; default when none applies." example:"eu-de"`
	Country string `json:"country,omitempty" doc:"The country it was started for (ISO 3166-1 alpha-2)." example:"DE"`
	Device  string `json:"device" doc:"The device it connects." example:"laptop-7f3a"`
	State   string `json:"state" doc:"The state it is in: the prompt's, or the final state's." example:"enter_code"`
	// Version is what an answer's If-Match names.
	Version int `json:"version" doc:"Its version: an answer carries it in If-Match (the ETag)." example:"4"`
	// Status is waiting (Prompt is set) or ended (Result is set).
	Status    string     `json:"status" enum:"waiting,ended" doc:"waiting: prompt is set; ended: result is set."`
	ExpiresAt time.Time  `json:"expires_at,omitzero" doc:"When it expires if nothing happens; every step moves it on."`
	Prompt    *ui.Screen `json:"prompt,omitempty" doc:"What to show while it waits: the screen, in the response's locale."`
	Result    *ui.Result `json:"result,omitempty" doc:"How it ended."`
	// Locale is the locale the response's texts are in.
	Locale string `json:"locale" doc:"The locale the response's texts are in (BCP 47), as Content-Language says: from Accept-Language, else the locale the session was created with, else en." example:"de"`
	// Secret is the session's secret, in the response that created it
	// only.
	Secret string `json:"secret,omitempty" doc:"The session's secret, only in the response that created it: every later request presents it as 'Authorization: Bearer SECRET'. The server keeps only its hash."`
	// DeviceKey is the device's key, in the response that created the
	// device only.
	DeviceKey string `json:"device_key,omitempty" doc:"The device's key, only in the response of the session that created the device: every later session of the device presents it as the Tether-Device-Key header. The server keeps only its hash."`
	// Warnings are said once, in the response to the request they are
	// about.
	Warnings []string `json:"warnings,omitempty" doc:"What the request did that goes in a later release (a deprecated member), for the client's developers; absent when nothing." example:"[\"deprecated: the request member region is the old name of country and goes in the next release; send country\"]"`
}

// CodeSessionFailed is Result.Code for a session that failed.
const CodeSessionFailed = "session_failed"
