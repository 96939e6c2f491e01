package client

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/secret"
)

const rsaPublicJWK = `{"kty":"RSA","kid":"k1","alg":"RS256","use":"sig","e":"AQAB","n":"u1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0_IzW7yWR7QkrmBL7jTKEn5u-qKhbwKfBstIs-bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW_VDL5AaWTg0nLVkjRo9z-40RQzuVaE8AkAFmxZzow3x-VJYKdjykkJ0iT9wCS0DRTXu269V264Vf_3jvredZiKRkgwlL9xNAwxXFg0x_XFw005UWVRIkdgcKWTjpBP2dPwVZ4WWC-9aGVd-Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbcmw"}`

// base returns a valid confidential code client to be broken one field at
// a time.
func base() *Client {
	return &Client{ID: "c", RedirectURIs: []string{"https://app.example/cb"}}
}

func TestValidateAcceptsRealClients(t *testing.T) {
	cases := map[string]func(c *Client){
		"defaults only": func(c *Client) {},
		"native app custom": func(c *Client) {
			c.RedirectURIs = []string{"com.example.app:/oauth2redirect", "http://127.0.0.1:8080/cb"}
		},
		"hydra cli client_creds": func(c *Client) { c.GrantTypes = []string{"client_credentials"}; c.ResponseTypes = []string{"code"} },
		"quickstart code+id_token": func(c *Client) {
			c.GrantTypes = []string{"authorization_code", "refresh_token"}
			c.ResponseTypes = []string{"code", "id_token"}
		},
		"hybrid": func(c *Client) {
			c.GrantTypes = []string{"authorization_code", "implicit"}
			c.ResponseTypes = []string{"code id_token token"}
		},
		"private_key_jwt jwks": func(c *Client) {
			c.TokenEndpointAuthMethod = "private_key_jwt"
			c.JWKS = json.RawMessage(`{"keys":[` + rsaPublicJWK + `]}`)
		},
		"private_key_jwt uri": func(c *Client) { c.TokenEndpointAuthMethod = "private_key_jwt"; c.JWKSURI = "https://app.example/jwks" },
		"private_key_jwt ES256": func(c *Client) {
			c.TokenEndpointAuthMethod = "private_key_jwt"
			c.JWKSURI = "https://app.example/jwks"
			c.TokenEndpointAuthSigningAlg = "ES256"
		},
		"client_secret_jwt": func(c *Client) { c.TokenEndpointAuthMethod = "client_secret_jwt" },
		"client_secret_jwt HS512": func(c *Client) {
			c.TokenEndpointAuthMethod = "client_secret_jwt"
			c.TokenEndpointAuthSigningAlg = "HS512"
		},
		// Hydra accepts (and ignores) an asymmetric algorithm here.
		"basic with RS256": func(c *Client) { c.TokenEndpointAuthSigningAlg = "RS256" },
		"wildcard origin":  func(c *Client) { c.AllowedCORSOrigins = []string{"https://*.example.com", "http://localhost:3000"} },
		"metadata object":  func(c *Client) { c.Metadata = json.RawMessage(`{"a":[1,2]}`) },
		"metadata null":    func(c *Client) { c.Metadata = json.RawMessage(`null`) },
		"url scope":        func(c *Client) { c.Scope = "openid https://api.example/read" },
		"unicode name":     func(c *Client) { c.Name = "Café ☕ 应用" },
		"sql id":           func(c *Client) { c.ID = `'; DROP TABLE clients;--` },
		// Accepted whatever oidc.subject_identifiers.supported_types says;
		// the authorization endpoint refuses what the server cannot serve.
		"pairwise": func(c *Client) { c.SubjectType = "pairwise" },
		"pairwise with sector": func(c *Client) {
			c.SubjectType = "pairwise"
			c.SectorIdentifierURI = "https://app.example/sector.json"
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			c := base()
			mutate(c)
			Defaults(c)
			if err := Validate(c); err != nil {
				t.Fatalf("refused a valid client: %v", err)
			}
		})
	}
}

