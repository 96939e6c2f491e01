package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits shared by every endpoint that reads a body or a query.
const (
	// MaxJSONBody bounds admin JSON bodies (a client with a large jwks fits).
	MaxJSONBody = 1 << 20
	// MaxFormBody bounds form posts to the token, revocation and
	// introspection endpoints.
	MaxFormBody = 64 << 10
	// MaxParamLen bounds a single form or query value.
	MaxParamLen = 8 << 10
)

// Strictness of JSON decoding.
type Strictness int

const (
	// AllowUnknown ignores fields the target does not have.
	AllowUnknown Strictness = iota
	// RejectUnknown refuses bodies with fields the target does not have.
	RejectUnknown
)

// DecodeJSON reads one JSON value into v. It refuses a wrong Content-Type
// (415), a body over max bytes (413), invalid UTF-8, malformed JSON, trailing
// data and, with RejectUnknown, unknown fields (400).
func DecodeJSON(r *http.Request, v any, max int64, strict Strictness) error {
	if err := requireContentType(r, "application/json"); err != nil {
		return err
	}
	raw, err := readBody(r, max)
	if err != nil {
		return err
	}
	return DecodeJSONBytes(raw, v, strict)
}

// DecodeJSONBytes is DecodeJSON's parsing half, for bodies already read.
func DecodeJSONBytes(raw []byte, v any, strict Strictness) error {
	if !utf8.Valid(raw) {
		return BadRequest("The request body is not valid UTF-8.")
	}
	// encoding/json treats a top-level null as "leave v unchanged", which
	// would let a body of null create or reset a record with defaults.
	if string(bytes.TrimSpace(raw)) == "null" {
		return BadRequest("The request body must be a JSON value, not null.")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if strict == RejectUnknown {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return BadRequest("The request body is not valid JSON for this endpoint: %s.", jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return BadRequest("The request body holds data after the JSON value.")
	}
	return nil
}

// jsonProblem describes a decode error without echoing large inputs.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return "syntax error at byte " + strconv.FormatInt(syn.Offset, 10)
	case errors.As(err, &typ):
		return "field " + quoteField(typ.Field) + " must be " + typ.Type.String()
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the body is empty or cut short"
	default:
		msg := err.Error()
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return strings.TrimPrefix(msg, "json: ")
	}
}

func quoteField(f string) string {
	if f == "" {
		return "(top level)"
	}
	return `"` + f + `"`
}

// ParseForm reads an application/x-www-form-urlencoded POST body strictly
// (RFC 6749 section 3.1: "Request and response parameters MUST NOT be
// included more than once"). Query parameters are not merged in. It refuses
// a wrong Content-Type, a body over max, invalid UTF-8, repeated parameters
// and values longer than MaxParamLen. repeatable names the parameters a
// later specification allows more than once (RFC 8707's "resource");
// every other parameter stays single.
func ParseForm(r *http.Request, max int64, repeatable ...string) (url.Values, error) {
	if err := requireContentType(r, "application/x-www-form-urlencoded"); err != nil {
		return nil, err
	}
	raw, err := readBody(r, max)
	if err != nil {
		return nil, err
	}
	return ParseStrictValues(string(raw), repeatable...)
}

// ParseQuery applies ParseForm's rules to the URL query of r.
func ParseQuery(r *http.Request, repeatable ...string) (url.Values, error) {
	if len(r.URL.RawQuery) > MaxFormBody {
		return nil, BadRequest("The query string is too long.")
	}
	return ParseStrictValues(r.URL.RawQuery, repeatable...)
}

// MaxRepeats bounds how often a repeatable parameter may occur.
const MaxRepeats = 20

// ParseStrictValues decodes s as URL-encoded values, refusing malformed
// escapes, invalid UTF-8, repeated keys (except those named in repeatable,
// up to MaxRepeats times) and oversized values.
func ParseStrictValues(s string, repeatable ...string) (url.Values, error) {
	vals, err := url.ParseQuery(s)
	if err != nil {
		return nil, BadRequest("The parameters are not correctly URL-encoded.")
	}
	for k, vs := range vals {
		if len(vs) > 1 && !slices.Contains(repeatable, k) {
			return nil, BadRequest("The parameter %q is included more than once.", Clip(k, 64))
		}
		if len(vs) > MaxRepeats {
			return nil, BadRequest("The parameter %q is included more than %d times.", Clip(k, 64), MaxRepeats)
		}
		if !utf8.ValidString(k) {
			return nil, BadRequest("A parameter is not valid UTF-8.")
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return nil, BadRequest("A parameter is not valid UTF-8.")
			}
			if len(v) > MaxParamLen {
				return nil, BadRequest("The parameter %q is longer than %d bytes.", Clip(k, 64), MaxParamLen)
			}
		}
	}
	return vals, nil
}

func requireContentType(r *http.Request, want string) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != want {
		return NewError(http.StatusUnsupportedMediaType, "invalid_request",
			"The request body must be sent with Content-Type %s.", want)
	}
	return nil
}

func readBody(r *http.Request, max int64) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(mbe.Limit)
		}
		return nil, BadRequest("The request body could not be read.").Because(err)
	}
	if int64(len(raw)) > max {
		return nil, tooLarge(max)
	}
	return raw, nil
}

func tooLarge(limit int64) *Error {
	return NewError(http.StatusRequestEntityTooLarge, "invalid_request",
		"The request body is larger than %d bytes.", limit)
}
