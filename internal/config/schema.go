package config

import "strings"

// Kind is the shape a key's value must have.
type Kind uint8

const (
	KindString     Kind = iota
	KindBool            // true / false
	KindInt             // whole number, optionally bounded
	KindNumber          // any finite number
	KindDuration        // Go duration string matching the contract's pattern: "1h", "1h5m1s"
	KindStringList      // array of strings; a comma list (or JSON array) in env
	KindStringMap       // object whose values are strings (header maps); JSON object in env
	KindHook            // a URL string, or a webhook object whose fields are keys of their own
	KindOpen            // object that also takes keys the contract does not list (sqa, feature_flags)
	KindObjectList      // array of objects whose fields the reading feature checks (clients.declared); JSON array in env
)

// Status says what Signet does with a key today.
type Status uint8

const (
	// Implemented keys are read by Signet.
	Implemented Status = iota
	// NotBuilt keys are accepted so a Hydra file starts Signet unchanged,
	// but have no effect yet; setting one produces a start-up warning.
	NotBuilt
	// SignetOnly keys are Signet's own additions to Hydra's key set.
	SignetOnly
)

// Format is a string check the contract names (JSON Schema "format") or a
// pattern Signet checks in Go.
type Format uint8

const (
	FormatNone     Format = iota
	FormatURI             // absolute URI
	FormatURIRef          // URI reference (relative allowed)
	FormatOrigin          // CORS origin: absolute URI with at most one "*", or "*"
	FormatCIDR            // IPv4 or IPv6 network in CIDR notation
	FormatHostPort        // host:port (port may be empty)
	FormatSemver          // v1.2.3[-pre][+build]
)

// Key is one accepted configuration key path with its rules.
type Key struct {
	Path      string
	Kind      Kind
	Status    Status
	Enum      []string // allowed values; for KindStringList, allowed items
	Format    Format   // applies to strings and to list items
	MinLen    int      // minimum length of a string or of each list item
	Min, Max  *int64   // bounds for KindInt
	Positive  bool     // KindDuration must be > 0
	Never     bool     // KindDuration also takes -1 / "-1" (never expires)
	Sensitive bool     // never echo the value in an error message
	Default   any      // raw value applied when unset (nil: none)
}

// Env is the environment variable Hydra reads for the key:
// the path with dots replaced by underscores, upper-cased.
func (k Key) Env() string {
	return EnvName(k.Path)
}

// EnvName turns a key path into its environment variable name.
func EnvName(path string) string {
	return strings.ToUpper(strings.ReplaceAll(path, ".", "_"))
}

// Schema indexes the key table for the loader.
type Schema struct {
	keys     []Key
	leaf     map[string]Key
	interior map[string]bool // every proper prefix of a key path
	open     map[string]bool // KindOpen paths: unknown children accepted
}

// NewSchema indexes keys. It is cheap; the loader builds one per Load so
// there is no package-level table to mutate.
func NewSchema(keys []Key) *Schema {
	s := &Schema{keys: keys, leaf: map[string]Key{}, interior: map[string]bool{}, open: map[string]bool{}}
	for _, k := range keys {
		s.leaf[k.Path] = k
		if k.Kind == KindOpen {
			s.open[k.Path] = true
		}
		for i := strings.LastIndexByte(k.Path, '.'); i > 0; i = strings.LastIndexByte(k.Path[:i], '.') {
			s.interior[k.Path[:i]] = true
		}
	}
	return s
}

// Keys returns the table in declaration order.
func (s *Schema) Keys() []Key { return s.keys }

// Lookup returns the key declared at path.
func (s *Schema) Lookup(path string) (Key, bool) {
	k, ok := s.leaf[path]
	return k, ok
}

// openAncestor returns the nearest KindOpen ancestor of path, if any: a key
// below it is accepted even though the table does not list it.
func (s *Schema) openAncestor(path string) (string, bool) {
	for i := strings.LastIndexByte(path, '.'); i > 0; i = strings.LastIndexByte(path[:i], '.') {
		if s.open[path[:i]] {
			return path[:i], true
		}
	}
	return "", false
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}
