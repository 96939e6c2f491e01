package httpx_test

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/signet-oidc/signet/internal/httpx"
)

func TestWithQuery(t *testing.T) {
	v := url.Values{"a": {"1 2"}}
	for base, want := range map[string]string{
		"https://x/cb":          "https://x/cb?a=1+2",
		"https://x/cb?k=v":      "https://x/cb?k=v&a=1+2",
		"https://x/cb?":         "https://x/cb?a=1+2",
		"https://x/cb?k=v&":     "https://x/cb?k=v&a=1+2",
		"https://x/cb#fragment": "https://x/cb?a=1+2",
	} {
		if got := httpx.WithQuery(base, v); got != want {
			t.Errorf("WithQuery(%q) = %q, want %q", base, got, want)
		}
	}
}

func TestBrowserError(t *testing.T) {
	rd := httpx.Renderer{Log: slog.New(slog.DiscardHandler)}
	r := httptest.NewRequest(http.MethodGet, "/oauth2/auth", nil)

	// With urls.error the browser is sent there, words and hint included.
	w := httptest.NewRecorder()
	e := httpx.BadRequest("No such client.").WithHint("Check the client_id.")
	if page := rd.BrowserError(w, r, "https://app.example/error?theme=dark", e); page != nil {
		t.Fatal("a page was returned although urls.error is set")
	}
	loc, _ := url.Parse(w.Header().Get("Location"))
	q := loc.Query()
	if w.Code != http.StatusFound || q.Get("theme") != "dark" || q.Get("error") != "invalid_request" ||
		q.Get("error_description") != "No such client." || q.Get("error_hint") != "Check the client_id." {
		t.Errorf("redirect %d to %s", w.Code, loc)
	}

	// Without it the caller renders a page: an internal error shows no detail.
	w = httptest.NewRecorder()
	page := rd.BrowserError(w, r, "", errors.New("database exploded"))
	if page == nil || page.Code != "server_error" || httpx.PageStatus(page) != http.StatusInternalServerError {
		t.Fatalf("internal error page: %+v", page)
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Error("error answers must not be cached")
	}
	// A deliberate 5xx keeps its words (an operator's missing setting).
	misconfigured := httpx.NewError(http.StatusInternalServerError, "server_error", "The login app's URL is not configured.")
	if page := rd.BrowserError(httptest.NewRecorder(), r, "", misconfigured); page.Description != misconfigured.Description {
		t.Errorf("deliberate 5xx lost its description: %q", page.Description)
	}
	if httpx.PageStatus(httpx.NewError(http.StatusForbidden, "request_forbidden", "x")) != http.StatusBadRequest {
		t.Error("a 4xx error page should answer 400")
	}
}
