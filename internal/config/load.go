package config

import (
	"crypto/rand"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"github.com/knadh/koanf/parsers/json"
	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/v2"
)

// Loader reads configuration. Its fields exist so tests are deterministic.
type Loader struct {
	Rand io.Reader // source of the dev-mode system secret
	Keys []Key     // accepted keys; nil means DefaultKeys()
	// SkipValidation returns the configuration without the rules across
	// keys (secrets.system, the issuer…): `signet janitor -c` reads only
	// the DSN and a few lifetimes, as Hydra's janitor does.
	SkipValidation bool
}

// Load reads files (each -c flag, in order; later files override earlier
// ones key by key), then environment variables (environ in os.Environ form;
// they override files), fills defaults, decodes into a Config and validates
// it. dev is the --dev flag; "dev: true" in a file or DEV=true also turns
// dev mode on. The warnings are for the operator's log: keys that are
// accepted but not built yet, and dev-mode substitutions.
func Load(files, environ []string, dev bool) (*Config, []string, error) {
	return Loader{Rand: rand.Reader}.Load(files, environ, dev)
}

// Load is the package-level Load with this loader's fields.
func (l Loader) Load(files, environ []string, dev bool) (*Config, []string, error) {
	keys := l.Keys
	if keys == nil {
		keys = DefaultKeys()
	}
	s := NewSchema(keys)
	merged, set, err := readSources(s, files, environ)
	if err != nil {
		return nil, nil, err
	}
	defaults := checker{schema: s, source: func(string) string { return "defaults" }}
	final := deepMerge(defaults.object(defaultsMap(s), ""), merged)
	if len(defaults.problems) > 0 {
		return nil, nil, &Error{Problems: defaults.problems} // a bug in keys.go
	}
	cfg, err := decode(final)
	if err != nil {
		return nil, nil, err
	}
	warnings := notBuiltWarnings(s, set)
	cfg.Dev = cfg.Dev || dev
	devWarnings, err := l.fillDev(cfg)
	if err != nil {
		return nil, warnings, err
	}
	warnings = append(warnings, devWarnings...)
	if l.SkipValidation {
		return cfg, warnings, nil
	}
	if ps := declaredProblems(cfg, environ); len(ps) > 0 {
		return nil, warnings, &Error{Problems: ps}
	}
	if err := Validate(cfg); err != nil {
		return nil, warnings, err
	}
	return cfg, warnings, nil
}

// readSources checks and merges the files, then the environment, and
// returns the merged normalised map and the key paths that were set.
func readSources(s *Schema, files, environ []string) (map[string]any, []string, error) {
	merged := map[string]any{}
	var problems []Problem
	var set []string
	for _, name := range files {
		raw, err := readFile(name)
		if err != nil {
			problems = append(problems, Problem{Msg: err.Error(), Source: "file " + name})
			continue
		}
		c := checker{schema: s, source: func(string) string { return "file " + name }}
		deepMerge(merged, c.object(raw, ""))
		problems = append(problems, c.problems...)
		set = append(set, c.set...)
	}
	raw, envProblems := envMap(s, environ)
	c := checker{schema: s, source: func(key string) string { return "env " + EnvName(key) }}
	deepMerge(merged, c.object(raw, ""))
	problems = append(problems, envProblems...)
	problems = append(problems, c.problems...)
	set = append(set, c.set...)
	if len(problems) > 0 {
		return nil, nil, &Error{Problems: problems}
	}
	return merged, set, nil
}

// readFile parses one config file, choosing the parser by extension so a
// typo'd name fails loudly instead of being read as the wrong format.
func readFile(name string) (map[string]any, error) {
	var parser koanf.Parser
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml":
		parser = yaml.Parser()
	case ".json":
		parser = json.Parser()
	default:
		return nil, fmt.Errorf("unsupported config file extension %q: use .yaml, .yml or .json", filepath.Ext(name))
	}
	k := koanf.New(".")
	if err := k.Load(file.Provider(name), parser); err != nil {
		return nil, fmt.Errorf("cannot read config file: %w", err)
	}
	return k.Raw(), nil
}

// deepMerge copies src into dst: objects merge key by key, anything else
// (including lists) is replaced, which is how koanf merges files.
func deepMerge(dst, src map[string]any) map[string]any {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				deepMerge(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
	return dst
}

// defaultsMap holds each key's default in raw (file) form, so defaults go
// through the same checks as user values.
func defaultsMap(s *Schema) map[string]any {
	out := map[string]any{}
	for _, k := range s.Keys() {
		if k.Default != nil {
			setPath(out, k.Path, k.Default, nil)
		}
	}
	return out
}

// decode fills a Config from the normalised map. ErrorUnused turns a key the
// table accepts but Config lacks into an error instead of a silent drop.
func decode(m map[string]any) (*Config, error) {
	cfg := &Config{}
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		TagName:     "koanf",
		ErrorUnused: true,
		Result:      cfg,
	})
	if err != nil {
		return nil, err
	}
	if err := dec.Decode(m); err != nil {
		return nil, fmt.Errorf("configuration: decoding: %w", err)
	}
	return cfg, nil
}

// notBuiltWarnings names each set key whose feature Signet lacks. Fields of
// a webhook object are reported once, under the hook's own key.
func notBuiltWarnings(s *Schema, set []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, path := range set {
		path = outermostKey(s, path)
		k, ok := s.Lookup(path)
		if !ok || k.Status != NotBuilt || seen[path] {
			continue
		}
		seen[path] = true
		out = append(out, path+" is set but Signet does not implement it yet; it has no effect")
	}
	return out
}

func outermostKey(s *Schema, path string) string {
	for i := strings.IndexByte(path, '.'); i > 0; i = nextDot(path, i) {
		if _, ok := s.Lookup(path[:i]); ok {
			return path[:i]
		}
	}
	return path
}

func nextDot(path string, i int) int {
	j := strings.IndexByte(path[i+1:], '.')
	if j < 0 {
		return -1
	}
	return i + 1 + j
}
