package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

// The same Idempotency-Key with another answer is another request: 422
// idempotency_key_reused, and the session is where the first left it: a
// corrected password sent under the key of the wrong one is not lost in a
// replay of the refusal, it is refused so that the client sends it anew.
func TestKeyReused(t *testing.T) {
	fx := newFixture(t)
	s, secret := fx.create("connect", "DE")
	send := func(password string) *response {
		return fx.do("POST", "/v1/sessions/"+s.ID+"/answers",
			map[string]any{"choice": "continue", "fields": map[string]any{"email": "family@example.com", "password": password}},
			"Authorization", "Bearer "+secret, "If-Match", etag(s.Version), "Idempotency-Key", "sign-in-1")
	}
	wrong := send("Wrong-pass-2024")
	if wrong.status != 200 || wrong.session(t).State != "sign_in" {
		t.Fatalf("the wrong password: %d %s", wrong.status, wrong.body)
	}
	r := send(familyPassword)
	if p := r.problem(t); r.status != http.StatusUnprocessableEntity || p.Code != "idempotency_key_reused" || p.RequestID == "" {
		t.Errorf("another password under the same key: %d %+v, want 422 idempotency_key_reused", r.status, p)
	}
	if strings.Contains(string(r.body), familyPassword) {
		t.Errorf("the refusal echoes the password")
	}
	if cur := fx.do("GET", "/v1/sessions/"+s.ID, nil, "Authorization", "Bearer "+secret).session(t); cur.Version != wrong.session(t).Version {
		t.Errorf("version %d after the refused reuse, want %d", cur.Version, wrong.session(t).Version)
	}
	if again := send("Wrong-pass-2024"); again.status != 200 || again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the first request again: %d %q, want its response replayed", again.status, again.header.Get("Idempotent-Replayed"))
	}
}

// If-Match takes the ETag as given: a weak tag never matches (412), a
// list is read for its one strong tag, * names no version.
func TestIfMatch(t *testing.T) {
	fx := newFixture(t)
	s, secret := fx.create("connect", "DE")
	path := "/v1/sessions/" + s.ID + "/answers"
	v := strings.Trim(etag(s.Version), `"`)
	for _, c := range []struct {
		ifMatch string
		status  int
		code    string
	}{
		{`W/"` + v + `"`, 412, "precondition_failed"},
		{`*`, 400, "invalid_version"},
		{v, 400, "invalid_version"},
		{`"` + v + `", "99"`, 400, "invalid_version"},
	} {
		r := fx.do("POST", path, map[string]any{"choice": "create_account"}, "Authorization", "Bearer "+secret,
			"If-Match", c.ifMatch, "Idempotency-Key", "k-"+c.ifMatch)
		if p := r.problem(t); r.status != c.status || p.Code != c.code {
			t.Errorf("If-Match %s: %d %+v, want %d %s", c.ifMatch, r.status, p, c.status, c.code)
		}
	}
	if cur := fx.do("GET", "/v1/sessions/"+s.ID, nil, "Authorization", "Bearer "+secret).session(t); cur.Version != s.Version {
		t.Fatalf("a refused If-Match took a step: version %d, want %d", cur.Version, s.Version)
	}
	r := fx.do("POST", path, map[string]any{"choice": "create_account"}, "Authorization", "Bearer "+secret,
		"If-Match", `W/"`+v+`", "`+v+`"`, "Idempotency-Key", "k-list")
	if r.status != 200 {
		t.Errorf("a list with the strong tag: %d %s", r.status, r.body)
	}
	// A cancellation takes * as any version, and refuses a weak tag.
	if r := fx.do("DELETE", "/v1/sessions/"+s.ID, nil, "Authorization", "Bearer "+secret, "If-Match", `W/"1"`); r.status != 412 {
		t.Errorf("cancel with a weak tag: %d %s", r.status, r.body)
	}
	if r := fx.do("DELETE", "/v1/sessions/"+s.ID, nil, "Authorization", "Bearer "+secret, "If-Match", `*`); r.status != 200 || r.session(t).Result.Outcome != "cancelled" {
		t.Errorf("cancel with *: %d %s", r.status, r.body)
	}
}

