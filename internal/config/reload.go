package config

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Configuration reload: when a file given with -c changes, the server reads
// every source again (files, then the environment it started with),
// validates the result, and swaps the Live snapshot. Only the keys below
// change at runtime; they are read through Live.Get() once per request (or
// applied by the reload itself: log.level, clients.declared). Every other
// key is read once while the server is built (database, listeners,
// secrets, cookie settings, hashers, discovery), so a new value for it is
// kept out of the snapshot and logged as needing a restart, rather than
// half-applied. A new key is restart-only until it is listed here.
func reloadableKeys() []string {
	return []string{
		"log.level",
		"serve.public.cors", "serve.admin.cors", // app/cors.go recompiles the policy per snapshot
		"urls.login", "urls.consent", "urls.logout", "urls.error", "urls.post_logout_redirect",
		"ttl.access_token", "ttl.refresh_token", "ttl.id_token", "ttl.auth_code", "ttl.authentication_session",
		"strategies.scope", "strategies.access_token", "strategies.jwt.scope_claim",
		"oauth2.pkce.enforced", "oauth2.pkce.enforced_for_public_clients",
		"oauth2.client_credentials.default_grant_allowed_scope",
		"oauth2.grant.refresh_token", "oauth2.grant.jwt",
		"oauth2.token_hook", "oauth2.refresh_token_hook",
		"oauth2.introspection.visibility",
		"oauth2.allowed_top_level_claims", "oauth2.mirror_top_level_claims", "oauth2.exclude_not_before_claim",
		"oidc.dynamic_client_registration.default_scope",
		"clients.declared",
	}
}

// Diff is what a reload changed.
type Diff struct {
	// Applied are the reloadable keys whose value changed; they are in
	// effect for the next request.
	Applied []string
	// Restart are keys whose value changed but that are read only at
	// start-up; the running server keeps their old value.
	Restart []string
}

// Merge returns next with the value of every key that needs a restart
// taken from old, and the keys that differ. Neither argument is modified.
func Merge(old, next *Config) (*Config, Diff) {
	out := *next
	m := merger{reloadable: map[string]bool{}}
	for _, k := range reloadableKeys() {
		m.reloadable[k] = true
	}
	m.walk(reflect.ValueOf(&out).Elem(), reflect.ValueOf(old).Elem(), "")
	slices.Sort(m.diff.Applied)
	slices.Sort(m.diff.Restart)
	return &out, m.diff
}

type merger struct {
	reloadable map[string]bool
	diff       Diff
}

// walk descends through nested sections by their koanf names and compares
// leaves (values, lists, maps, pointers): a changed leaf is applied when
// it or a section holding it is reloadable, and otherwise reset to old.
func (m *merger) walk(dst, old reflect.Value, path string) {
	if dst.Kind() == reflect.Struct {
		t := dst.Type()
		for i := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("koanf"), ",")
			if name == "-" {
				continue
			}
			child := path // a ",remain" field holds its section's extra keys
			if name != "" {
				child = join(path, name)
			}
			m.walk(dst.Field(i), old.Field(i), child)
		}
		return
	}
	if reflect.DeepEqual(dst.Interface(), old.Interface()) {
		return
	}
	if m.isReloadable(path) {
		m.diff.Applied = append(m.diff.Applied, path)
		return
	}
	dst.Set(old)
	m.diff.Restart = append(m.diff.Restart, path)
}

