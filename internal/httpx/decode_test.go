package httpx_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/signet-oidc/signet/internal/httpx"
)

// target is a typical admin body: a few typed fields.
type target struct {
	Name  string   `json:"name"`
	Count int      `json:"count"`
	Tags  []string `json:"tags"`
	Inner struct {
		Port int `json:"port"`
	} `json:"inner"`
}

func jsonRequest(contentType, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/admin/clients", strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	return r
}

// wantError asserts err is an *httpx.Error with the given status and that
// its description mentions every fragment.
func wantError(t *testing.T, err error, status int, fragments ...string) *httpx.Error {
	t.Helper()
	var e *httpx.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want *httpx.Error with status %d", err, err, status)
	}
	if e.Status != status {
		t.Fatalf("status = %d, want %d (error: %v)", e.Status, status, e)
	}
	if e.Code != "invalid_request" {
		t.Errorf("code = %q, want invalid_request", e.Code)
	}
	for _, f := range fragments {
		if !strings.Contains(e.Description, f) {
			t.Errorf("description %q does not mention %q", e.Description, f)
		}
	}
	return e
}

func TestDecodeJSONAccepts(t *testing.T) {
	for name, ct := range map[string]string{
		"plain":          "application/json",
		"charset":        "application/json; charset=utf-8",
		"charset quoted": `application/json; charset="UTF-8"`,
		"upper case":     "Application/JSON",
	} {
		t.Run(name, func(t *testing.T) {
			var v target
			body := `{"name":"app","count":3,"tags":["a"],"inner":{"port":8080}}` + "\n"
			if err := httpx.DecodeJSON(jsonRequest(ct, body), &v, httpx.MaxJSONBody, httpx.RejectUnknown); err != nil {
				t.Fatalf("DecodeJSON: %v", err)
			}
			if v.Name != "app" || v.Count != 3 || len(v.Tags) != 1 || v.Inner.Port != 8080 {
				t.Fatalf("decoded %+v", v)
			}
		})
	}
}

func TestDecodeJSONContentType(t *testing.T) {
	for name, ct := range map[string]string{
		"missing":   "",
		"form":      "application/x-www-form-urlencoded",
		"text":      "text/plain",
		"json-ish":  "application/jsonp",
		"malformed": "application/json; charset",
	} {
		t.Run(name, func(t *testing.T) {
			var v target
			err := httpx.DecodeJSON(jsonRequest(ct, `{"name":"x"}`), &v, httpx.MaxJSONBody, httpx.AllowUnknown)
			wantError(t, err, http.StatusUnsupportedMediaType, "application/json")
			if v.Name != "" {
				t.Errorf("body was decoded despite the wrong content type")
			}
		})
	}
}

func TestDecodeJSONTooLarge(t *testing.T) {
	const limit = 32
	body := `{"name":"` + strings.Repeat("a", 64) + `"}`

	t.Run("over the max argument", func(t *testing.T) {
		var v target
		err := httpx.DecodeJSON(jsonRequest("application/json", body), &v, limit, httpx.AllowUnknown)
		wantError(t, err, http.StatusRequestEntityTooLarge, "32 bytes")
	})

	t.Run("exactly at the max", func(t *testing.T) {
		var v target
		exact := `{"name":"` + strings.Repeat("a", limit-11) + `"}`
		if len(exact) != limit {
			t.Fatalf("test body is %d bytes, want %d", len(exact), limit)
		}
		if err := httpx.DecodeJSON(jsonRequest("application/json", exact), &v, limit, httpx.AllowUnknown); err != nil {
			t.Fatalf("a body of exactly max bytes was refused: %v", err)
		}
	})

	t.Run("streamed past a MaxBytesReader", func(t *testing.T) {
		// The middleware wraps bodies of unknown length in a
		// MaxBytesReader; its limit, not DecodeJSON's, is reported.
		r := jsonRequest("application/json", "")
		r.Body = http.MaxBytesReader(httptest.NewRecorder(), io.NopCloser(strings.NewReader(body)), limit)
		r.ContentLength = -1
		var v target
		err := httpx.DecodeJSON(r, &v, httpx.MaxJSONBody, httpx.AllowUnknown)
		wantError(t, err, http.StatusRequestEntityTooLarge, "32 bytes")
	})
}

// failingReader is a body whose connection broke mid-read.
type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset by peer") }

