package authorize

import (
	"slices"
	"testing"
)

// TestAuthorizeResource: RFC 8707 section 2.1. Resources join the
// requested audience; one the client may not obtain, or one that is not an
// absolute URI without fragment, is invalid_target, sent to the client.
func TestAuthorizeResource(t *testing.T) {
	q := good()
	q["resource"] = []string{"https://api.example.com/orders", "https://api.example.com/files"}
	q.Set("audience", "https://api.example.com")
	r, err := ParseRequest(q)
	if err != nil {
		t.Fatal(err)
	}
	if _, aerr := r.Validate(authzClient(), authzOptions()); aerr != nil {
		t.Fatalf("Validate: %v", aerr)
	}
	want := []string{"https://api.example.com", "https://api.example.com/orders", "https://api.example.com/files"}
	if got := r.TargetAudience(); !slices.Equal(got, want) {
		t.Errorf("TargetAudience = %v, want %v", got, want)
	}
	for _, bad := range []string{"https://evil.example.com/", "/orders", "https://api.example.com/#x", "https://api.example.com/../admin"} {
		q := good()
		q["resource"] = []string{"https://api.example.com/", bad}
		r, err := ParseRequest(q)
		if err != nil {
			t.Fatal(err)
		}
		uri, aerr := r.Validate(authzClient(), authzOptions())
		if aerr == nil || !aerr.Redirectable || aerr.Err.Code != "invalid_target" || uri != authzRedirects[0] || aerr.State != "state-12345" {
			t.Errorf("resource %q: %+v, want invalid_target redirected with the state", bad, aerr)
		}
	}
}