func TestValidateRefusesInvalidClients(t *testing.T) {
	long := strings.Repeat("x", 3000)
	many := make([]string, 101)
	for i := range many {
		many[i] = "https://a.example/" + string(rune('a'+i%26))
	}
	cases := []struct {
		name   string
		mutate func(c *Client)
		code   string
		want   string
	}{
		{"relative redirect", func(c *Client) { c.RedirectURIs = []string{"/cb"} }, "invalid_redirect_uri", "absolute"},
		{"redirect fragment", func(c *Client) { c.RedirectURIs = []string{"https://a.example/cb#x"} }, "invalid_redirect_uri", "fragment"},
		{"redirect empty fragment", func(c *Client) { c.RedirectURIs = []string{"https://a.example/cb#"} }, "invalid_redirect_uri", "fragment"},
		{"javascript redirect", func(c *Client) { c.RedirectURIs = []string{"javascript:alert(1)"} }, "invalid_redirect_uri", "scheme"},
		{"data redirect", func(c *Client) { c.RedirectURIs = []string{"DATA:text/html,x"} }, "invalid_redirect_uri", "scheme"},
		{"https without host", func(c *Client) { c.RedirectURIs = []string{"https:/cb"} }, "invalid_redirect_uri", "host"},
		{"redirect control char", func(c *Client) { c.RedirectURIs = []string{"https://a.example/\ncb"} }, "invalid_redirect_uri", "control"},
		{"too many redirects", func(c *Client) { c.RedirectURIs = many }, "invalid_redirect_uri", "at most 100"},
		{"post logout fragment", func(c *Client) { c.PostLogoutRedirectURIs = []string{"https://a.example/#x"} }, "invalid_redirect_uri", "post_logout_redirect_uris"},
		{"unknown grant", func(c *Client) { c.GrantTypes = []string{"password"} }, "invalid_client_metadata", "grant_types"},
		{"unknown response type", func(c *Client) { c.ResponseTypes = []string{"code", "device"} }, "invalid_client_metadata", "response_types"},
		{"repeated response part", func(c *Client) { c.ResponseTypes = []string{"code code"} }, "invalid_client_metadata", "response_types"},
		{"code grant without code", func(c *Client) {
			c.GrantTypes = []string{"authorization_code", "implicit"}
			c.ResponseTypes = []string{"token"}
		}, "invalid_client_metadata", "authorization_code"},
		{"token without implicit", func(c *Client) { c.ResponseTypes = []string{"code", "token"} }, "invalid_client_metadata", "implicit"},
		{"implicit without token type", func(c *Client) { c.GrantTypes = []string{"implicit"}; c.ResponseTypes = []string{"code"} }, "invalid_client_metadata", "implicit"},
		{"unknown auth method", func(c *Client) { c.TokenEndpointAuthMethod = "tls_client_auth" }, "invalid_client_metadata", "token_endpoint_auth_method"},
		{"client_secret_jwt with RS256", func(c *Client) {
			c.TokenEndpointAuthMethod = "client_secret_jwt"
			c.TokenEndpointAuthSigningAlg = "RS256"
		}, "invalid_client_metadata", "HS256, HS384, HS512 for client_secret_jwt"},
		{"private_key_jwt with HS256", func(c *Client) {
			c.TokenEndpointAuthMethod = "private_key_jwt"
			c.JWKSURI = "https://app.example/jwks"
			c.TokenEndpointAuthSigningAlg = "HS256"
		}, "invalid_client_metadata", "HMAC algorithms need client_secret_jwt"},
		{"basic with HS256", func(c *Client) { c.TokenEndpointAuthSigningAlg = "HS256" }, "invalid_client_metadata", "HMAC algorithms need client_secret_jwt"},
		{"secret_jwt alg none", func(c *Client) {
			c.TokenEndpointAuthMethod = "client_secret_jwt"
			c.TokenEndpointAuthSigningAlg = "none"
		}, "invalid_client_metadata", "token_endpoint_auth_signing_alg"},
		{"private_key_jwt without keys", func(c *Client) { c.TokenEndpointAuthMethod = "private_key_jwt" }, "invalid_client_metadata", "jwks"},
		{"jwks and jwks_uri", func(c *Client) {
			c.JWKS = json.RawMessage(`{"keys":[]}`)
			c.JWKSURI = "https://a.example/jwks"
		}, "invalid_client_metadata", "jwks and jwks_uri"},
		{"jwks not a set", func(c *Client) { c.JWKS = json.RawMessage(`[1]`) }, "invalid_client_metadata", "JSON Web Key Set"},
		{"jwks symmetric", func(c *Client) { c.JWKS = json.RawMessage(`{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`) }, "invalid_client_metadata", "public key"},
		{"jwks private", func(c *Client) {
			c.JWKS = json.RawMessage(`{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cLNqn0xQX5k3wX7tB4AZzc"}]}`)
		}, "invalid_client_metadata", "public key"},
		{"jwks garbage key", func(c *Client) { c.JWKS = json.RawMessage(`{"keys":[{"kty":"RSA"}]}`) }, "invalid_client_metadata", "jwks.keys[0]"},
		{"subject type", func(c *Client) { c.SubjectType = "random" }, "invalid_client_metadata", "subject_type"},
		{"token strategy", func(c *Client) { c.AccessTokenStrategy = "paseto" }, "invalid_client_metadata", "access_token_strategy"},
		{"empty id", func(c *Client) { c.ID = "" }, "invalid_client_metadata", "client_id"},
		{"id too long", func(c *Client) { c.ID = strings.Repeat("i", 256) }, "invalid_client_metadata", "client_id"},
		{"id control char", func(c *Client) { c.ID = "a\x07b" }, "invalid_client_metadata", "client_id"},
		{"id bad utf8", func(c *Client) { c.ID = "a\xffb" }, "invalid_client_metadata", "client_id"},
		{"name 10k", func(c *Client) { c.Name = strings.Repeat("n", 10000) }, "invalid_client_metadata", "client_name"},
		{"owner newline", func(c *Client) { c.Owner = "a\nb" }, "invalid_client_metadata", "owner"},
		{"scope double space", func(c *Client) { c.Scope = "openid  email" }, "invalid_client_metadata", "scope"},
		{"scope quote", func(c *Client) { c.Scope = `openid "x"` }, "invalid_client_metadata", "scope"},
		{"policy not url", func(c *Client) { c.PolicyURI = "policy.html" }, "invalid_client_metadata", "policy_uri"},
		{"logo javascript", func(c *Client) { c.LogoURI = "javascript:alert(1)" }, "invalid_client_metadata", "logo_uri"},
		{"jwks_uri too long", func(c *Client) { c.JWKSURI = "https://a.example/" + long }, "invalid_client_metadata", "jwks_uri"},
		{"sector http", func(c *Client) { c.SectorIdentifierURI = "http://a.example/s" }, "invalid_client_metadata", "https"},
		{"backchannel relative", func(c *Client) { c.BackchannelLogoutURI = "/logout" }, "invalid_client_metadata", "backchannel_logout_uri"},
		{"request_uris ftp", func(c *Client) { c.RequestURIs = []string{"ftp://a.example/r"} }, "invalid_client_metadata", "request_uris"},
		{"origin with path", func(c *Client) { c.AllowedCORSOrigins = []string{"https://a.example/app"} }, "invalid_client_metadata", "allowed_cors_origins"},
		{"origin with query", func(c *Client) { c.AllowedCORSOrigins = []string{"https://a.example?x"} }, "invalid_client_metadata", "allowed_cors_origins"},
		{"origin not http", func(c *Client) { c.AllowedCORSOrigins = []string{"chrome-extension://abc"} }, "invalid_client_metadata", "allowed_cors_origins"},
		{"origin two wildcards", func(c *Client) { c.AllowedCORSOrigins = []string{"https://*.*.example"} }, "invalid_client_metadata", "allowed_cors_origins"},
		{"empty audience", func(c *Client) { c.Audience = []string{""} }, "invalid_client_metadata", "audience"},
		{"audience too long", func(c *Client) { c.Audience = []string{long} }, "invalid_client_metadata", "audience"},
		{"too many contacts", func(c *Client) { c.Contacts = many }, "invalid_client_metadata", "contacts"},
		{"metadata array", func(c *Client) { c.Metadata = json.RawMessage(`[1]`) }, "invalid_client_metadata", "metadata"},
		{"metadata huge", func(c *Client) {
			c.Metadata = json.RawMessage(`{"a":"` + strings.Repeat("m", 70000) + `"}`)
		}, "invalid_client_metadata", "metadata"},
		{"alg none for token auth", func(c *Client) { c.TokenEndpointAuthSigningAlg = "none" }, "invalid_client_metadata", "token_endpoint_auth_signing_alg"},
		{"alg HS256", func(c *Client) { c.RequestObjectSigningAlg = "HS256" }, "invalid_client_metadata", "request_object_signing_alg"},
		{"negative secret expiry", func(c *Client) { c.SecretExpiresAt = -1 }, "invalid_client_metadata", "client_secret_expires_at"},
		{"negative lifespan", func(c *Client) {
			d := Duration(-1)
			c.ImplicitGrantAccessTokenLifespan = &d
		}, "invalid_client_metadata", "lifespans"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			tc.mutate(c)
			Defaults(c)
			err := Validate(c)
			var he *httpx.Error
			if !errors.As(err, &he) {
				t.Fatalf("accepted an invalid client (err %v)", err)
			}
			if he.Status != 400 || he.Code != tc.code || !strings.Contains(he.Description, tc.want) {
				t.Errorf("got %d %s %q; want 400 %s mentioning %q", he.Status, he.Code, he.Description, tc.code, tc.want)
			}
		})
	}
}

