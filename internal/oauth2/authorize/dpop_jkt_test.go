package authorize

import (
	"testing"
)

// TestDPoPJKTParameter: dpop_jkt (RFC 9449 section 10) is kept when it is a
// SHA-256 thumbprint and refused, to the client, when it is anything else.
func TestDPoPJKTParameter(t *testing.T) {
	const jkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
	cases := []struct {
		name  string
		value []string
		ok    bool
	}{
		{"absent", nil, true},
		{"thumbprint", []string{jkt}, true},
		{"too short", []string{jkt[:42]}, false},
		{"padded", []string{jkt + "="}, false},
		{"not base64url", []string{"0ZcOCORZNYy+DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}, false},
		{"repeated", []string{jkt, jkt}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := good()
			if c.value != nil {
				q["dpop_jkt"] = c.value
			}
			r, err := ParseRequest(q)
			if err != nil {
				t.Fatal(err)
			}
			_, aerr := r.Validate(authzClient(), authzOptions())
			if c.ok {
				if aerr != nil {
					t.Fatalf("refused: %v", aerr)
				}
				if c.value != nil && r.DPoPJKT != jkt {
					t.Errorf("DPoPJKT = %q", r.DPoPJKT)
				}
				return
			}
			if aerr == nil || !aerr.Redirectable || aerr.Err.Code != "invalid_request" {
				t.Fatalf("want a redirectable invalid_request, got %+v", aerr)
			}
		})
	}
}
