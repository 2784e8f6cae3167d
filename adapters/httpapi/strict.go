package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// notModified answers a GET of a session with If-None-Match 304 when the
// session is still at the version it names, reading only the session's
// record: a client polling for a timer downloads nothing while nothing
// happened. It reports false, writing nothing, when the request is to be
// answered in full (or refused) by the handler.
func (s *Server) notModified(w http.ResponseWriter, r *http.Request) bool {
	h := r.Header.Get("If-None-Match")
	id, ok := strings.CutPrefix(r.URL.Path, "/v1/sessions/")
	if h == "" || !ok || strings.Contains(id, "/") {
		return false
	}
	secret, err := bearer(r.Header.Get("Authorization"))
	if err != nil {
		return false
	}
	version, err := s.cfg.Host.Admit(r.Context(), id, secret)
	if err != nil || !noneMatch(h, version) {
		return false
	}
	w.Header().Set("ETag", etag(version))
	w.WriteHeader(http.StatusNotModified)
	return true
}

// strictJSON reads a JSON request body and refuses one that names a
// member twice in an object (RFC 8259 leaves what that means to the
// reader; encoding/json keeps the last, which may not be what the client
// meant), in any case: encoding/json matches a struct's fields without
// regard to case. The body is put back for the handler, and returned.
// Bodies of other types pass untouched (nil).
func strictJSON(r *http.Request) ([]byte, *Problem) {
	if r.Body == nil || r.Body == http.NoBody || !isJSON(r.Header.Get("Content-Type")) {
		return nil, nil
	}
	data, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, tooLarge(tooBig.Limit)
		}
		return nil, problem(http.StatusBadRequest, CodeBadRequest, "the request body could not be read")
	}
	body := &bodyReader{}
	body.Reset(data)
	r.Body = body
	if name, dup := duplicateMember(data); dup {
		return nil, problem(http.StatusBadRequest, CodeDuplicateMember, fmt.Sprintf("the body names the member %s twice", name))
	}
	return data, nil
}

// bodyReader is a body read whole, put back.
type bodyReader struct{ bytes.Reader }

func (*bodyReader) Close() error { return nil }

// isJSON reports whether a Content-Type is JSON's, or missing (which the
// API reads as JSON).
func isJSON(ct string) bool {
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// duplicateMember returns the path of the first member an object of data
// names twice ("fields.email"), and whether there is one. Data that is not
// JSON has none (the handler refuses it). It scans the bytes once, without
// decoding values: it runs on every request with a body.
func duplicateMember(data []byte) (string, bool) {
	type frame struct {
		path  string
		first int    // where the object's names start in names; -1 in an array
		name  []byte // the member whose value comes next
	}
	join := func(path string, name []byte) string {
		if path == "" {
			return string(name)
		}
		return path + "." + string(name)
	}
	// The member names of the objects open, the innermost's last: a
	// request's few fit the arrays, on the stack.
	var stackArr [8]frame
	var namesArr [16][]byte
	stack, names := stackArr[:0], namesArr[:0]
	expectName := false
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '"':
			end := stringEnd(data, i)
			if end < 0 {
				return "", false
			}
			if expectName && len(stack) > 0 && stack[len(stack)-1].first >= 0 {
				top := &stack[len(stack)-1]
				name := unquoted(data[i+1 : end])
				for _, n := range names[top.first:] {
					// encoding/json takes "Choice" for choice: one
					// member, twice.
					if bytes.EqualFold(n, name) {
						path := ""
						for _, f := range stack[:len(stack)-1] {
							if f.first >= 0 {
								path = join(path, f.name)
							} else {
								path += "[]"
							}
						}
						return join(path, name), true
					}
				}
				names = append(names, name)
				top.name = name
				expectName = false
			}
			i = end
		case '{', '[':
			f := frame{first: -1}
			if c == '{' {
				f.first = len(names)
			}
			stack = append(stack, f)
			expectName = c == '{'
		case '}', ']':
			if len(stack) == 0 {
				return "", false
			}
			if top := stack[len(stack)-1]; top.first >= 0 {
				names = names[:top.first]
			}
			stack = stack[:len(stack)-1]
		case ',':
			expectName = len(stack) > 0 && stack[len(stack)-1].first >= 0
		}
	}
	return "", false
}

// stringEnd returns the index of the quote that closes the JSON string
// opening at data[i], or -1 when data ends first.
func stringEnd(data []byte, i int) int {
	end := i + 1
	for end < len(data) && data[end] != '"' {
		if data[end] == '\\' {
			end++
		}
		end++
	}
	if end >= len(data) {
		return -1
	}
	return end
}

// unquoted is a member name as a string, its escapes undone when it has
// any (two spellings of one name are one name to a decoder).
func unquoted(raw []byte) []byte {
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw
	}
	var s string
	if json.Unmarshal(append(append([]byte{'"'}, raw...), '"'), &s) != nil {
		return raw
	}
	return []byte(s)
}
