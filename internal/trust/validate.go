package trust

import (
	"encoding/json"
	"time"
	"unicode"

	"github.com/signet-oidc/signet/internal/httpx"
)

// Bounds on a trust request. Identifiers fit the store's unique index
// (issuer, subject, kid); scopes are the client metadata's bounds.
const (
	maxIdentLen   = 255
	maxScopes     = 100
	maxScopeToken = 255
	maxYear       = 9999
)

// Request is the body of POST /admin/trust/grants/jwt-bearer/issuers (the
// contract's trustOAuth2JwtGrantIssuer).
type Request struct {
	Issuer          string          `json:"issuer"`
	Subject         string          `json:"subject"`
	AllowAnySubject bool            `json:"allow_any_subject"`
	Scope           []string        `json:"scope"`
	JWK             json.RawMessage `json:"jwk"`
	ExpiresAt       time.Time       `json:"expires_at"`
}

// Validate checks a request and returns the grant it describes, without
// ID and CreatedAt. Every refusal is a 400 naming the field. The first
// checks and their wording follow Hydra's validator, so scripts written
// against Hydra see the same reasons.
func (r *Request) Validate(now time.Time) (*Grant, error) {
	if r.Issuer == "" {
		return nil, badField("Field 'issuer' is required.")
	}
	if err := checkIdent("issuer", r.Issuer); err != nil {
		return nil, err
	}
	if r.Subject == "" && !r.AllowAnySubject {
		return nil, badField("One of 'subject' or 'allow_any_subject' field must be set.")
	}
	if r.Subject != "" && r.AllowAnySubject {
		return nil, badField("Both 'subject' and 'allow_any_subject' fields cannot be set at the same time.")
	}
	if err := checkIdent("subject", r.Subject); err != nil {
		return nil, err
	}
	if r.ExpiresAt.IsZero() {
		return nil, badField("Field 'expires_at' is required.")
	}
	if !r.ExpiresAt.After(now) {
		return nil, badField("Field 'expires_at' must be in the future; a trust relationship that has already expired vouches for nothing.")
	}
	// RFC 3339 years have four digits, and so do the databases' time
	// columns: 9999-12-31T23:00:00-12:00 decodes, but is year 10000 in
	// UTC, which could be stored on some dialects and never shown again.
	if r.ExpiresAt.UTC().Year() > maxYear {
		return nil, badField("Field 'expires_at' must be before the year %d in UTC.", maxYear+1)
	}
	if err := checkScope(r.Scope); err != nil {
		return nil, err
	}
	key, canonical, err := ParseKey(r.JWK)
	if err != nil {
		return nil, err
	}
	return &Grant{
		Issuer:          r.Issuer,
		Subject:         r.Subject,
		AllowAnySubject: r.AllowAnySubject,
		Scope:           dedupe(r.Scope),
		KeyID:           key.KeyID,
		PublicKey:       canonical,
		// The stores keep microseconds; truncating here makes the
		// response equal to what a later read returns.
		ExpiresAt: r.ExpiresAt.UTC().Truncate(time.Microsecond),
	}, nil
}

// checkScope requires the scope array (the contract marks it required;
// an empty array is a relationship that grants no scope) of RFC 6749
// section 3.3 scope tokens.
func checkScope(scope []string) error {
	if scope == nil {
		return badField("Field 'scope' is required: the scopes the issuer's assertions may request ([] for none).")
	}
	if len(scope) > maxScopes {
		return badField("Field 'scope' must have at most %d entries.", maxScopes)
	}
	for _, s := range scope {
		if len(s) > maxScopeToken {
			return badField("Each entry of field 'scope' must be at most %d bytes.", maxScopeToken)
		}
		if !validScopeToken(s) {
			return badField("Field 'scope' holds %q, which is not a scope token (RFC 6749 section 3.3: printable ASCII without space, '\"' or '\\').", httpx.Clip(s, 64))
		}
	}
	return nil
}

// validScopeToken checks RFC 6749 section 3.3:
// scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
func validScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// checkIdent bounds issuer and subject: they are compared byte for byte
// with an assertion's claims, so control characters can only be mistakes
// (or attempts to forge log lines).
func checkIdent(field, v string) error {
	if len(v) > maxIdentLen {
		return badField("Field '%s' must be at most %d bytes.", field, maxIdentLen)
	}
	if !printable(v) {
		return badField("Field '%s' must not contain control characters.", field)
	}
	return nil
}

func printable(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

func dedupe(in []string) []string {
	out := make([]string, 0, len(in))
	seen := make(map[string]bool, len(in))
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// badField is the admin API's 400 for a request the contract's schema or
// these rules refuse.
func badField(format string, args ...any) error {
	return httpx.BadRequest(format, args...)
}
