package config

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const hydraSchemaPath = "../../../shared/reference/hydra-config.schema.json"

// schemaLeaf is one settable key of Hydra's schema with a valid sample.
type schemaLeaf struct {
	path   string
	sample any
}

// hydraLeaves walks Hydra's JSON schema: $ref, allOf, oneOf and anyOf
// alternatives, objects with additionalProperties. It returns every leaf
// with a sample value of its type, and the free-form objects.
func hydraLeaves(t *testing.T) ([]schemaLeaf, map[string]bool) {
	t.Helper()
	body, err := os.ReadFile(hydraSchemaPath)
	if os.IsNotExist(err) {
		t.Skipf("Hydra config schema not found at %s (the shared reference folder is not checked out); cannot prove key coverage", hydraSchemaPath)
	}
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(body, &root); err != nil {
		t.Fatal(err)
	}
	w := &schemaWalker{defs: root["definitions"].(map[string]any), open: map[string]bool{}}
	w.walk("", root)
	return w.leaves, w.open
}

type schemaWalker struct {
	defs   map[string]any
	leaves []schemaLeaf
	open   map[string]bool
}

func (w *schemaWalker) resolve(n map[string]any) map[string]any {
	if ref, ok := n["$ref"].(string); ok {
		return w.resolve(w.defs[strings.TrimPrefix(ref, "#/definitions/")].(map[string]any))
	}
	return n
}

func (w *schemaWalker) walk(path string, node map[string]any) {
	n := w.resolve(node)
	props := map[string]any{}
	var scalarAlts []map[string]any
	for _, alt := range w.alternatives(n) {
		if p, ok := alt["properties"].(map[string]any); ok {
			for k, v := range p {
				props[k] = v
			}
		} else if alt["type"] != "object" && (alt["type"] != nil || alt["enum"] != nil || alt["pattern"] != nil) {
			scalarAlts = append(scalarAlts, alt)
		}
	}
	if ap, ok := n["additionalProperties"].(map[string]any); ok && len(props) == 0 {
		w.leaves = append(w.leaves, schemaLeaf{path, map[string]any{"X-Sample": sampleOf(ap)}})
		return
	}
	if n["additionalProperties"] == true && path != "" {
		w.open[path] = true
		w.leaves = append(w.leaves, schemaLeaf{path + ".signet_test_extra", "anything"})
	}
	if len(props) == 0 {
		w.leaves = append(w.leaves, schemaLeaf{path, w.sample(n)})
		return
	}
	if len(scalarAlts) > 0 { // e.g. a hook: a URL string or a webhook object
		w.leaves = append(w.leaves, schemaLeaf{path, w.sample(scalarAlts[0])})
	}
	for k, v := range props {
		w.walk(join(path, k), v.(map[string]any))
	}
}

// alternatives flattens a node into itself plus its allOf/oneOf/anyOf
// branches (resolved), ignoring if/then/not, which add no keys.
func (w *schemaWalker) alternatives(n map[string]any) []map[string]any {
	out := []map[string]any{n}
	for _, comb := range []string{"allOf", "oneOf", "anyOf"} {
		list, _ := n[comb].([]any)
		for _, a := range list {
			out = append(out, w.alternatives(w.resolve(a.(map[string]any)))...)
		}
	}
	return out
}

// sample picks a valid value: const, first enum, an example of the right
// type, then a value derived from the type and bounds.
func (w *schemaWalker) sample(n map[string]any) any {
	alts := w.alternatives(n)
	for _, a := range alts {
		if c, ok := a["const"]; ok {
			return c
		}
		if e, ok := a["enum"].([]any); ok {
			return e[0]
		}
	}
	typ := ""
	for _, a := range alts {
		if s, ok := a["type"].(string); ok && typ == "" {
			typ = s
		}
		if ex, ok := a["examples"].([]any); ok && len(ex) > 0 {
			_, isList := ex[0].([]any)
			_, isStr := ex[0].(string)
			if typ == "array" && isList || typ == "string" && isStr || typ != "array" && typ != "string" {
				return ex[0]
			}
		}
	}
	return sampleOfType(typ, n, w)
}

