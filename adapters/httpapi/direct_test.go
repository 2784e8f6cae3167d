package httpapi_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tetherflow/tether/adapters/httpapi"
)

var unknownField = regexp.MustCompile(`"field":"f[0-9]+"`)

// Answers the server takes without huma get what huma gives them, byte
// for byte, and those it cannot tell of go to huma. Two twin sessions
// are answered alike, one through the server, the other through a server
// that leaves every answer to huma.
func TestDirectAnswer(t *testing.T) {
	fx := newFixture(t)
	huma, err := httpapi.HumaOnly(fx.srv)
	if err != nil {
		t.Fatal(err)
	}
	hts := httptest.NewServer(huma.Handler())
	defer hts.Close()
	direct := 0
	httpapi.OnDirect(fx.srv, func() { direct++ })

	a, aSecret := fx.create("connect", "DE")
	b, bSecret := fx.create("connect", "DE")
	// version is where session id stands, read from the server at url.
	version := func(url, id, secret string) int {
		t.Helper()
		req, _ := http.NewRequest("GET", url+"/v1/sessions/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		v, err := strconv.Atoi(strings.Trim(resp.Header.Get("ETag"), `"`))
		if err != nil {
			t.Fatalf("GET %s: %d, ETag %q", id, resp.StatusCode, resp.Header.Get("ETag"))
		}
		return v
	}
	send := func(url, id, secret, path, body string, header []string) *response {
		t.Helper()
		path = strings.ReplaceAll(path, "ID", id)
		req, err := http.NewRequest("POST", url+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Request-Id", "twin")
		for i := 0; i+1 < len(header); i += 2 {
			if header[i+1] == "" {
				req.Header.Del(header[i])
				continue
			}
			v := strings.ReplaceAll(header[i+1], "SECRET", secret)
			req.Header.Set(header[i], strings.ReplaceAll(v, "VERSION", strconv.Itoa(version(url, id, secret))))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		resp.Header.Del("Date")
		return &response{status: resp.StatusCode, header: resp.Header, body: data}
	}
	many := func(n int) string {
		var f []string
		for i := range n {
			f = append(f, fmt.Sprintf(`"f%02d": %d`, i, i))
		}
		return `{"choice": "continue", "fields": {` + strings.Join(f, ", ") + `}}`
	}
	signIn := `{"choice": "continue", "fields": {"email": "family@example.com", "password": "` + familyPassword + `"}}`
	long := strings.Repeat("é", 64)
	signedIn := "" // the If-Match of the answer that signed in
	for i, c := range []struct {
		name   string
		direct bool // the server answers without huma
		path   string
		body   string
		header []string // name, value ("" deletes; SECRET is the session's, VERSION its version)
	}{
		{"no If-Match", true, "", `{"choice": "continue"}`, []string{"If-Match", ""}},
		{"no Idempotency-Key", true, "", `{"choice": "continue"}`, []string{"Idempotency-Key", ""}},
		{"no secret", true, "", `{"choice": "continue"}`, []string{"Authorization", ""}},
		{"a wrong secret", true, "", `{"choice": "continue"}`, []string{"Authorization", "Bearer nope"}},
		{"a weak tag", true, "", `{"choice": "continue"}`, []string{"If-Match", `W/"VERSION"`}},
		{"a stale version", true, "", `{"choice": "continue"}`, []string{"If-Match", `"99"`}},
		{"a key with a space", true, "", `{"choice": "continue"}`, []string{"Idempotency-Key", "a b"}},
		{"a key of 256", false, "", `{"choice": "continue"}`, []string{"Idempotency-Key", strings.Repeat("k", 256)}},
		{"no choice", false, "", `{}`, nil},
		{"an empty choice", false, "", `{"choice": ""}`, nil},
		{"a choice of 64", true, "", `{"choice": "` + long + `"}`, nil},
		{"a choice of 65", false, "", `{"choice": "` + long + `x"}`, nil},
		{"a choice not a string", false, "", `{"choice": 1}`, nil},
		{"a null choice", false, "", `{"choice": null}`, nil},
		{"another member", false, "", `{"choice": "continue", "extra": 1}`, nil},
		{"a member in another case", false, "", `{"Choice": "continue"}`, nil},
		{"an escaped member name", false, "", `{"ch\u006fice": "continue"}`, nil},
		{"null fields", true, "", `{"choice": "continue", "fields": null}`, nil},
		{"fields not an object", false, "", `{"choice": "continue", "fields": [1]}`, nil},
		{"32 fields", true, "", many(32), nil},
		{"33 fields", false, "", many(33), nil},
		{"an array", false, "", `[]`, nil},
		{"null", false, "", `null`, nil},
		{"not JSON", false, "", `{"choice":`, nil},
		{"trailing bytes", false, "", `{"choice": "continue"} x`, nil},
		{"no body", false, "", ``, nil},
		{"a body of MaxBody bytes", false, "", `{"choice": "continue", "fields": {"x": "` + strings.Repeat("x", 16<<10-39) + `"}}`, nil},
		{"text/plain", false, "", `{"choice": "continue"}`, []string{"Content-Type", "text/plain"}},
		{"no Content-Type", true, "", `{"choice": "continue"}`, []string{"Content-Type", ""}},
		{"a charset", false, "", `{"choice": "continue"}`, []string{"Content-Type", "application/json; charset=utf-8"}},
		{"Accept: text/html", true, "", `{"choice": "continue"}`, []string{"Accept", "text/html"}},
		{"Accept: application/json", true, "", `{"choice": "continue"}`, []string{"Accept", "application/json"}},
		{"an id of 65", false, "/v1/sessions/" + strings.Repeat("a", 65) + "/answers", `{"choice": "continue"}`, nil},
		{"an escaped id", false, "/v1/sessions/%49D/answers", `{"choice": "continue"}`, nil},
		{"an id with a dot", false, "/v1/sessions/ID.x/answers", `{"choice": "continue"}`, nil},
		{"an unknown choice", true, "", `{"choice": "nope"}`, nil},
		{"a field refused", true, "", `{"choice": "continue", "fields": {"email": "not an address", "password": "x"}}`, nil},
		{"HTML in a field", true, "", `{"choice": "continue", "fields": {"email": "<b>&</b>", "password": "x"}}`, nil},
		{"signs in", true, "", signIn, []string{"Idempotency-Key", "sign-in"}},
		{"again: replayed", true, "", signIn, []string{"Idempotency-Key", "sign-in", "If-Match", "SIGNIN"}},
		{"the key again, another answer", true, "", `{"choice": "cancel"}`, []string{"Idempotency-Key", "sign-in", "If-Match", "SIGNIN"}},
		{"a code refused", true, "", `{"choice": "continue", "fields": {"code": "12"}}`, nil},
		{"cancels", true, "", `{"choice": "cancel"}`, nil},
		{"after the end", true, "", `{"choice": "continue"}`, nil},
	} {
		path := c.path
		if path == "" {
			path = "/v1/sessions/ID/answers"
		}
		header := append([]string{"Authorization", "Bearer SECRET", "If-Match", `"VERSION"`, "Idempotency-Key", "k" + strconv.Itoa(i)}, c.header...)
		for j := range header {
			header[j] = strings.ReplaceAll(header[j], "SIGNIN", signedIn)
		}
		if c.name == "signs in" {
			signedIn = etag(version(fx.http.URL, a.ID, aSecret))
		}
		before := direct
		got := send(fx.http.URL, a.ID, aSecret, path, c.body, header)
		if took := direct > before; took != c.direct {
			t.Errorf("%s: answered without huma %v, want %v", c.name, took, c.direct)
		}
		want := send(hts.URL, b.ID, bSecret, path, c.body, header)
		want.body = bytes.ReplaceAll(bytes.ReplaceAll(want.body, []byte(b.ID), []byte(a.ID)), []byte(b.Device), []byte(a.Device))
		// Which of many unknown fields the engine names is the map's
		// order.
		got.body, want.body = unknownField.ReplaceAll(got.body, []byte(`"field":"f"`)), unknownField.ReplaceAll(want.body, []byte(`"field":"f"`))
		if got.status != want.status || fmt.Sprint(got.header) != fmt.Sprint(want.header) || !bytes.Equal(got.body, want.body) {
			t.Errorf("%s: got\n%d %v\n%s\nhuma's\n%d %v\n%s", c.name, got.status, got.header, got.body, want.status, want.header, want.body)
		}
	}
	if s := fx.do("GET", "/v1/sessions/"+a.ID, nil, "Authorization", "Bearer "+aSecret).session(t); s.Status != "ended" {
		t.Errorf("the session answered without huma is %s at %s, want ended", s.Status, s.State)
	}
}
