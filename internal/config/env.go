package config

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// envMap builds a raw map from the environment, Hydra's way: each key's
// variable is its path with dots turned into underscores, upper-cased
// (urls.self.issuer is URLS_SELF_ISSUER). The table drives the lookup, so
// names containing underscores (TTL_ACCESS_TOKEN) are never split and
// unrelated variables (PATH, HOME) are never read.
//
// Values are typed here by the key's kind; the checker then applies the same
// rules as for files. Empty variables count as unset, so `FOO=` in a
// compose file does not override a file value with nothing.
func envMap(s *Schema, environ []string) (map[string]any, []Problem) {
	vars := make(map[string]string, len(environ))
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if _, seen := vars[name]; ok && !seen { // first wins, like os.Getenv
			vars[name] = value
		}
	}
	out := map[string]any{}
	var ps []Problem
	setBy := map[string]string{} // key path -> variable, to name conflicts
	for _, k := range s.Keys() {
		if k.Kind == KindOpen {
			continue // free-form sections have no env mapping
		}
		name := k.Env()
		raw := vars[name]
		if raw == "" {
			continue
		}
		v, msg := parseEnv(k, raw)
		if msg == "" {
			msg = setPath(out, k.Path, v, setBy)
			setBy[k.Path] = name
		}
		if msg != "" {
			ps = append(ps, Problem{Key: k.Path, Msg: msg, Source: "env " + name})
		}
	}
	return out, ps
}

// parseEnv turns a variable's text into the value a file would hold.
func parseEnv(k Key, raw string) (any, string) {
	switch k.Kind {
	case KindBool:
		switch strings.ToLower(raw) {
		case "true":
			return true, ""
		case "false":
			return false, ""
		}
		return nil, "must be true or false (got " + shown(k, raw) + ")"
	case KindInt:
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return nil, "must be a whole number (got " + shown(k, raw) + ")"
		}
		return n, ""
	case KindNumber:
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return nil, "must be a number (got " + shown(k, raw) + ")"
		}
		return f, ""
	case KindStringList:
		return parseEnvList(k, raw)
	case KindStringMap:
		var m map[string]any
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			return nil, `must be a JSON object such as {"Authorization":"Bearer ..."}`
		}
		return m, ""
	case KindObjectList:
		var items []any
		if err := json.Unmarshal([]byte(raw), &items); err != nil {
			return nil, `must be a JSON array of objects such as [{"client_id":"app"}]`
		}
		return items, ""
	}
	return raw, "" // strings, durations ("-1" included) and hook URLs
}

// parseEnvList reads a comma list ("a,b"), or a JSON array of strings for
// items that contain commas. Empty items ("a,,b", a trailing comma) are
// dropped.
func parseEnvList(k Key, raw string) (any, string) {
	if strings.HasPrefix(strings.TrimSpace(raw), "[") {
		var items []any
		if err := json.Unmarshal([]byte(raw), &items); err != nil {
			return nil, "must be a comma-separated list or a JSON array of strings"
		}
		return items, ""
	}
	var items []any
	for _, item := range strings.Split(raw, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items, ""
}

// setPath stores v at the dotted path, creating objects on the way. It
// fails when a variable for a parent key already holds a plain value, e.g.
// OAUTH2_TOKEN_HOOK (a URL) together with OAUTH2_TOKEN_HOOK_URL.
func setPath(m map[string]any, path string, v any, setBy map[string]string) string {
	parts := strings.Split(path, ".")
	for i, part := range parts[:len(parts)-1] {
		next, ok := m[part]
		if !ok {
			child := map[string]any{}
			m[part] = child
			m = child
			continue
		}
		child, isMap := next.(map[string]any)
		if !isMap {
			return fmt.Sprintf("cannot be combined with %s", setBy[strings.Join(parts[:i+1], ".")])
		}
		m = child
	}
	m[parts[len(parts)-1]] = v
	return ""
}