func (m *merger) isReloadable(path string) bool {
	for p := path; p != ""; {
		if m.reloadable[p] {
			return true
		}
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return false
}

// Reloader reloads the configuration when its files change. Its fields are
// the seams: the CLI wires the real loader and the app's Reconfigure, tests
// wire fakes.
type Reloader struct {
	// Files are the -c files, watched for changes.
	Files []string
	// Load reads every source again and validates the result.
	Load func() (*Config, []string, error)
	// Apply makes next the running configuration for the keys that can
	// change (see Merge) and reports what it did.
	Apply func(next *Config) (Diff, error)
	// Level is the log level of the process logger; a reload sets it.
	Level *slog.LevelVar
	Log   *slog.Logger
	// Debounce is how long the files must be quiet before they are read
	// (default 200ms), so that an editor's several writes cause one reload.
	Debounce time.Duration
	// Reloaded, if set, is called after each reload with its outcome
	// (tests synchronise on it).
	Reloaded func(Diff, error)

	mu     sync.Mutex
	last   [sha256.Size]byte // the files' content as last loaded
	warned map[string]bool   // load warnings already logged
}

// Loaded records the files' current content as the loaded configuration,
// and the warnings the operator has already seen. Call it right after the
// start-up load, so that a change made while the server starts is still
// picked up by Watch.
func (r *Reloader) Loaded(warnings []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.last = fingerprint(r.Files)
	r.warned = map[string]bool{}
	for _, w := range warnings {
		r.warned[w] = true
	}
}

// Reload loads, validates and applies the configuration once. A
// configuration that does not load is logged and changes nothing.
func (r *Reloader) Reload() (Diff, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	d, err := r.reload()
	if r.Reloaded != nil {
		r.Reloaded(d, err)
	}
	return d, err
}

func (r *Reloader) reload() (Diff, error) {
	next, warnings, err := r.Load()
	if err != nil {
		r.Log.Error("configuration reload failed; the running configuration is unchanged", "error", err)
		return Diff{}, err
	}
	d, err := r.Apply(next)
	if err != nil {
		r.Log.Error("configuration reload failed; the running configuration is unchanged", "error", err)
		return Diff{}, err
	}
	if r.Level != nil {
		r.Level.Set(next.Log.SlogLevel())
	}
	if r.warned == nil {
		r.warned = map[string]bool{}
	}
	for _, w := range warnings {
		if !r.warned[w] {
			r.warned[w] = true
			r.Log.Warn(w)
		}
	}
	for _, key := range d.Restart {
		// Only the key: a changed dsn or secret must not reach the log.
		r.Log.Warn("configuration change needs a restart to take effect; the running server keeps the old value", "key", key)
	}
	r.Log.Info("configuration reloaded", "changed", strings.Join(d.Applied, ","))
	return d, nil
}

// Watch reloads whenever the content of a watched file changes, until ctx
// ends. It watches the files' directories rather than the files, because
// editors and Kubernetes ConfigMaps replace a file (rename, symlink swap)
// instead of writing to it; any event there makes it compare the files'
// content with what was last loaded.
func (r *Reloader) Watch(ctx context.Context) error {
	if len(r.Files) == 0 {
		return nil
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watching the configuration files: %w", err)
	}
	defer w.Close()
	for _, dir := range dirsOf(r.Files) {
		if err := w.Add(dir); err != nil {
			return fmt.Errorf("watching the configuration files in %s: %w", dir, err)
		}
	}
	debounce := r.Debounce
	if debounce <= 0 {
		debounce = 200 * time.Millisecond
	}
	timer := time.NewTimer(debounce)
	timer.Stop()
	// The first look catches a change made between Loaded and now.
	r.reloadIfChanged()
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-w.Events:
			if !ok {
				return nil
			}
			timer.Reset(debounce)
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			r.Log.Warn("watching the configuration files", "error", err)
		case <-timer.C:
			r.reloadIfChanged()
		}
	}
}

func (r *Reloader) reloadIfChanged() {
	sum := fingerprint(r.Files)
	r.mu.Lock()
	same := sum == r.last
	r.last = sum
	r.mu.Unlock()
	if !same {
		_, _ = r.Reload()
	}
}

// fingerprint digests the files' content; a file that cannot be read
// contributes its error, so its return is a change too.
func fingerprint(files []string) [sha256.Size]byte {
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			b = []byte("unreadable: " + err.Error())
		}
		fmt.Fprintf(h, "%d:%s\n%d:", len(f), f, len(b))
		h.Write(b)
	}
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}

func dirsOf(files []string) []string {
	var dirs []string
	seen := map[string]bool{}
	for _, f := range files {
		d := filepath.Dir(f)
		if !seen[d] {
			seen[d] = true
			dirs = append(dirs, d)
		}
	}
	return dirs
}
