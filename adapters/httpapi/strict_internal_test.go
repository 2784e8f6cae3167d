package httpapi

import "testing"

func TestDuplicateMember(t *testing.T) {
	for _, tt := range []struct {
		body, want string
	}{
		{`{"choice": "continue", "fields": {"email": "a@example.com", "password": "x"}}`, ""},
		{`{"choice": "continue", "choice": "cancel"}`, "choice"},
		{`{"fields": {"password": "wrong", "password": "right"}, "choice": "continue"}`, "fields.password"},
		{`{"a": [{"b": 1}, {"b": 2, "c": {"d": 1, "d": 2}}]}`, "a[].c.d"},
		{`{"a": {"b": 1}, "b": {"b": 1}, "c": [[{"x": 1}], {"x": 2}]}`, ""},
		{`{"a": [1, 2], "a": 3}`, "a"},
		{`{"a": {}, "b": [], "c": {"a": {"a": {}}}}`, ""},
		{`{"x": 1, "y": {"x": 1}, "x": 2}`, "x"},
		{`not json`, ""},
		{`{"a": 1, "a"`, "a"},
		{`{"a": 1, "a`, ""},
		{`{"a": "x\"`, ""},
		{`[{"k": 1, "k": 1}]`, "[].k"},
		{`{"a": 1, "\u0061": 2}`, "a"},
		{`{"a\"b": 1, "a\u0022b": 2}`, "a\"b"},
		{`{"s": "}{,\"x\":", "x": 1, "t": "\\", "x": 2}`, "x"},
		{`{"a": {"b": 1}, "c": 1, "b": 2}`, ""},
		{`{"choice": "cancel", "Choice": "continue"}`, "Choice"},
		{`{"fields": {"Email": "x", "email": "y"}}`, "fields.email"},
	} {
		got, dup := duplicateMember([]byte(tt.body))
		if got != tt.want || dup != (tt.want != "") {
			t.Errorf("duplicateMember(%s) = %q, %v; want %q", tt.body, got, dup, tt.want)
		}
	}
}

func TestEntityTags(t *testing.T) {
	for _, tt := range []struct {
		h        string
		required bool
		want     int
		code     string
	}{
		{`"4"`, true, 4, ""},
		{` "12" `, true, 12, ""},
		{`W/"4"`, true, 0, CodePrecondition},
		{`W/"4", "4"`, true, 4, ""},
		{`W/"3", W/"4"`, false, 0, CodePrecondition},
		{`"3", "4"`, true, 0, CodeInvalidVersion},
		{`"4", "4"`, true, 4, ""},
		{`4`, true, 0, CodeInvalidVersion},
		{`"04"`, true, 0, CodeInvalidVersion},
		{`"0"`, true, 0, CodeInvalidVersion},
		{`"x"`, true, 0, CodeInvalidVersion},
		{`"4" "5"`, true, 0, CodeInvalidVersion},
		{`"4`, true, 0, CodeInvalidVersion},
		{`*`, true, 0, CodeInvalidVersion},
		{`*`, false, 0, ""},
		{``, true, 0, CodeVersionRequired},
		{``, false, 0, ""},
	} {
		got, err := ifMatch(tt.h, tt.required)
		code := ""
		if p, ok := err.(*Problem); ok {
			code = p.Code
		} else if err != nil {
			code = err.Error()
		}
		if got != tt.want || code != tt.code {
			t.Errorf("ifMatch(%q, %v) = %d, %q; want %d, %q", tt.h, tt.required, got, code, tt.want, tt.code)
		}
	}
	for _, tt := range []struct {
		h    string
		want bool
	}{
		{`"4"`, true}, {`W/"4"`, true}, {`"3", W/"4"`, true}, {`*`, true},
		{`"3"`, false}, {`4`, false}, {``, false}, {`"4`, false},
	} {
		if got := noneMatch(tt.h, 4); got != tt.want {
			t.Errorf("noneMatch(%q, 4) = %v, want %v", tt.h, got, tt.want)
		}
	}
}
