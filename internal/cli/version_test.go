package cli

import (
	"strings"
	"testing"
)

// signet version names the version, the commit and the build date (set by
// scripts/release through -ldflags; "unknown" in a plain test build
// without VCS stamping) and the Go toolchain and platform.
func TestVersionPrintsBuildFacts(t *testing.T) {
	out := ok(t, "version")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "signet ") {
		t.Fatalf("version output:\n%s", out)
	}
	for i, prefix := range []string{"commit:", "built:", "go:"} {
		if !strings.HasPrefix(lines[i+1], prefix) || strings.TrimSpace(strings.TrimPrefix(lines[i+1], prefix)) == "" {
			t.Errorf("line %d = %q, want %s and a value", i+2, lines[i+1], prefix)
		}
	}
}