func TestDecodeJSONBrokenBody(t *testing.T) {
	r := jsonRequest("application/json", "")
	r.Body = io.NopCloser(failingReader{})
	var v target
	e := wantError(t, httpx.DecodeJSON(r, &v, httpx.MaxJSONBody, httpx.AllowUnknown), http.StatusBadRequest)
	if strings.Contains(e.Description, "reset") {
		t.Errorf("the read error leaked into the description: %q", e.Description)
	}
	if !strings.Contains(e.Error(), "reset") {
		t.Errorf("the read error is not kept as the cause: %q", e.Error())
	}
}

func TestDecodeJSONRefuses(t *testing.T) {
	cases := []struct {
		name      string
		body      string
		strict    httpx.Strictness
		fragments []string
	}{
		{"empty body", ``, httpx.AllowUnknown, []string{"empty"}},
		{"cut short", `{"name":"x"`, httpx.AllowUnknown, []string{"empty or cut short"}},
		{"invalid UTF-8 in a string", "{\"name\":\"\xff\xfe\"}", httpx.AllowUnknown, []string{"UTF-8"}},
		{"overlong UTF-8 encoding", "{\"name\":\"\xc0\xaf\"}", httpx.AllowUnknown, []string{"UTF-8"}},
		{"syntax error names the byte", `{"name": "x",, "count": 1}`, httpx.AllowUnknown, []string{"syntax error at byte 14"}},
		{"single quotes", `{'name':'x'}`, httpx.AllowUnknown, []string{"syntax error at byte 2"}},
		{"trailing object", `{"name":"x"}{"name":"y"}`, httpx.AllowUnknown, []string{"after the JSON value"}},
		{"trailing garbage", `{"name":"x"} junk`, httpx.AllowUnknown, []string{"after the JSON value"}},
		{"trailing brace", `{"name":"x"}}`, httpx.AllowUnknown, []string{"after the JSON value"}},
		{"unknown field when strict", `{"name":"x","client_secret_hash":"y"}`, httpx.RejectUnknown, []string{`unknown field "client_secret_hash"`}},
		{"type mismatch names the field", `{"count":"three"}`, httpx.AllowUnknown, []string{`field "count" must be int`}},
		{"nested type mismatch names the path", `{"inner":{"port":"http"}}`, httpx.AllowUnknown, []string{`"inner.port"`, "int"}},
		{"array element mismatch", `{"tags":[1]}`, httpx.AllowUnknown, []string{`"tags`, "string"}},
		{"top-level type mismatch", `[1,2]`, httpx.AllowUnknown, []string{"(top level)"}},
		{"number overflow", `{"count":1e400}`, httpx.AllowUnknown, []string{`"count"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var v target
			err := httpx.DecodeJSON(jsonRequest("application/json", tc.body), &v, httpx.MaxJSONBody, tc.strict)
			wantError(t, err, http.StatusBadRequest, tc.fragments...)
		})
	}
}

func TestDecodeJSONAllowUnknownIgnoresExtraFields(t *testing.T) {
	var v target
	err := httpx.DecodeJSON(jsonRequest("application/json", `{"name":"x","extra":{"deep":[1,2]}}`), &v, httpx.MaxJSONBody, httpx.AllowUnknown)
	if err != nil || v.Name != "x" {
		t.Fatalf("DecodeJSON = %v, name %q", err, v.Name)
	}
}

func TestDecodeJSONDoesNotEchoLargeInput(t *testing.T) {
	// An unknown field name is attacker-chosen: the description must stay
	// bounded however long it is.
	long := strings.Repeat("k", 10_000)
	var v target
	err := httpx.DecodeJSONBytes([]byte(`{"`+long+`":1}`), &v, httpx.RejectUnknown)
	e := wantError(t, err, http.StatusBadRequest)
	if len(e.Description) > 400 {
		t.Fatalf("description is %d bytes; it echoes the input", len(e.Description))
	}
}

func TestDecodeJSONDeepNesting(t *testing.T) {
	// A stranger can send deeply nested arrays; that is a 400, not a crash.
	body := strings.Repeat("[", 20_000) + strings.Repeat("]", 20_000)
	var v any
	wantError(t, httpx.DecodeJSONBytes([]byte(body), &v, httpx.AllowUnknown), http.StatusBadRequest)
}

func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		``, `{}`, `null`, `[]`, `{"name":"x","count":1}`, `{"count":"1"}`, `{"inner":{"port":1e9999}}`,
		`{"a":1}{"b":2}`, "{\"name\":\"\xff\"}", `{"name":"\ud800"}`, `{"tags":[null,true,"x"]}`,
		strings.Repeat("[", 100), `{"name":"x",}`, `"just a string"`, `{"Name":"case"}`,
	} {
		f.Add([]byte(seed), true)
	}
	f.Fuzz(func(t *testing.T, body []byte, strict bool) {
		s := httpx.AllowUnknown
		if strict {
			s = httpx.RejectUnknown
		}
		var v target
		err := httpx.DecodeJSONBytes(body, &v, s)
		if err == nil {
			return
		}
		var e *httpx.Error
		if !errors.As(err, &e) || e.Status != http.StatusBadRequest {
			t.Fatalf("refusal is not a 400 *httpx.Error: %v", err)
		}
		if len(e.Description) > 400 {
			t.Fatalf("description of %d bytes", len(e.Description))
		}
	})
}

func formRequest(contentType, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/oauth2/token?grant_type=from_query", strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	return r
}

func TestParseFormAccepts(t *testing.T) {
	r := formRequest("application/x-www-form-urlencoded; charset=UTF-8",
		"grant_type=client_credentials&scope=a+b%20c&client_id=%E2%9C%93&empty=")
	vals, err := httpx.ParseForm(r, httpx.MaxFormBody)
	if err != nil {
		t.Fatalf("ParseForm: %v", err)
	}
	want := map[string]string{"grant_type": "client_credentials", "scope": "a b c", "client_id": "✓", "empty": ""}
	for k, v := range want {
		if got := vals.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if len(vals) != len(want) {
		t.Errorf("got %d parameters %v, want %d (the query must not be merged in)", len(vals), vals, len(want))
	}
}

func TestParseFormEmptyBody(t *testing.T) {
	for name, r := range map[string]*http.Request{
		"empty": formRequest("application/x-www-form-urlencoded", ""),
		"nil body": func() *http.Request {
			r := formRequest("application/x-www-form-urlencoded", "")
			r.Body = nil
			return r
		}(),
	} {
		t.Run(name, func(t *testing.T) {
			vals, err := httpx.ParseForm(r, httpx.MaxFormBody)
			if err != nil || len(vals) != 0 {
				t.Fatalf("ParseForm = %v, %v; want no parameters and no error", vals, err)
			}
		})
	}
}

func TestParseFormContentType(t *testing.T) {
	for _, ct := range []string{"", "application/json", "multipart/form-data; boundary=x", "text/plain"} {
		_, err := httpx.ParseForm(formRequest(ct, "grant_type=client_credentials"), httpx.MaxFormBody)
		wantError(t, err, http.StatusUnsupportedMediaType, "application/x-www-form-urlencoded")
	}
}

func TestParseFormTooLarge(t *testing.T) {
	body := "scope=" + strings.Repeat("a", 100)
	_, err := httpx.ParseForm(formRequest("application/x-www-form-urlencoded", body), 64)
	wantError(t, err, http.StatusRequestEntityTooLarge, "64 bytes")
}

// TestParseStrictValuesRefuses holds the attack cases against the strict
// parser shared by form bodies and queries.
func TestParseStrictValuesRefuses(t *testing.T) {
	long := strings.Repeat("a", httpx.MaxParamLen+1)
	cases := []struct {
		name, in, fragment string
	}{
		// RFC 6749 section 3.1: parameters MUST NOT be included more than once.
		{"repeated key", "grant_type=password&grant_type=client_credentials", `"grant_type" is included more than once`},
		{"repeated key, one empty", "scope=&scope=admin", `"scope"`},
		{"repeated key without values", "a&a", `"a"`},
		{"repeated key hidden by escaping", "client_id=a&%63lient_id=b", `"client_id"`},
		{"repeated key hidden by plus", "a+b=1&a%20b=2", `"a b"`},
		{"bad escape in value", "code=%zz", "URL-encoded"},
		{"truncated escape", "code=abc%4", "URL-encoded"},
		{"bad escape in key", "%g1=1", "URL-encoded"},
		{"semicolon separator", "a=1;b=2", "URL-encoded"},
		{"invalid UTF-8 in value", "state=%ff%fe", "UTF-8"},
		{"invalid UTF-8 in key", "%c3%28=1", "UTF-8"},
		{"surrogate half in value", "state=%ed%a0%80", "UTF-8"},
		{"value longer than MaxParamLen", "assertion=" + long, "longer than 8192 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vals, err := httpx.ParseStrictValues(tc.in)
			wantError(t, err, http.StatusBadRequest, tc.fragment)
			if vals != nil {
				t.Errorf("values returned alongside the error: %v", vals)
			}
		})
	}
}

func TestParseStrictValuesBoundsEcho(t *testing.T) {
	// A repeated, very long key is named in the description, but only its start.
	key := strings.Repeat("k", 5000)
	_, err := httpx.ParseStrictValues(key + "=1&" + key + "=2")
	e := wantError(t, err, http.StatusBadRequest, "more than once")
	if len(e.Description) > 200 {
		t.Fatalf("description is %d bytes; the key is echoed whole", len(e.Description))
	}
}

func TestParseStrictValuesAtLimit(t *testing.T) {
	v := strings.Repeat("a", httpx.MaxParamLen)
	vals, err := httpx.ParseStrictValues("assertion=" + v)
	if err != nil || vals.Get("assertion") != v {
		t.Fatalf("a value of exactly MaxParamLen bytes was refused: %v", err)
	}
}

func TestParseQuery(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/oauth2/auth?client_id=app&state=%E2%9C%93&redirect_uri=https%3A%2F%2Fa.example%2Fcb", nil)
	vals, err := httpx.ParseQuery(r)
	if err != nil {
		t.Fatalf("ParseQuery: %v", err)
	}
	if vals.Get("state") != "✓" || vals.Get("redirect_uri") != "https://a.example/cb" {
		t.Fatalf("ParseQuery = %v", vals)
	}

	r = httptest.NewRequest(http.MethodGet, "/oauth2/auth?client_id=a&client_id=b", nil)
	_, err = httpx.ParseQuery(r)
	wantError(t, err, http.StatusBadRequest, `"client_id" is included more than once`)

	r = httptest.NewRequest(http.MethodGet, "/oauth2/auth?"+strings.Repeat("x=1&", httpx.MaxFormBody/4+1), nil)
	_, err = httpx.ParseQuery(r)
	wantError(t, err, http.StatusBadRequest, "too long")
}

func FuzzParseStrictValues(f *testing.F) {
	for _, seed := range []string{
		"", "a=1", "a=1&a=2", "a&a", "a=1&%61=2", "%zz", "a=%ff", "%c3%28=1", "a=1;b=2",
		"&&&", "=", "==", "a==b", "+=+", "a=%e2%9c%93", "a+b=1&a%20b=2", "k=" + strings.Repeat("v", httpx.MaxParamLen+1),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		vals, err := httpx.ParseStrictValues(s)
		if err != nil {
			var e *httpx.Error
			if !errors.As(err, &e) || e.Status != http.StatusBadRequest {
				t.Fatalf("refusal is not a 400 *httpx.Error: %v", err)
			}
			return
		}
		for k, vs := range vals {
			if len(vs) != 1 {
				t.Fatalf("accepted %q with %d values for key %q", s, len(vs), k)
			}
			if !utf8.ValidString(k) || !utf8.ValidString(vs[0]) {
				t.Fatalf("accepted invalid UTF-8 in %q", s)
			}
			if len(vs[0]) > httpx.MaxParamLen {
				t.Fatalf("accepted a value of %d bytes", len(vs[0]))
			}
		}
	})
}

// TestParseStrictValuesRepeatable: only the named parameters may repeat
// (RFC 8707's resource), each value still checked, and the count bounded.
func TestParseStrictValuesRepeatable(t *testing.T) {
	vals, err := httpx.ParseStrictValues("resource=https%3A%2F%2Fa.example&resource=https%3A%2F%2Fb.example&scope=x", "resource")
	if err != nil || len(vals["resource"]) != 2 {
		t.Fatalf("repeated resource refused: %v %v", err, vals)
	}
	for _, tc := range []struct{ name, in, fragment string }{
		{"another parameter repeated", "resource=a&scope=x&scope=y", `"scope" is included more than once`},
		{"repeated key hidden by escaping", "resource=a&%63lient_id=a&client_id=b", `"client_id"`},
		{"too many repeats", strings.Repeat("resource=a&", httpx.MaxRepeats+1), "more than 20 times"},
		{"invalid UTF-8 in a later value", "resource=a&resource=%ff", "UTF-8"},
		{"long later value", "resource=a&resource=" + strings.Repeat("a", httpx.MaxParamLen+1), "longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := httpx.ParseStrictValues(tc.in, "resource")
			wantError(t, err, http.StatusBadRequest, tc.fragment)
		})
	}
	// Without the allow-list, resource is as single as any parameter.
	_, err = httpx.ParseStrictValues("resource=a&resource=b")
	wantError(t, err, http.StatusBadRequest, `"resource" is included more than once`)
}
