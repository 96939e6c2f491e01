package config

import (
	"fmt"
	"math"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The contract's duration pattern, and a semantic version for "version".
// Compiled regexps are safe for concurrent use and never change.
var (
	durationPattern = regexp.MustCompile(`^([0-9]+(ns|us|ms|s|m|h))+$`)
	semverPattern   = regexp.MustCompile(`^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)
)

// checker walks one source's raw map (a parsed file, the environment, the
// defaults) against the key table. It returns a normalised copy whose leaf
// values have the Go types Config uses (int, float64, time.Duration,
// []string, map[string]string), and records every problem with its key path.
type checker struct {
	schema   *Schema
	source   func(key string) string // where the value came from, for messages
	problems []Problem
	set      []string // key paths this source set, for not-built warnings
}

func (c *checker) object(raw map[string]any, prefix string) map[string]any {
	out := make(map[string]any, len(raw))
	names := make([]string, 0, len(raw))
	for name := range raw {
		names = append(names, name)
	}
	slices.Sort(names) // problems in a stable order
	for _, name := range names {
		v := raw[name]
		if v == nil {
			continue // "key:" with no value in YAML: treat as unset
		}
		if nv, ok := c.value(join(prefix, name), v); ok {
			out[name] = nv
		}
	}
	return out
}

func (c *checker) value(path string, v any) (any, bool) {
	if k, ok := c.schema.Lookup(path); ok && k.Kind != KindOpen {
		if m, isMap := v.(map[string]any); isMap && k.Kind == KindHook {
			return c.object(m, path), true // webhook object: its fields are keys
		}
		nv, msg := normalize(k, v)
		if msg != "" {
			c.fail(k, path, msg)
			return nil, false
		}
		c.set = append(c.set, path)
		return nv, true
	}
	if c.schema.interior[path] {
		m, ok := v.(map[string]any)
		if !ok {
			c.add(path, path, "must be an object (got "+typeName(v)+")")
			return nil, false
		}
		return c.object(m, path), true
	}
	if open, ok := c.schema.openAncestor(path); ok {
		c.set = append(c.set, open)
		return v, true
	}
	c.add(path, path, "unknown configuration key")
	return nil, false
}

// fail records a value problem; a message starting "[i]: " or ".name: "
// (from normalize) names the list item or map entry, so it joins the path.
func (c *checker) fail(k Key, path, msg string) {
	if i := strings.Index(msg, ": "); i > 0 && (msg[0] == '[' || msg[0] == '.') {
		path, msg = path+msg[:i], msg[i+2:]
	}
	c.add(k.Path, path, msg)
}

func (c *checker) add(key, path, msg string) {
	c.problems = append(c.problems, Problem{Key: path, Msg: msg, Source: c.source(key)})
}

// normalize checks v against k and converts it to its Go type. A non-empty
// second result is the problem; it may start with "[i]" when a list item is
// at fault, which fail appends to the path.
func normalize(k Key, v any) (any, string) {
	switch k.Kind {
	case KindString, KindHook:
		s, ok := v.(string)
		if !ok {
			return nil, "must be a string (got " + typeName(v) + ")"
		}
		if msg := checkString(k, s); msg != "" {
			return nil, msg
		}
		if k.Kind == KindHook {
			return map[string]any{"url": s}, ""
		}
		return s, ""
	case KindBool:
		b, ok := v.(bool)
		if !ok {
			return nil, "must be true or false (got " + typeName(v) + ")"
		}
		return b, ""
	case KindInt:
		return normalizeInt(k, v)
	case KindNumber:
		f, ok := toFloat(v)
		if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, "must be a number (got " + typeName(v) + ")"
		}
		return f, ""
	case KindDuration:
		return normalizeDuration(k, v)
	case KindStringList:
		return normalizeList(k, v)
	case KindStringMap:
		return normalizeMap(v)
	case KindObjectList:
		return normalizeObjectList(v)
	}
	return nil, "has no value rules (internal error)"
}

func normalizeInt(k Key, v any) (any, string) {
	f, ok := toFloat(v)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return nil, "must be a whole number (got " + shown(k, v) + ")"
	}
	n := int64(f)
	if k.Min != nil && n < *k.Min || k.Max != nil && n > *k.Max {
		return nil, fmt.Sprintf("must be between %d and %d (got %d)", derefOr(k.Min, math.MinInt64), derefOr(k.Max, math.MaxInt64), n)
	}
	return int(n), ""
}

func normalizeDuration(k Key, v any) (any, string) {
	if k.Never {
		if f, ok := toFloat(v); ok && f == -1 {
			return time.Duration(-1), ""
		}
		if v == "-1" {
			return time.Duration(-1), ""
		}
	}
	s, ok := v.(string)
	if !ok || !durationPattern.MatchString(s) {
		hint := `must be a duration such as "1h", "30m" or "1h5m1s"`
		if k.Never {
			hint += ` or -1 for never`
		}
		return nil, hint + " (got " + shown(k, v) + ")"
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return nil, "is too long a duration (got " + shown(k, v) + ")"
	}
	if k.Positive && d <= 0 {
		return nil, "must be longer than 0s"
	}
	return d, ""
}

func normalizeList(k Key, v any) (any, string) {
	var items []any
	switch l := v.(type) {
	case []any:
		items = l
	case []string:
		for _, s := range l {
			items = append(items, s)
		}
	default:
		return nil, "must be a list of strings (got " + typeName(v) + ")"
	}
	out := make([]string, 0, len(items))
	for i, item := range items {
		s, ok := item.(string)
		if !ok {
			return nil, fmt.Sprintf("[%d]: must be a string (got %s)", i, typeName(item))
		}
		if msg := checkString(k, s); msg != "" {
			return nil, fmt.Sprintf("[%d]: %s", i, msg)
		}
		out = append(out, s)
	}
	return out, ""
}

func normalizeMap(v any) (any, string) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, "must be an object of strings (got " + typeName(v) + ")"
	}
	out := make(map[string]string, len(m))
	for name, item := range m {
		s, ok := item.(string)
		if !ok {
			return nil, fmt.Sprintf(".%s: must be a string (got %s)", name, typeName(item))
		}
		out[name] = s
	}
	return out, ""
}

// checkString applies enum, length and format rules to one string.
func checkString(k Key, s string) string {
	if len(k.Enum) > 0 && !slices.Contains(k.Enum, s) {
		return fmt.Sprintf("must be one of %s (got %s)", strings.Join(k.Enum, ", "), shown(k, s))
	}
	if len(s) < k.MinLen {
		return fmt.Sprintf("must be at least %d characters long", k.MinLen)
	}
	if s == "" {
		return "" // unset-equivalent; formats apply to values given
	}
	if msg := checkFormat(k.Format, s); msg != "" {
		return msg + " (got " + shown(k, s) + ")"
	}
	return ""
}

func checkFormat(f Format, s string) string {
	switch f {
	case FormatURI:
		if u, err := url.Parse(s); err != nil || u.Scheme == "" || u.Host == "" && u.Opaque == "" {
			return "must be an absolute URL"
		}
	case FormatURIRef:
		if _, err := url.Parse(s); err != nil {
			return "must be a URL or a path"
		}
	case FormatOrigin:
		if s == "*" {
			return ""
		}
		u, err := url.Parse(strings.Replace(s, "*", "wildcard", 1))
		if strings.Count(s, "*") > 1 || err != nil || u.Scheme == "" || u.Host == "" {
			return `must be an origin such as https://example.com or https://*.example.com, or "*"`
		}
	case FormatCIDR:
		if _, _, err := net.ParseCIDR(s); err != nil {
			return "must be an IP network in CIDR notation such as 10.0.0.0/8"
		}
	case FormatHostPort:
		if _, _, err := net.SplitHostPort(s); err != nil {
			return "must be host:port"
		}
	case FormatSemver:
		if !semverPattern.MatchString(s) {
			return "must be a version such as v2.2.0"
		}
	}
	return ""
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// shown renders a bad value for an error message, unless the key holds a
// secret: a mistyped secret must not end up in a log.
func shown(k Key, v any) string {
	if k.Sensitive {
		return "a value that is not shown because it is secret"
	}
	if s, ok := v.(string); ok {
		if len(s) > 64 {
			s = s[:64] + "…"
		}
		return fmt.Sprintf("%q", s)
	}
	if _, ok := toFloat(v); ok {
		return fmt.Sprint(v)
	}
	return typeName(v)
}

func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int, int64, uint64, float64:
		return "a number"
	case []any, []string:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func derefOr(p *int64, d int64) int64 {
	if p == nil {
		return d
	}
	return *p
}
