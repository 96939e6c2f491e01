package config

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Problem is one thing wrong with the configuration, named by key path.
type Problem struct {
	Key    string // e.g. "serve.public.port", "secrets.system[1]"
	Msg    string // e.g. "must be between 1 and 65535 (got 0)"
	Source string // "file a.yaml", "env SERVE_PUBLIC_PORT"; empty for rules across keys
}

func (p Problem) String() string {
	s := p.Msg
	if p.Key != "" {
		s = p.Key + ": " + p.Msg
	}
	if p.Source != "" {
		s += " (from " + p.Source + ")"
	}
	return s
}

// Error carries every problem found, so one failed start shows them all.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	if len(e.Problems) == 1 {
		return "configuration: " + e.Problems[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "configuration has %d problems:", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  " + p.String())
	}
	return b.String()
}

// Validate applies the rules that span keys or depend on dev mode to a
// decoded Config. Single values were already checked against the key table
// while loading; the lead can call Validate again on a reloaded snapshot.
func Validate(c *Config) error {
	var ps []Problem
	add := func(key, format string, args ...any) {
		ps = append(ps, Problem{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	if len(c.Secrets.System) == 0 {
		add("secrets.system", "is required: set SECRETS_SYSTEM (or secrets.system in a config file) to a random string of at least 16 characters, or run with --dev to use a throwaway one")
	}
	if msg := issuerProblem(c.URLs.Self.Issuer, c.Dev); msg != "" {
		add("urls.self.issuer", "%s", msg)
	}
	pub, adm := c.Serve.Public, c.Serve.Admin
	if pub.Port == adm.Port && pub.Host == adm.Host && !strings.HasPrefix(pub.Host, "unix:") {
		add("serve.admin.port", "must differ from serve.public.port (both are %d)", pub.Port)
	}
	ps = append(ps, listenProblems(c)...)
	ps = append(ps, tlsProblems(c)...)
	ps = append(ps, corsProblems(c)...)
	sub := c.OIDC.SubjectIdentifiers
	if slices.Contains(sub.SupportedTypes, "pairwise") && sub.Pairwise.Salt == "" {
		add("oidc.subject_identifiers.pairwise.salt", "is required when supported_types includes pairwise")
	}
	uc := c.OAuth2.DeviceAuthorization.UserCode
	if uc.EntropyPreset != "" && (uc.Length != 0 || uc.CharacterSet != "") {
		add("oauth2.device_authorization.user_code", "set either entropy_preset or length with character_set, not both")
	} else if (uc.Length == 0) != (uc.CharacterSet == "") {
		add("oauth2.device_authorization.user_code", "length and character_set must be set together")
	}
	for key, h := range map[string]Hook{"oauth2.token_hook": c.OAuth2.TokenHook, "oauth2.refresh_token_hook": c.OAuth2.RefreshTokenHook} {
		ps = append(ps, hookProblems(key, h)...)
	}
	ps = append(ps, rotationProblems(c)...)
	if par := c.OAuth2.PushedAuthorizationRequests; par.Required && !par.Enabled {
		add("oauth2.pushed_authorization_requests.required",
			"cannot be true while oauth2.pushed_authorization_requests.enabled is false: no client could authorize")
	}
	if len(ps) == 0 {
		return nil
	}
	// Map iteration above is unordered; sort so messages are stable.
	slices.SortFunc(ps, func(a, b Problem) int { return strings.Compare(a.Key, b.Key) })
	return &Error{Problems: ps}
}

// issuerProblem: the issuer is what tokens carry in "iss" and what clients
// pin, so it must be present and https outside dev mode (OIDC Discovery §3
// also forbids query and fragment).
func issuerProblem(issuer string, dev bool) string {
	if issuer == "" {
		return "is required: set URLS_SELF_ISSUER (or urls.self.issuer) to the public https URL of Signet, e.g. https://auth.example.com/"
	}
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" {
		return "must be an absolute URL"
	}
	switch {
	case u.RawQuery != "" || u.Fragment != "" || strings.Contains(issuer, "#"):
		return "must not have a query or fragment"
	case u.Scheme == "https":
	case u.Scheme == "http" && dev:
	case u.Scheme == "http":
		return fmt.Sprintf("must use https outside dev mode (got %q); run with --dev for a local http issuer", issuer)
	default:
		return fmt.Sprintf("must be an https URL (got %q)", issuer)
	}
	return ""
}

// hookProblems enforces webhook_config's required fields for the object form.
func hookProblems(key string, h Hook) []Problem {
	var ps []Problem
	if h.URL == "" && (h.Auth != HookAuth{}) {
		ps = append(ps, Problem{Key: key + ".url", Msg: "is required when the hook is configured"})
	}
	a := h.Auth
	if (a != HookAuth{}) {
		if a.Type == "" {
			ps = append(ps, Problem{Key: key + ".auth.type", Msg: "is required (api_key)"})
		}
		if a.Config.Name == "" || a.Config.Value == "" {
			ps = append(ps, Problem{Key: key + ".auth.config", Msg: "name and value are required"})
		}
	}
	return ps
}
