package config

import (
	"errors"
	"strings"
	"testing"
)

const declaredYAML = `
clients:
  http:
    disallow_private_ip_ranges: true
  declared:
    - client_id: billing
      client_name: Billing service
      grant_types: [client_credentials]
      scope: invoices.read
      client_secret_hash: "$pbkdf2-sha256$i=1000,l=32$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
      metadata:
        team: payments
        "dotted.key": {nested: [1, 2]}
    - client_id: web
      redirect_uris: ["https://web.example.com/callback"]
      client_secret_env: WEB_CLIENT_SECRET
`

// A declared list loads next to Hydra's clients.http, keeps every admin API
// field for the client package, and takes the secret from the environment
// variable it names.
func TestDeclaredClientsLoad(t *testing.T) {
	f := writeFile(t, "signet.yaml", declaredYAML)
	cfg, _ := mustLoad(t, []string{f}, baseEnv("WEB_CLIENT_SECRET=web-secret-0123456789"), false)
	if !cfg.Clients.HTTP.DisallowPrivateIPRanges {
		t.Error("clients.http.disallow_private_ip_ranges was lost next to clients.declared")
	}
	d := cfg.Clients.Declared
	if len(d) != 2 {
		t.Fatalf("got %d declared clients, want 2", len(d))
	}
	if d[0].ID() != "billing" || d[0].Fields["client_name"] != "Billing service" || !strings.HasPrefix(d[0].SecretHash, "$pbkdf2-sha256$") {
		t.Errorf("first entry %+v", d[0])
	}
	if _, ok := d[0].Fields["client_secret_hash"]; ok {
		t.Error("client_secret_hash is also left among the client fields")
	}
	meta, _ := d[0].Fields["metadata"].(map[string]any)
	if _, ok := meta["dotted.key"].(map[string]any); !ok {
		t.Errorf("metadata with a dotted key came back as %#v; free-form fields must be kept verbatim", meta)
	}
	if d[1].SecretEnv != "WEB_CLIENT_SECRET" || d[1].Secret != "web-secret-0123456789" {
		t.Errorf("second entry: env %q secret set %v", d[1].SecretEnv, d[1].Secret != "")
	}
}

// CLIENTS_DECLARED takes the same list as JSON, for deployments configured
// only through the environment.
func TestDeclaredClientsFromEnvironment(t *testing.T) {
	cfg, _ := mustLoad(t, nil, baseEnv(`CLIENTS_DECLARED=[{"client_id":"cli","token_endpoint_auth_method":"none"}]`), false)
	if len(cfg.Clients.Declared) != 1 || cfg.Clients.Declared[0].ID() != "cli" {
		t.Fatalf("declared = %+v", cfg.Clients.Declared)
	}
}

// Each mistake is refused at load time with the entry's key path, and a
// secret is never echoed.
func TestDeclaredClientsRefused(t *testing.T) {
	const plaintext = "plaintext-secret-in-the-file"
	for _, tc := range []struct {
		name, body string
		env        []string
		wantKey    string
		wantMsg    string
	}{
		{"not a list", "clients: {declared: {client_id: a}}", nil, "clients.declared", "must be a list of objects"},
		{"not an object", "clients: {declared: [a]}", nil, "clients.declared[0]", "must be an object"},
		{"no client_id", "clients: {declared: [{client_name: x}]}", nil, "clients.declared[0].client_id", "is required"},
		{"client_id not a string", "clients: {declared: [{client_id: 7}]}", nil, "clients.declared[0].client_id", "is required"},
		{"repeated client_id", "clients: {declared: [{client_id: a}, {client_id: a}]}", nil, "clients.declared[1].client_id", "repeats"},
		{"plaintext secret", "clients: {declared: [{client_id: a, client_secret: " + plaintext + "}]}", nil,
			"clients.declared[0].client_secret", "plaintext secret is not accepted"},
		{"hash and env", "clients: {declared: [{client_id: a, client_secret_hash: x, client_secret_env: A}]}", []string{"A=secret-value"},
			"clients.declared[0]", "not both"},
		{"env var unset", "clients: {declared: [{client_id: a, client_secret_env: MISSING_SECRET}]}", nil,
			"clients.declared[0].client_secret_env", "MISSING_SECRET, which is not set"},
		{"secret pasted as env name", "clients: {declared: [{client_id: a, client_secret_env: " + plaintext + "!}]}", nil,
			"clients.declared[0].client_secret_env", "not the secret itself"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := writeFile(t, "signet.yaml", tc.body)
			_, _, err := Load([]string{f}, baseEnv(tc.env...), false)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Load: %v, want a configuration error", err)
			}
			found := false
			for _, p := range e.Problems {
				found = found || p.Key == tc.wantKey && strings.Contains(p.Msg, tc.wantMsg)
			}
			if !found {
				t.Errorf("problems %v: want %s: …%s…", e.Problems, tc.wantKey, tc.wantMsg)
			}
			if strings.Contains(err.Error(), plaintext) {
				t.Errorf("the error echoes the secret: %v", err)
			}
		})
	}
}