func TestSettleSecret(t *testing.T) {
	env := newEnv(t)
	h, r := env.admin.Hasher, env.admin.Rand
	cases := []struct {
		name, method, given, oldHash string
		wantErr, wantNew, wantHash   bool
	}{
		{"mint for basic", AuthClientSecretBasic, "", "", false, true, true},
		{"mint for post", AuthClientSecretPost, "", "", false, true, true},
		{"keep old", AuthClientSecretBasic, "", "old", false, false, true},
		{"none drops old", AuthNone, "", "old", false, false, false},
		{"none refuses given", AuthNone, "abcdefgh", "", true, false, false},
		{"private_key_jwt needs none", AuthPrivateKeyJWT, "", "", false, false, false},
		{"too short", AuthClientSecretBasic, "12345", "", true, false, false},
		{"too long", AuthClientSecretBasic, strings.Repeat("s", 513), "", true, false, false},
		{"control char", AuthClientSecretBasic, "abc\x00defg", "", true, false, false},
		{"given", AuthClientSecretBasic, "given-secret", "old", false, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &Client{TokenEndpointAuthMethod: tc.method, Secret: tc.given}
			var old *Client
			if tc.oldHash != "" {
				old = &Client{SecretHash: tc.oldHash}
			}
			err := env.admin.settleSecret(c, old)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if (c.Secret != "") != tc.wantNew || (c.SecretHash != "") != tc.wantHash {
				t.Fatalf("secret %q hash %q", c.Secret, c.SecretHash)
			}
			if tc.wantNew && h.Verify(c.SecretHash, c.Secret) != nil {
				t.Error("the hash does not verify the new secret")
			}
		})
	}

	bc := &Client{TokenEndpointAuthMethod: AuthClientSecretBasic, Secret: strings.Repeat("b", 73)}
	bcrypt := &Admin{Hasher: secretHasherBcrypt(), Rand: r}
	if err := bcrypt.settleSecret(bc, nil); err == nil {
		t.Error("bcrypt would silently truncate a 73-byte secret; it must be refused")
	}
}

func secretHasherBcrypt() secret.Hasher { return secret.Hasher{Algorithm: "bcrypt", BCryptCost: 4} }