func sampleOfType(typ string, n map[string]any, w *schemaWalker) any {
	switch typ {
	case "boolean":
		return true
	case "integer":
		if d, ok := n["default"]; ok {
			return d
		}
		if m, ok := n["minimum"]; ok {
			return m
		}
		return 1
	case "number":
		return 0.5
	case "array":
		items, _ := n["items"].(map[string]any)
		return []any{w.sample(items)}
	}
	if p, _ := n["pattern"].(string); strings.Contains(p, "0|[1-9]") {
		return "v2.2.0" // the version key's semver pattern
	}
	if n["format"] == "uri" {
		return "https://example.com/sample"
	}
	if m, ok := n["minLength"].(float64); ok {
		return strings.Repeat("s", int(m))
	}
	return "sample"
}

func sampleOf(n map[string]any) any {
	if n["type"] == "string" {
		return "sample"
	}
	return true
}

// Every leaf of Hydra's schema is accepted with a valid value of its type,
// so an existing Hydra file starts Signet unchanged.
func TestEveryHydraKeyIsAccepted(t *testing.T) {
	leaves, _ := hydraLeaves(t)
	if len(leaves) < 150 {
		t.Fatalf("walked only %d leaves; the schema walk is broken", len(leaves))
	}
	for _, leaf := range leaves {
		t.Run(leaf.path, func(t *testing.T) {
			t.Parallel()
			body := map[string]any{}
			setPath(body, leaf.path, leaf.sample, nil)
			raw, _ := json.Marshal(body)
			f := filepath.Join(t.TempDir(), "leaf.json")
			if err := os.WriteFile(f, raw, 0o600); err != nil {
				t.Fatal(err)
			}
			_, _, err := Load([]string{f}, baseEnv(), false)
			var e *Error
			if err != nil && !errors.As(err, &e) {
				t.Fatalf("%v", err) // decode failure: Config lacks the field
			}
			for _, p := range problemsOf(e) {
				if p.Source != "" { // a value rejected on its own, not a rule across keys
					t.Errorf("%s rejected: %v", raw, p)
				}
			}
		})
	}
}

func problemsOf(e *Error) []Problem {
	if e == nil {
		return nil
	}
	return e.Problems
}

// The table accepts nothing Hydra's schema lacks, except Signet's own keys.
func TestTableHasNoKeysHydraLacks(t *testing.T) {
	leaves, open := hydraLeaves(t)
	known := map[string]bool{}
	for _, l := range leaves {
		known[l.path] = true
	}
	for _, k := range DefaultKeys() {
		if k.Status == SignetOnly || known[k.Path] || open[k.Path] {
			continue
		}
		t.Errorf("%s is in the key table but not in Hydra's schema; mark it SignetOnly if it is ours", k.Path)
	}
}

// Environment names must map to exactly one key, or a variable would set
// two keys (or the wrong one).
func TestEnvironmentNamesAreUnambiguous(t *testing.T) {
	seen := map[string]string{}
	for _, k := range DefaultKeys() {
		if other, dup := seen[k.Env()]; dup {
			t.Errorf("%s and %s both read %s", other, k.Path, k.Env())
		}
		seen[k.Env()] = k.Path
	}
	for path, env := range map[string]string{
		"dsn": "DSN", "urls.self.issuer": "URLS_SELF_ISSUER", "ttl.access_token": "TTL_ACCESS_TOKEN",
		"serve.public.port": "SERVE_PUBLIC_PORT", "oauth2.hashers.pbkdf2.iterations": "OAUTH2_HASHERS_PBKDF2_ITERATIONS",
	} {
		if got := EnvName(path); got != env {
			t.Errorf("EnvName(%s) = %s, want %s", path, got, env)
		}
	}
}

// Defaults go through the same checks as user values; a bad default in the
// table would otherwise only show up as a confusing start-up error.
func TestDefaultsAreValidValues(t *testing.T) {
	s := NewSchema(DefaultKeys())
	c := checker{schema: s, source: func(string) string { return "defaults" }}
	c.object(defaultsMap(s), "")
	for _, p := range c.problems {
		t.Errorf("default %v", p)
	}
}
