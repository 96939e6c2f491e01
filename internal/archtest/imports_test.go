// Package archtest holds tests about the shape of the code base rather than
// its behaviour. It has no non-test code and nothing imports it.
//
// imports_test.go enforces the import direction of GUIDE.md section 2:
//
//	config, storage, secret, httpx → assertion → client, jwk, trust → token → flow →
//	oauth2 → oauth2/authorize, oauth2/clientauth → oidc (janitor, metrics, tracing,
//	devapp beside it) → app → cli
//
// A package imports only packages to its left; packages on the same level do
// not import each other. storage/sqlstore is the one implementation of the
// domain stores, so it may import their record types, and only the wiring
// (app, cli) and test support may import it. storage/storetest, signettest
// and oauth2/oauth2test are test support; e2e and archtest are test-only packages that
// nothing imports. cmd/signet imports cli and nothing else.
package archtest

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
)

const (
	sqlstore   = "internal/storage/sqlstore"
	storetest  = "internal/storage/storetest"
	signettest = "internal/signettest"
	oauth2test = "internal/oauth2/oauth2test"
	cmdSignet  = "cmd/signet"
	archtest   = "internal/archtest"
	e2e        = "internal/e2e"
	hydraSDK   = "github.com/ory/hydra-client-go"
)

// layers lists the import levels, left to right.
func layers() [][]string {
	return [][]string{
		{"config", "storage", "secret", "httpx"},
		{"assertion"},
		{"client", "jwk", "trust"},
		{"token"},
		{"flow"},
		{"oauth2"},
		// The flow steps split out of oauth2 (GUIDE.md section 11): they
		// import oauth2's shared pieces, oauth2 reaches client
		// authentication through an interface of its own.
		{"oauth2/authorize", "oauth2/clientauth"},
		{"oidc", "janitor", "metrics", "tracing", "devapp"},
		{"app"},
		{"cli"},
	}
}

// rules resolves packages to components and decides which imports are
// allowed. A component is a path relative to the module root; a package
// belongs to the longest component that is a prefix of its path, so a
// future internal/oauth2/x sits on oauth2's level.
type rules struct {
	level map[string]int // component → level, for the layered components
}

func newRules() rules {
	r := rules{level: map[string]int{}}
	for i, names := range layers() {
		for _, n := range names {
			r.level["internal/"+n] = i
		}
	}
	return r
}

func (r rules) components() []string {
	c := []string{sqlstore, storetest, signettest, oauth2test, cmdSignet, archtest, e2e}
	for k := range r.level {
		c = append(c, k)
	}
	return c
}

// component returns the component rel belongs to, or "" if none.
func (r rules) component(rel string) string {
	best := ""
	for _, c := range r.components() {
		if (rel == c || strings.HasPrefix(rel, c+"/")) && len(c) > len(best) {
			best = c
		}
	}
	return best
}

// isTestSupport reports test helpers (imported by tests) and test-only
// packages (archtest, e2e: no code of their own, imported by nobody).
func isTestSupport(c string) bool {
	return c == storetest || c == signettest || c == oauth2test || isTestOnly(c)
}

func isTestOnly(c string) bool { return c == archtest || c == e2e }

// allowed reports whether component from may import component to, and if
// not, why. Both are components as returned by component.
func (r rules) allowed(from, to string) (bool, string) {
	if from == to {
		return true, ""
	}
	switch {
	case to == cmdSignet || isTestOnly(to):
		return false, to + " is never imported"
	case isTestSupport(to):
		return isTestSupport(from), "test support is imported only by tests and other test support"
	case to == sqlstore:
		ok := from == "internal/app" || from == "internal/cli" || isTestSupport(from)
		return ok, "only the wiring (app, cli) and test support import sqlstore; domain packages declare the narrow interface they need"
	case from == sqlstore:
		lvl, layered := r.level[to]
		ok := layered && (lvl == 0 || slices.Contains([]string{"client", "jwk", "token", "flow", "trust"}, strings.TrimPrefix(to, "internal/")))
		return ok, "sqlstore imports only the leaf packages and the record types of client, jwk, token, flow and trust"
	case isTestSupport(from):
		return to != "internal/cli", "test support may import anything left of cli"
	case from == cmdSignet:
		return to == "internal/cli", "cmd/signet calls cli.Main and imports nothing else"
	}
	lf, okf := r.level[from]
	lt, okt := r.level[to]
	if !okf || !okt {
		return false, "not placed in the layer table"
	}
	switch {
	case lt == lf:
		return false, "packages on the same level must not import each other"
	case lt > lf:
		return false, "imports point left: " + to + " sits right of " + from
	}
	return true, ""
}

