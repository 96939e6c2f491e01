package httpx_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/storage"
)

func TestErrorValuesAreIndependent(t *testing.T) {
	// Every constructor call is a new value: decorating one error never
	// changes another (the shared-sentinel trap of fosite's errors.go).
	a := httpx.NotFound("no such client")
	b := httpx.NotFound("no such client")
	a.WithHint("hint for a").WithHeader("X-A", "1").Because(storage.ErrNotFound)
	if b.Hint != "" || b.Header != nil || errors.Is(b, storage.ErrNotFound) {
		t.Fatalf("decorating one error changed another: %+v", b)
	}
}

func TestErrorCauseAndText(t *testing.T) {
	e := httpx.Conflict("Client %q exists.", "app").WithHint("Pick another id.").Because(storage.ErrConflict)
	if e.Status != http.StatusConflict || e.Code != "conflict" || e.Description != `Client "app" exists.` {
		t.Fatalf("Conflict = %+v", e)
	}
	if !errors.Is(e, storage.ErrConflict) {
		t.Error("the cause is not reachable with errors.Is")
	}
	if got, want := e.Error(), `conflict: Client "app" exists. (Pick another id.): `+storage.ErrConflict.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	h := httpx.BadRequest("x").WithHeader("WWW-Authenticate", "a").WithHeader("WWW-Authenticate", "b")
	if got := h.Header.Values("WWW-Authenticate"); len(got) != 2 {
		t.Errorf("WithHeader replaced instead of adding: %v", got)
	}
}

func TestClip(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"abcdefghijk", 5, "abcde…"},
		// A cut inside a multi-byte character moves back to its start, so
		// the result stays valid UTF-8.
		{"ab€cd", 3, "ab…"},
		{"ab€cd", 5, "ab€…"},
	} {
		if got := httpx.Clip(tc.in, tc.n); got != tc.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