// GET honours If-None-Match: 304 with the ETag and no body while the
// session is at the version named (weak comparison), the session in full
// once it has moved.
func TestIfNoneMatch(t *testing.T) {
	fx := newFixture(t)
	s, secret := fx.create("connect", "DE")
	get := func(inm string) *response {
		return fx.do("GET", "/v1/sessions/"+s.ID, nil, "Authorization", "Bearer "+secret, "If-None-Match", inm)
	}
	tag := etag(s.Version)
	for _, inm := range []string{tag, "W/" + tag, `"999", ` + tag, "*"} {
		r := get(inm)
		if r.status != http.StatusNotModified || len(r.body) != 0 || r.header.Get("ETag") != tag {
			t.Errorf("If-None-Match %s at that version: %d %q, ETag %q; want 304, no body, the ETag", inm, r.status, r.body, r.header.Get("ETag"))
		}
	}
	if r := get(`"999"`); r.status != 200 || r.session(t).Version != s.Version {
		t.Errorf("If-None-Match of another version: %d %s", r.status, r.body)
	}
	if r := get(`not a tag`); r.status != 200 {
		t.Errorf("a malformed If-None-Match: %d, want the session", r.status)
	}
	next := fx.step(s, secret, "create_account", nil)
	if r := get(tag); r.status != 200 || r.session(t).Version != next.Version || r.header.Get("ETag") != etag(next.Version) {
		t.Errorf("If-None-Match of the version before a step: %d %s", r.status, r.body)
	}
	// A 304 is for the holder of the secret only.
	r := fx.do("GET", "/v1/sessions/"+s.ID, nil, "Authorization", "Bearer wrong", "If-None-Match", etag(next.Version))
	if p := r.problem(t); r.status != 404 || p.Code != "session_not_found" {
		t.Errorf("If-None-Match with a wrong secret: %d %+v", r.status, p)
	}
	if !strings.Contains(fx.logs(), `"status":304`) {
		t.Errorf("the 304s are not logged")
	}
}

// A JSON member named twice is refused (400 duplicate_member) before
// anything reads the body: neither the first nor the last value counts.
func TestDuplicateMembers(t *testing.T) {
	fx := newFixture(t)
	s, secret := fx.create("connect", "DE")
	for _, body := range []string{
		`{"choice": "continue", "fields": {"email": "family@example.com", "password": "x", "password": "` + familyPassword + `"}}`,
		`{"choice": "cancel", "choice": "create_account"}`,
	} {
		r := fx.do("POST", "/v1/sessions/"+s.ID+"/answers", body, "Authorization", "Bearer "+secret,
			"If-Match", etag(s.Version), "Idempotency-Key", "dup")
		if p := r.problem(t); r.status != 400 || p.Code != "duplicate_member" || p.RequestID == "" {
			t.Errorf("%s: %d %+v, want 400 duplicate_member", body, r.status, p)
		}
		if strings.Contains(string(r.body), familyPassword) {
			t.Errorf("the refusal echoes a value")
		}
	}
	// A member named twice in two cases, which encoding/json takes for
	// one, is refused too.
	r := fx.do("POST", "/v1/sessions/"+s.ID+"/answers", `{"choice": "cancel", "Choice": "create_account"}`, "Authorization", "Bearer "+secret,
		"If-Match", etag(s.Version), "Idempotency-Key", "case")
	if p := r.problem(t); r.status != 400 || p.Code != "duplicate_member" {
		t.Errorf("choice and Choice: %d %+v, want 400 duplicate_member", r.status, p)
	}
	if r := fx.do("POST", "/v1/sessions", `{"flow": "connect", "flow": "signup"}`); r.status != 400 || r.problem(t).Code != "duplicate_member" {
		t.Errorf("create with flow twice: %d %s", r.status, r.body)
	}
	if cur := fx.do("GET", "/v1/sessions/"+s.ID, nil, "Authorization", "Bearer "+secret).session(t); cur.Version != s.Version {
		t.Errorf("a refused body took a step")
	}
	if !strings.Contains(fx.logs(), `"problem":"duplicate_member"`) {
		t.Errorf("the log line does not name the problem")
	}
}