// listImports runs go list over the module and returns each package's
// non-test imports, keyed by import path, plus the module path.
func listImports(t *testing.T) (string, map[string][]string) {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(gobin, "list", "-e", "-f", "{{.Module.Path}} {{.ImportPath}}{{range .Imports}} {{.}}{{end}}", "../../...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	module, pkgs := "", map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		module = f[0]
		pkgs[f[1]] = f[2:]
	}
	if module == "" || len(pkgs) == 0 {
		t.Fatalf("go list found no packages:\n%s", out)
	}
	return module, pkgs
}

func TestImportDirection(t *testing.T) {
	module, pkgs := listImports(t)
	r := newRules()
	var problems []string
	for pkg, imports := range pkgs {
		rel := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
		if !strings.HasPrefix(rel, "internal/") && !strings.HasPrefix(rel, "cmd/") {
			continue // bench and other top-level tools are outside the layering
		}
		from := r.component(rel)
		if from == "" {
			problems = append(problems, rel+": not placed in the layer table of GUIDE.md section 2 (add it to archtest's layers)")
			continue
		}
		for _, imp := range imports {
			if !isTestSupport(from) && (imp == hydraSDK || strings.HasPrefix(imp, hydraSDK+"/")) {
				problems = append(problems, rel+" imports "+imp+": hydra-client-go is a test dependency only")
			}
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			irel := strings.TrimPrefix(imp, module+"/")
			to := r.component(irel)
			if to == "" {
				continue // reported when the imported package itself is visited
			}
			if ok, why := r.allowed(from, to); !ok {
				problems = append(problems, rel+" imports "+irel+": "+why)
			}
		}
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
}

// TestRules proves the checker refuses what GUIDE.md forbids, so a passing
// TestImportDirection means something.
func TestRules(t *testing.T) {
	r := newRules()
	cases := []struct {
		from, to string
		want     bool
	}{
		{"internal/client", "internal/httpx", true},
		{"internal/jwk", "internal/secret", true},
		{"internal/token", "internal/jwk", true},
		{"internal/oauth2", "internal/token", true},
		{"internal/oidc", "internal/oauth2", true},
		{"internal/app", "internal/metrics", true},
		{"internal/cli", "internal/app", true},
		{"internal/app", sqlstore, true},
		{"internal/cli", sqlstore, true},
		{sqlstore, "internal/flow", true},
		{sqlstore, "internal/storage", true},
		{storetest, sqlstore, true},
		{signettest, "internal/app", true},
		{cmdSignet, "internal/cli", true},
		{e2e, signettest, true},
		{e2e, "internal/app", true},
		{"internal/oauth2/sub", "internal/oauth2", true},
		{"internal/oauth2/authorize", "internal/oauth2", true},
		{"internal/oauth2/clientauth", "internal/oauth2", true},
		{"internal/oidc", "internal/oauth2/authorize", true},
		{"internal/app", "internal/oauth2/clientauth", true},
		{oauth2test, "internal/token", true},

		{"internal/client", "internal/jwk", false},
		{"internal/jwk", "internal/client", false},
		{"internal/storage", "internal/secret", false},
		{"internal/httpx", "internal/config", false},
		{"internal/token", "internal/flow", false},
		{"internal/jwk", "internal/token", false},
		{"internal/oauth2", "internal/oidc", false},
		{"internal/oauth2", "internal/oauth2/authorize", false},
		{"internal/oauth2", "internal/oauth2/clientauth", false},
		{"internal/oauth2/authorize", "internal/oauth2/clientauth", false},
		{"internal/oauth2/clientauth", "internal/oauth2/authorize", false},
		{"internal/oauth2/authorize", "internal/oidc", false},
		{"internal/oauth2/clientauth", oauth2test, false},
		{"internal/metrics", "internal/oidc", false},
		{"internal/oidc", "internal/app", false},
		{"internal/app", "internal/cli", false},
		{"internal/oauth2", sqlstore, false},
		{"internal/client", sqlstore, false},
		{sqlstore, "internal/oauth2", false},
		{sqlstore, "internal/config", true},
		{sqlstore, "internal/app", false},
		{"internal/app", signettest, false},
		{sqlstore, storetest, false},
		{signettest, "internal/cli", false},
		{cmdSignet, "internal/app", false},
		{"internal/cli", cmdSignet, false},
		{signettest, e2e, false},
		{"internal/app", archtest, false},
	}
	for _, tc := range cases {
		from, to := r.component(tc.from), r.component(tc.to)
		if ok, why := r.allowed(from, to); ok != tc.want {
			t.Errorf("%s → %s allowed = %v (%s), want %v", tc.from, tc.to, ok, why, tc.want)
		}
	}
	if c := r.component("internal/util"); c != "" {
		t.Errorf("internal/util resolved to %q; unknown packages must be reported", c)
	}
	if c := r.component("internal/storage/sqlstore"); c != sqlstore {
		t.Errorf("sqlstore resolved to %q", c)
	}
	if c := r.component("internal/oauth2/authorize"); c != "internal/oauth2/authorize" {
		t.Errorf("oauth2/authorize resolved to %q; it has its own level", c)
	}
}
