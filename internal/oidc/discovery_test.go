package oidc

import (
	"encoding/json"
	"net/http/httptest"
	"slices"
	"testing"
)

func discoveryDoc(t *testing.T, f Features) map[string]any {
	t.Helper()
	d, err := NewDiscovery(BuildMetadata("https://id.example/", "https://id.example/", f))
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	d.ServeHTTP(w, httptest.NewRequest("GET", "/.well-known/openid-configuration", nil))
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func strs(v any) []string {
	var out []string
	for _, s := range v.([]any) {
		out = append(out, s.(string))
	}
	return out
}

// The code flow's document: what a relying party's library reads to decide
// how to talk to us.
func TestDiscoveryListsTheCodeFlow(t *testing.T) {
	m := discoveryDoc(t, Features{
		GrantTypes:           []string{"authorization_code", "refresh_token", "client_credentials"},
		ResponseTypes:        []string{"code"},
		ResponseModes:        []string{"query"},
		TokenAuthMethods:     []string{"client_secret_basic", "client_secret_post", "none"},
		IDTokenAlgs:          []string{"ES256"},
		SubjectTypes:         []string{"public", "pairwise"},
		Userinfo:             true,
		CodeChallengeMethods: []string{"S256"},
		Claims:               DefaultClaims(),
	})
	want := map[string][]string{
		"response_types_supported":              {"code"},
		"response_modes_supported":              {"query"},
		"grant_types_supported":                 {"authorization_code", "refresh_token", "client_credentials"},
		"code_challenge_methods_supported":      {"S256"},
		"claims_supported":                      {"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "sid", "at_hash"},
		"scopes_supported":                      {"offline_access", "offline", "openid"},
		"token_endpoint_auth_methods_supported": {"client_secret_basic", "client_secret_post", "none"},
		"id_token_signing_alg_values_supported": {"ES256"},
		"userinfo_signing_alg_values_supported": {"ES256"},
	}
	for k, v := range want {
		if got := strs(m[k]); !slices.Equal(got, v) {
			t.Errorf("%s = %v, want %v", k, got, v)
		}
	}
	if m["userinfo_endpoint"] != "https://id.example/userinfo" {
		t.Errorf("userinfo_endpoint = %v", m["userinfo_endpoint"])
	}
}

// Without the flow mounted, nothing of it is advertised.
func TestDiscoveryOmitsWhatIsNotMounted(t *testing.T) {
	m := discoveryDoc(t, Features{GrantTypes: []string{"client_credentials"}, IDTokenAlgs: []string{"RS256"}})
	for _, k := range []string{"userinfo_endpoint", "userinfo_signing_alg_values_supported", "claims_supported", "code_challenge_methods_supported"} {
		if _, ok := m[k]; ok {
			t.Errorf("%s advertised without the feature: %v", k, m[k])
		}
	}
	if got := strs(m["response_modes_supported"]); !slices.Equal(got, []string{"query", "fragment"}) {
		t.Errorf("default response modes = %v", got)
	}
}

// Clients that authenticate with JWTs read the accepted algorithms, and
// dynamic registration is announced only when it is enabled.
func TestDiscoveryListsJWTAuthAndRegistration(t *testing.T) {
	methods := []string{"client_secret_basic", "private_key_jwt", "client_secret_jwt"}
	algs := []string{"RS256", "ES256", "HS256"}
	m := discoveryDoc(t, Features{TokenAuthMethods: methods, TokenAuthSigningAlgs: algs, Revocation: true, Registration: true})
	for field, want := range map[string][]string{
		"token_endpoint_auth_methods_supported":                 methods,
		"token_endpoint_auth_signing_alg_values_supported":      algs,
		"revocation_endpoint_auth_methods_supported":            methods,
		"revocation_endpoint_auth_signing_alg_values_supported": algs,
	} {
		if got := strs(m[field]); !slices.Equal(got, want) {
			t.Errorf("%s = %v, want %v", field, got, want)
		}
	}
	if m["registration_endpoint"] != "https://id.example/oauth2/register" {
		t.Errorf("registration_endpoint = %v", m["registration_endpoint"])
	}
	if _, ok := discoveryDoc(t, Features{})["registration_endpoint"]; ok {
		t.Error("registration_endpoint is listed although registration is disabled")
	}
}

// RFC 9207 section 3: the flag is advertised exactly when the
// authorization endpoint sends iss; absent means false.
func TestDiscoveryIssuerIdentification(t *testing.T) {
	if m := discoveryDoc(t, Features{IssuerIdentification: true}); m["authorization_response_iss_parameter_supported"] != true {
		t.Errorf("authorization_response_iss_parameter_supported = %v, want true", m["authorization_response_iss_parameter_supported"])
	}
	if m := discoveryDoc(t, Features{}); m["authorization_response_iss_parameter_supported"] != nil {
		t.Errorf("advertised without the feature: %v", m["authorization_response_iss_parameter_supported"])
	}
}

func TestDiscoveryRequestObjectsAndPAR(t *testing.T) {
	m := discoveryDoc(t, Features{RequestObjects: true, RequestObjectSigningAlgs: []string{"ES256", "none"},
		PushedRequests: true, RequirePushedRequests: true})
	for _, k := range []string{"request_parameter_supported", "request_uri_parameter_supported",
		"require_request_uri_registration", "require_pushed_authorization_requests"} {
		if m[k] != true {
			t.Errorf("%s = %v, want true", k, m[k])
		}
	}
	if m["pushed_authorization_request_endpoint"] == nil || m["request_object_signing_alg_values_supported"] == nil {
		t.Errorf("metadata %v: want the PAR endpoint and the request object algorithms", m)
	}
	m = discoveryDoc(t, Features{})
	if m["request_parameter_supported"] != false || m["pushed_authorization_request_endpoint"] != nil {
		t.Errorf("advertised without the features: %v", m)
	}
}

// RFC 8628 section 4: the endpoint is advertised exactly when the device
// grant is mounted (oauth2.device_authorization.enabled).
func TestDiscoveryDeviceAuthorization(t *testing.T) {
	if m := discoveryDoc(t, Features{DeviceAuthorization: true}); m["device_authorization_endpoint"] != "https://id.example/oauth2/device/auth" {
		t.Errorf("device_authorization_endpoint = %v", m["device_authorization_endpoint"])
	}
	if m := discoveryDoc(t, Features{}); m["device_authorization_endpoint"] != nil {
		t.Errorf("advertised without the feature: %v", m["device_authorization_endpoint"])
	}
}
