package oauth2

import (
	"slices"
	"strings"
)

// Scope strategies (strategies.scope) decide whether the scopes a client
// (or a token) holds cover a requested scope. RFC 6749 section 3.3 leaves
// the meaning of scope values to the server.

// ScopeStrategy reports whether one requested scope is covered by granted.
type ScopeStrategy func(granted []string, requested string) bool

// Exact covers a requested scope only by an identical granted scope.
func Exact(granted []string, requested string) bool {
	for _, g := range granted {
		if g == requested {
			return true
		}
	}
	return false
}

// Wildcard is Hydra's default "wildcard" strategy. Scopes are split on ".";
// a granted scope covers a requested one when:
//   - they are equal; or
//   - they have the same number of segments, and each granted segment either
//     equals the requested one or is "*", which matches any one non-empty
//     segment ("foo.*.read" covers "foo.bar.read"); or
//   - the granted scope ends in "*" and has fewer segments: the trailing "*"
//     matches one or more further non-empty segments ("foo.*" covers
//     "foo.bar" and "foo.bar.baz", but not "foo" or "foo.").
//
// A granted scope without a wildcard never covers a longer one ("foo" does
// not cover "foo.bar"), and a bare "*" covers every scope whose segments are
// all non-empty.
func Wildcard(granted []string, requested string) bool {
	for _, g := range granted {
		if g == requested || (strings.Contains(g, "*") && wildcardCovers(g, requested)) {
			return true
		}
	}
	return false
}

func wildcardCovers(granted, requested string) bool {
	gs := strings.Split(granted, ".")
	rs := strings.Split(requested, ".")
	if len(gs) > len(rs) {
		return false
	}
	last := len(gs) - 1
	for i, g := range gs {
		if g == "*" {
			if rs[i] == "" {
				return false
			}
			continue
		}
		if g != rs[i] {
			return false
		}
		if i == last && len(gs) != len(rs) {
			return false // a literal last segment cannot absorb more segments
		}
	}
	if len(gs) < len(rs) {
		// Only a trailing "*" gets here; the absorbed segments must be non-empty.
		for _, r := range rs[len(gs):] {
			if r == "" {
				return false
			}
		}
	}
	return true
}

// ScopeStrategyFor maps strategies.scope to a strategy; anything but
// "exact" is the wildcard default (config validation refuses other values).
func ScopeStrategyFor(name string) ScopeStrategy {
	if name == "exact" {
		return Exact
	}
	return Wildcard
}

// SplitScope splits a space-delimited scope parameter (RFC 6749 section
// 3.3), dropping empty items from repeated spaces.
func SplitScope(s string) []string {
	var out []string
	for _, item := range strings.Split(s, " ") {
		if item != "" {
			out = append(out, item)
		}
	}
	return out
}

// ValidScopeToken checks RFC 6749 section 3.3:
// scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
func ValidScopeToken(s string) bool {
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

// Dedupe drops repeated items of a scope, audience or other space-delimited
// list, keeping the first occurrence's order.
func Dedupe(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
