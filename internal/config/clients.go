package config

import (
	"fmt"
	"regexp"
	"strings"
)

// Declared clients (clients.declared, Signet only): OAuth 2.0 clients kept
// in the configuration file, so that a GitOps deployment needs no admin API
// calls. The key lives under Hydra's clients section, next to clients.http,
// because Hydra's schema makes clients an object. Each entry holds the admin
// API's client fields (oAuth2Client JSON names), which the client package
// decodes and validates with the admin API's own rules at start-up; this
// file only checks what the configuration itself must get right: a
// client_id to match stored clients by, and a secret given as a hash or by
// the name of an environment variable, never in plain text.

// DeclaredClient is one entry of clients.declared.
type DeclaredClient struct {
	// SecretHash is client_secret_hash: a PHC-style pbkdf2-sha256 or bcrypt
	// hash of the client's secret.
	SecretHash string `koanf:"client_secret_hash"`
	// SecretEnv is client_secret_env: the name of the environment variable
	// that holds the client's secret.
	SecretEnv string `koanf:"client_secret_env"`
	// Fields are every other field of the entry, keyed by the admin API's
	// JSON names, as the file gave them.
	Fields map[string]any `koanf:",remain"`
	// Secret is the value of the SecretEnv variable, read when the
	// configuration is loaded. It never comes from the file.
	Secret string `koanf:"-"`
}

// ID is the entry's client_id ("" when absent or not a string).
func (d DeclaredClient) ID() string {
	id, _ := d.Fields["client_id"].(string)
	return id
}

// envVarName is what a shell accepts as a variable name; anything else in
// client_secret_env is a mistake (often a secret pasted in by accident).
var envVarName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// maxDeclaredClients bounds the list; each entry costs a database read and
// possibly a hash at every start.
const maxDeclaredClients = 1000

// declaredProblems checks clients.declared and fills each entry's Secret
// from environ. Problems name the entry by index, like other list keys.
func declaredProblems(c *Config, environ []string) []Problem {
	list := c.Clients.Declared
	var ps []Problem
	add := func(i int, field, format string, args ...any) {
		key := fmt.Sprintf("clients.declared[%d]", i)
		if field != "" {
			key += "." + field
		}
		ps = append(ps, Problem{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	if len(list) > maxDeclaredClients {
		return []Problem{{Key: "clients.declared", Msg: fmt.Sprintf("must have at most %d entries (got %d)", maxDeclaredClients, len(list))}}
	}
	seen := map[string]int{}
	for i := range list {
		d := &list[i]
		id := d.ID()
		switch {
		case id == "" || strings.TrimSpace(id) != id:
			add(i, "client_id", "is required: a declared client is matched to the stored one by its client_id")
		case seen[id] > 0:
			add(i, "client_id", "repeats the client_id of clients.declared[%d]", seen[id]-1)
		default:
			seen[id] = i + 1
		}
		if _, ok := d.Fields["client_secret"]; ok {
			add(i, "client_secret", "a plaintext secret is not accepted in the configuration: give client_secret_hash "+
				"(a pbkdf2-sha256 or bcrypt hash of the secret) or client_secret_env (the name of an environment variable that holds it)")
		}
		if d.SecretHash != "" && d.SecretEnv != "" {
			add(i, "", "set client_secret_hash or client_secret_env, not both")
		}
		if d.SecretEnv == "" {
			continue
		}
		if !envVarName.MatchString(d.SecretEnv) {
			// Not echoed: a secret pasted here by mistake must not reach a log.
			add(i, "client_secret_env", "must be the name of an environment variable (letters, digits and _), not the secret itself")
			continue
		}
		d.Secret = lookupEnv(environ, d.SecretEnv)
		if d.Secret == "" {
			add(i, "client_secret_env", "names the environment variable %s, which is not set or empty", d.SecretEnv)
		}
	}
	return ps
}

// lookupEnv is os.Getenv over an environ list: the first entry wins.
func lookupEnv(environ []string, name string) string {
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}

// normalizeObjectList checks that v is a list of objects and returns a copy
// whose objects all have string keys, so that the reader can encode each
// one as JSON. The objects' fields are the reading feature's to check.
func normalizeObjectList(v any) (any, string) {
	items, ok := v.([]any)
	if !ok {
		return nil, "must be a list of objects (got " + typeName(v) + ")"
	}
	out := make([]any, 0, len(items))
	for i, item := range items {
		m, ok := stringKeys(item).(map[string]any)
		if !ok {
			return nil, fmt.Sprintf("[%d]: must be an object (got %s)", i, typeName(item))
		}
		out = append(out, m)
	}
	return out, ""
}

// stringKeys converts YAML's map[any]any, at any depth, into
// map[string]any; other values are returned as they are.
func stringKeys(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = stringKeys(x)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[fmt.Sprint(k)] = stringKeys(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = stringKeys(x)
		}
		return out
	}
	return v
}
