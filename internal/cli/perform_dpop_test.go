package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/oauth2"
)

// TestPerformClientCredentialsDPoP: --dpop sends a proof the server's own
// verifier accepts, answers a nonce challenge once, and reports the key's
// thumbprint.
func TestPerformClientCredentialsDPoP(t *testing.T) {
	var calls atomic.Int32
	var seenJKT atomic.Value
	var tokenURL string
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		proof, nonce, err := oauth2.ParseDPoPProof(r.Header.Get("DPoP"),
			oauth2.DPoPTarget{Method: http.MethodPost, URL: tokenURL}, time.Now(), time.Minute)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":"invalid_dpop_proof","error_description":"`+err.Error()+`"}`)
			return
		}
		if calls.Add(1) == 1 || nonce != "the-nonce" {
			w.Header().Set("DPoP-Nonce", "the-nonce")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":"use_dpop_nonce","error_description":"nonce required"}`)
			return
		}
		seenJKT.Store(proof.JKT)
		_, _ = io.WriteString(w, `{"access_token":"at-1","token_type":"DPoP","expires_in":60}`)
	})
	tokenURL = f.URL + "/oauth2/token"
	r := run(t, nil, "", "perform", "client-credentials", "-e", f.URL, "--client-id", "c", "--client-secret", "s",
		"--dpop", "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var tok map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &tok); err != nil {
		t.Fatal(err)
	}
	if tok["token_type"] != "DPoP" || tok["dpop_jkt"] != seenJKT.Load() {
		t.Errorf("output %v", tok)
	}
	if n := len(f.requests()); n != 2 {
		t.Errorf("%d requests, want 2 (the nonce challenge, then the retry)", n)
	}
}
