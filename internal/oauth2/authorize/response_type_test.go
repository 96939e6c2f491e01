package authorize

import (
	"testing"

	"github.com/signet-oidc/signet/internal/client"
)

func TestParseResponseType(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ResponseType
		ok   bool
	}{
		{"code", ResponseType{Code: true}, true},
		{"token", ResponseType{Token: true}, true},
		{"id_token", ResponseType{IDToken: true}, true},
		{"id_token token", ResponseType{Token: true, IDToken: true}, true},
		{"token id_token", ResponseType{Token: true, IDToken: true}, true},
		{"code id_token", ResponseType{Code: true, IDToken: true}, true},
		{"id_token code", ResponseType{Code: true, IDToken: true}, true},
		{"code token", ResponseType{Code: true, Token: true}, true},
		{"code id_token token", ResponseType{Code: true, Token: true, IDToken: true}, true},
		{"token code id_token", ResponseType{Code: true, Token: true, IDToken: true}, true},
		// Refused: unknown, repeated, empty parts, other separators, case.
		{"", ResponseType{}, false},
		{"none", ResponseType{}, false},
		{"code foo", ResponseType{}, false},
		{"code code", ResponseType{}, false},
		{"code  token", ResponseType{}, false},
		{" code", ResponseType{}, false},
		{"code ", ResponseType{}, false},
		{"code\ttoken", ResponseType{}, false},
		{"code+token", ResponseType{}, false},
		{"Code", ResponseType{}, false},
	} {
		got, ok := ParseResponseType(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("ParseResponseType(%q) = %+v, %v; want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// Every advertised value parses, and prints back as advertised.
func TestSupportedResponseTypesRoundTrip(t *testing.T) {
	for _, s := range SupportedResponseTypes() {
		rt, ok := ParseResponseType(s)
		if !ok || rt.String() != s {
			t.Errorf("%q: parsed %+v %v, printed %q", s, rt, ok, rt.String())
		}
	}
}

func TestCheckResponseType(t *testing.T) {
	implicit := []string{client.GrantImplicit}
	both := []string{client.GrantAuthorizationCode, client.GrantImplicit}
	for _, tc := range []struct {
		name       string
		request    string
		registered []string
		grants     []string
		code       string // "" means accepted
	}{
		{"code, default registration", "code", nil, nil, ""},
		{"code registered", "code", []string{"code"}, []string{"authorization_code"}, ""},
		{"implicit, registered in the other order", "id_token token", []string{"token id_token"}, implicit, ""},
		{"token", "token", []string{"token"}, implicit, ""},
		{"id_token", "id_token", []string{"id_token"}, implicit, ""},
		{"hybrid, any order", "token code id_token", []string{"code id_token token"}, both, ""},
		{"code token", "code token", []string{"code token"}, both, ""},
		{"missing", "", []string{"code"}, nil, "invalid_request"},
		{"unknown", "code foo", []string{"code"}, nil, "unsupported_response_type"},
		{"not registered", "token", []string{"code"}, implicit, "unauthorized_client"},
		{"subset is not registered", "id_token", []string{"id_token token"}, implicit, "unauthorized_client"},
		{"superset is not registered", "code id_token", []string{"code", "id_token"}, both, "unauthorized_client"},
		{"default registration is code only", "token", nil, implicit, "unauthorized_client"},
		{"implicit without the implicit grant", "id_token", []string{"id_token"}, []string{"authorization_code"}, "unauthorized_client"},
		{"hybrid without the implicit grant", "code id_token", []string{"code id_token"}, []string{"authorization_code"}, "unauthorized_client"},
		{"hybrid without authorization_code", "code token", []string{"code token"}, implicit, "unauthorized_client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &client.Client{ID: "app", ResponseTypes: tc.registered, GrantTypes: tc.grants}
			_, err := checkResponseType(tc.request, c)
			switch {
			case tc.code == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.code != "" && (err == nil || err.Code != tc.code):
				t.Fatalf("got %v, want %s", err, tc.code)
			}
		})
	}
}
