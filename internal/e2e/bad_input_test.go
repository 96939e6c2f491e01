package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	hydra "github.com/ory/hydra-client-go/v2"

	"github.com/signet-oidc/signet/internal/signettest"
)

// sqlID is a client id full of SQL metacharacters. It is valid data: it
// must be stored and found exactly, and never be interpreted.
const sqlID = `x'); DELETE FROM clients; --"%_\`

// badRequest is one request a stranger or a buggy program might send.
type badRequest struct {
	name        string
	method      string
	path        string // under the admin or public URL
	public      bool
	contentType string
	body        string
	header      http.Header
	status      int
	code        string // the errorOAuth2 "error" expected, when set
}

// TestBadInput: every malformed, oversized, mistyped or hostile request
// gets a precise 4xx in the route's error shape, never a 500, and leaves
// every stored client and key exactly as it was.
func TestBadInput(t *testing.T) {
	t.Parallel()
	// Every backend: PostgreSQL refuses some text that SQLite stores, so a
	// request that is harmless on one can be a 500 on another.
	for _, b := range backends(withRegistration()) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			badInput(t, b.start(t))
		})
	}
}

func badInput(t *testing.T, srv *signettest.Server) {
	seed := seedBadInputData(t, srv)
	before := storedState(t, srv)

	for _, group := range [][]badRequest{
		adminClientBodies(), adminClientPaths(), adminClientQueries(),
		adminKeyRequests(), publicRequests(), introspectionRequests(),
		trustBodies(seed), trustPaths(), secretRotationRequests(),
		registrationBodies(), registrationManagement(seed),
		clientAssertionRequests(t, srv), jwtBearerRequests(t, srv, seed),
	} {
		for _, tc := range group {
			t.Run(tc.name, func(t *testing.T) {
				target := srv.AdminURL + tc.path
				if tc.public {
					target = srv.PublicURL + tc.path
				}
				r := send(t, tc.method, target, tc.contentType, strings.NewReader(tc.body), tc.header)
				if r.Status != tc.status {
					t.Errorf("%s %s: status %d, want %d; body %s", tc.method, tc.path, r.Status, tc.status, clip(r.Body))
				}
				assertErrorShape(t, r)
				if tc.code != "" {
					var e oauthError
					if json.Unmarshal(r.Body, &e) != nil || e.Error != tc.code {
						t.Errorf("%s %s: error %q, want %q; body %s", tc.method, tc.path, e.Error, tc.code, clip(r.Body))
					}
				}
				if after := storedState(t, srv); !bytes.Equal(after, before) {
					t.Fatalf("the refused request changed stored data:\nbefore %s\nafter  %s", before, after)
				}
			})
		}
	}
}

// seedBadInputData stores what the hostile requests aim at.
func seedBadInputData(t *testing.T, srv *signettest.Server) badSeed {
	t.Helper()
	newMachineClient(t, srv, func(c *hydra.OAuth2Client) { c.SetClientId("victim") })
	newMachineClient(t, srv, func(c *hydra.OAuth2Client) { c.SetClientId(sqlID) })
	got, _, err := srv.Admin.OAuth2API.GetOAuth2Client(context.Background(), sqlID).Execute()
	if err != nil || got.GetClientId() != sqlID {
		t.Fatalf("a client id with SQL metacharacters does not round-trip: %v %q", sdkErr(err), got.GetClientId())
	}
	list, _, err := srv.Admin.OAuth2API.ListOAuth2Clients(context.Background()).Execute()
	if err != nil || len(list) != 2 {
		t.Fatalf("listing after storing the SQL id: %d clients, %v; want 2", len(list), err)
	}
	return seedTrustAndRegistration(t, srv)
}

// storedState is everything a refused request must not touch: all clients,
// all keys of the sets that exist and all trust relationships, as the
// admin API shows them.
func storedState(t *testing.T, srv *signettest.Server) []byte {
	t.Helper()
	var out bytes.Buffer
	for _, p := range []string{
		"/admin/clients?page_size=1000",
		"/admin/keys/" + setIDToken,
		"/admin/keys/" + setAccessToken,
		"/admin/keys/e2e.bad",
		"/admin/trust/grants/jwt-bearer/issuers?page_size=1000",
	} {
		r := send(t, http.MethodGet, srv.AdminURL+p, "", nil, nil)
		out.WriteString(p)
		out.WriteString(" ")
		out.Write(r.Body)
	}
	return out.Bytes()
}

// assertErrorShape requires one of the contract's two error bodies.
func assertErrorShape(t *testing.T, r response) {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Errorf("error body is not JSON: %s", clip(r.Body))
		return
	}
	_, oauth := body["error"].(string)
	_, generic := body["message"].(string)
	if !oauth && !generic {
		t.Errorf("error body is neither errorOAuth2 nor genericError: %s", clip(r.Body))
	}
}

func clip(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

const (
	ctJSON = "application/json"
	ctForm = "application/x-www-form-urlencoded"
)

func adminClientBodies() []badRequest {
	huge := `{"client_name":"` + strings.Repeat("a", 1<<20) + `"}`
	victim := `{"client_name":"changed","grant_types":["client_credentials"]}`
	return []badRequest{
		{name: "create malformed JSON", method: "POST", path: "/admin/clients", contentType: ctJSON, body: `{"client_name":`, status: 400},
		{name: "create trailing data", method: "POST", path: "/admin/clients", contentType: ctJSON, body: `{} {}`, status: 400},
		{name: "create null body", method: "POST", path: "/admin/clients", contentType: ctJSON, body: `null`, status: 400},
		{name: "put null body", method: "PUT", path: "/admin/clients/victim", contentType: ctJSON, body: ` null `, status: 400},
		{name: "patch null body", method: "PATCH", path: "/admin/clients/victim", contentType: ctJSON, body: `null`, status: 400},
		{name: "create JSON array", method: "POST", path: "/admin/clients", contentType: ctJSON, body: `[]`, status: 400},
		{name: "create wrong field type", method: "POST", path: "/admin/clients", contentType: ctJSON, body: `{"client_name":5}`, status: 400},
		{name: "create unknown field", method: "POST", path: "/admin/clients", contentType: ctJSON, body: `{"client_nme":"x"}`, status: 400},
		{name: "create invalid UTF-8", method: "POST", path: "/admin/clients", contentType: ctJSON, body: "{\"client_name\":\"\xff\xfe\"}", status: 400},
		{name: "create text/plain", method: "POST", path: "/admin/clients", contentType: "text/plain", body: `{}`, status: 415},
		{name: "create form content type", method: "POST", path: "/admin/clients", contentType: ctForm, body: `client_name=x`, status: 415},
		{name: "create no content type", method: "POST", path: "/admin/clients", body: `{}`, status: 415},
		{name: "create oversized body", method: "POST", path: "/admin/clients", contentType: ctJSON, body: huge, status: 413},
		{name: "create very long name", method: "POST", path: "/admin/clients", contentType: ctJSON, body: `{"client_name":"` + strings.Repeat("n", 5000) + `"}`, status: 400},
		{name: "create very long id", method: "POST", path: "/admin/clients", contentType: ctJSON, body: `{"client_id":"` + strings.Repeat("i", 300) + `"}`, status: 400},
		{name: "create duplicate SQL id", method: "POST", path: "/admin/clients", contentType: ctJSON, body: mustJSON(map[string]string{"client_id": sqlID}), status: 409},
		{name: "create duplicate victim", method: "POST", path: "/admin/clients", contentType: ctJSON, body: `{"client_id":"victim"}`, status: 409},
		{name: "create bad redirect URI", method: "POST", path: "/admin/clients", contentType: ctJSON, body: `{"redirect_uris":["javascript:alert(1)"]}`, status: 400},
		{name: "create unknown grant type", method: "POST", path: "/admin/clients", contentType: ctJSON, body: `{"grant_types":["magic"]}`, status: 400},
		{name: "create unknown auth method", method: "POST", path: "/admin/clients", contentType: ctJSON, body: `{"token_endpoint_auth_method":"telepathy"}`, status: 400},
		{name: "create unknown token strategy", method: "POST", path: "/admin/clients", contentType: ctJSON, body: `{"access_token_strategy":"paper"}`, status: 400},
		{name: "put malformed JSON", method: "PUT", path: "/admin/clients/victim", contentType: ctJSON, body: `{"client_name":"changed"`, status: 400},
		{name: "put unknown field", method: "PUT", path: "/admin/clients/victim", contentType: ctJSON, body: `{"client_name":"changed","clientname":"x"}`, status: 400},
		{name: "put wrong content type", method: "PUT", path: "/admin/clients/victim", contentType: "text/json", body: victim, status: 415},
		{name: "put other client_id in body", method: "PUT", path: "/admin/clients/victim", contentType: ctJSON, body: `{"client_id":"other","client_name":"changed"}`, status: 400},
		{name: "put oversized body", method: "PUT", path: "/admin/clients/victim", contentType: ctJSON, body: huge, status: 413},
		{name: "patch unknown op", method: "PATCH", path: "/admin/clients/victim", contentType: ctJSON, body: `[{"op":"explode","path":"/scope"}]`, status: 400},
		{name: "patch client_id", method: "PATCH", path: "/admin/clients/victim", contentType: ctJSON, body: `[{"op":"replace","path":"/client_id","value":"stolen"}]`, status: 400},
		{name: "patch missing path", method: "PATCH", path: "/admin/clients/victim", contentType: ctJSON, body: `[{"op":"remove","path":"/no/such/field"}]`, status: 400},
		{name: "patch result invalid", method: "PATCH", path: "/admin/clients/victim", contentType: ctJSON, body: `[{"op":"replace","path":"/grant_types","value":5}]`, status: 400},
		{name: "patch result has unknown field", method: "PATCH", path: "/admin/clients/victim", contentType: ctJSON, body: `[{"op":"add","path":"/evil","value":1}]`, status: 400},
		{name: "patch not an array", method: "PATCH", path: "/admin/clients/victim", contentType: ctJSON, body: `{"op":"replace","path":"/scope","value":"x"}`, status: 400},
		{name: "patch typo in member", method: "PATCH", path: "/admin/clients/victim", contentType: ctJSON, body: `[{"op":"replace","pth":"/scope","value":"x"}]`, status: 400},
		{name: "patch text/plain", method: "PATCH", path: "/admin/clients/victim", contentType: "text/plain", body: `[]`, status: 415},
		{name: "patch second op fails", method: "PATCH", path: "/admin/clients/victim", contentType: ctJSON, body: `[{"op":"replace","path":"/client_name","value":"changed"},{"op":"test","path":"/scope","value":"nope"}]`, status: 400},
		{name: "lifespans bad duration", method: "PUT", path: "/admin/clients/victim/lifespans", contentType: ctJSON, body: `{"client_credentials_grant_access_token_lifespan":"forever"}`, status: 400},
		{name: "lifespans negative duration", method: "PUT", path: "/admin/clients/victim/lifespans", contentType: ctJSON, body: `{"client_credentials_grant_access_token_lifespan":"-1h"}`, status: 400},
		{name: "lifespans unknown field", method: "PUT", path: "/admin/clients/victim/lifespans", contentType: ctJSON, body: `{"forever":"1h"}`, status: 400},
	}
}

func adminClientPaths() []badRequest {
	long := "/admin/clients/" + strings.Repeat("x", 300)
	return []badRequest{
		{name: "get SQL id", method: "GET", path: "/admin/clients/" + url.PathEscape(`' OR '1'='1`), status: 404},
		// Not UTF-8, or with NUL: PostgreSQL refuses such text outright, so
		// the store must answer "not found" before asking it.
		{name: "get NUL id", method: "GET", path: "/admin/clients/%00", status: 404},
		{name: "get invalid UTF-8 id", method: "GET", path: "/admin/clients/%FF%FE", status: 404},
		{name: "delete NUL id", method: "DELETE", path: "/admin/clients/a%00b", status: 404},
		{name: "delete SQL id", method: "DELETE", path: "/admin/clients/" + url.PathEscape(`' OR 1=1; --`), status: 404},
		{name: "delete LIKE wildcard", method: "DELETE", path: "/admin/clients/%25", status: 404},
		{name: "delete prefix of SQL id", method: "DELETE", path: "/admin/clients/" + url.PathEscape(sqlID[:5]), status: 404},
		{name: "put SQL id", method: "PUT", path: "/admin/clients/" + url.PathEscape(`victim' --`), contentType: ctJSON, body: `{"client_name":"changed"}`, status: 404},
		{name: "patch SQL id", method: "PATCH", path: "/admin/clients/" + url.PathEscape(`victim" OR ""="`), contentType: ctJSON, body: `[{"op":"replace","path":"/client_name","value":"changed"}]`, status: 404},
		{name: "lifespans SQL id", method: "PUT", path: "/admin/clients/" + url.PathEscape(`%' --`) + "/lifespans", contentType: ctJSON, body: `{}`, status: 404},
		{name: "get very long id", method: "GET", path: long, status: 404},
		{name: "delete very long id", method: "DELETE", path: long, status: 404},
		{name: "put very long id", method: "PUT", path: long, contentType: ctJSON, body: `{}`, status: 404},
		{name: "unknown admin route", method: "GET", path: "/admin/nothing-here", status: 404},
		{name: "wrong method on clients", method: "DELETE", path: "/admin/clients", status: 404},
	}
}

func adminClientQueries() []badRequest {
	return []badRequest{
		{name: "list page_size not a number", method: "GET", path: "/admin/clients?page_size=abc", status: 400},
		{name: "list page_size zero", method: "GET", path: "/admin/clients?page_size=0", status: 400},
		{name: "list page_size huge", method: "GET", path: "/admin/clients?page_size=99999999999999999999", status: 400},
		{name: "list page_token of invalid UTF-8", method: "GET", path: "/admin/clients?page_token=__4", status: 400},
		{name: "list page_token garbage", method: "GET", path: "/admin/clients?page_token=" + url.QueryEscape(`' OR 1=1 --`), status: 400},
		{name: "list page_token very long", method: "GET", path: "/admin/clients?page_token=" + strings.Repeat("A", 5000), status: 400},
		{name: "list repeated page_size", method: "GET", path: "/admin/clients?page_size=1&page_size=2", status: 400},
		{name: "list unknown parameter", method: "GET", path: "/admin/clients?limit=5", status: 400},
		{name: "list bad escape", method: "GET", path: "/admin/clients?owner=%zz", status: 400},
	}
}

func adminKeyRequests() []badRequest {
	return []badRequest{
		{name: "keys get invalid UTF-8 set", method: "GET", path: "/admin/keys/%FF", status: 404},
		{name: "keys get NUL kid", method: "GET", path: "/admin/keys/" + setIDToken + "/%00", status: 404},
		{name: "keys create malformed", method: "POST", path: "/admin/keys/e2e.bad", contentType: ctJSON, body: `{"alg":`, status: 400},
		{name: "keys create unknown field", method: "POST", path: "/admin/keys/e2e.bad", contentType: ctJSON, body: `{"alg":"RS256","use":"sig","bits":512}`, status: 400},
		{name: "keys create text/plain", method: "POST", path: "/admin/keys/e2e.bad", contentType: "text/plain", body: `{"alg":"RS256","use":"sig"}`, status: 415},
		{name: "keys create alg none", method: "POST", path: "/admin/keys/e2e.bad", contentType: ctJSON, body: `{"alg":"none","use":"sig"}`, status: 400},
		{name: "keys create very long kid", method: "POST", path: "/admin/keys/e2e.bad", contentType: ctJSON, body: `{"alg":"ES256","use":"sig","kid":"` + strings.Repeat("k", 5000) + `"}`, status: 400},
		{name: "keys put set not JWKs", method: "PUT", path: "/admin/keys/" + setAccessToken, contentType: ctJSON, body: `{"keys":[{"kty":"nope"}]}`, status: 400},
		{name: "keys put set unknown field", method: "PUT", path: "/admin/keys/" + setAccessToken, contentType: ctJSON, body: `{"keys":[],"extra":1}`, status: 400},
		{name: "keys put key malformed", method: "PUT", path: "/admin/keys/" + setAccessToken + "/x", contentType: ctJSON, body: `{"kty":`, status: 400},
		{name: "keys put symmetric key", method: "PUT", path: "/admin/keys/" + setAccessToken + "/x", contentType: ctJSON, body: `{"kty":"oct","k":"c2VjcmV0","kid":"x","alg":"HS256","use":"sig"}`, status: 400},
		{name: "keys delete SQL set", method: "DELETE", path: "/admin/keys/" + url.PathEscape(`x' OR '1'='1`), status: 404},
		{name: "keys delete SQL kid", method: "DELETE", path: "/admin/keys/" + setIDToken + "/" + url.PathEscape(`' OR 1=1 --`), status: 404},
		{name: "keys get very long set", method: "GET", path: "/admin/keys/" + strings.Repeat("s", 2000), status: 404},
	}
}

func publicRequests() []badRequest {
	basic := http.Header{"Authorization": {"Basic dmljdGltOndyb25n"}} // victim:wrong
	return []badRequest{
		{name: "token JSON body", public: true, method: "POST", path: "/oauth2/token", contentType: ctJSON, body: `{"grant_type":"client_credentials"}`, status: 415},
		{name: "token no content type", public: true, method: "POST", path: "/oauth2/token", body: `grant_type=client_credentials`, status: 415},
		{name: "token repeated grant_type", public: true, method: "POST", path: "/oauth2/token", contentType: ctForm, body: `grant_type=client_credentials&grant_type=password`, status: 400},
		{name: "token bad escape", public: true, method: "POST", path: "/oauth2/token", contentType: ctForm, body: `grant_type=%zz`, status: 400},
		{name: "token oversized body", public: true, method: "POST", path: "/oauth2/token", contentType: ctForm, body: "grant_type=client_credentials&scope=" + strings.Repeat("a", 70<<10), status: 413},
		{name: "token very long scope", public: true, method: "POST", path: "/oauth2/token", contentType: ctForm, body: "grant_type=client_credentials&scope=" + strings.Repeat("a", 9000), header: basic, status: 400},
		{name: "token NUL client_id", public: true, method: "POST", path: "/oauth2/token", contentType: ctForm, body: "grant_type=client_credentials&client_id=%00&client_secret=x", status: 401},
		{name: "token basic invalid UTF-8 id", public: true, method: "POST", path: "/oauth2/token", contentType: ctForm, body: "grant_type=client_credentials", header: http.Header{"Authorization": {"Basic JUZGOng="}}, status: 401}, // %FF:x
		{name: "revoke NUL client_id", public: true, method: "POST", path: "/oauth2/revoke", contentType: ctForm, body: "token=x&client_id=a%00&client_secret=x", status: 401},
		{name: "token SQL client_id", public: true, method: "POST", path: "/oauth2/token", contentType: ctForm, body: "grant_type=client_credentials&client_id=" + url.QueryEscape(`' OR '1'='1`) + "&client_secret=x", status: 401},
		{name: "token very long client_id", public: true, method: "POST", path: "/oauth2/token", contentType: ctForm, body: "grant_type=client_credentials&client_id=" + strings.Repeat("c", 4000) + "&client_secret=x", status: 401},
		{name: "token bad basic base64", public: true, method: "POST", path: "/oauth2/token", contentType: ctForm, body: "grant_type=client_credentials", header: http.Header{"Authorization": {"Basic !!!"}}, status: 400},
		{name: "token basic without colon", public: true, method: "POST", path: "/oauth2/token", contentType: ctForm, body: "grant_type=client_credentials", header: http.Header{"Authorization": {"Basic dmljdGlt"}}, status: 400},
		{name: "token basic very long", public: true, method: "POST", path: "/oauth2/token", contentType: ctForm, body: "grant_type=client_credentials", header: http.Header{"Authorization": {"Basic " + strings.Repeat("QUFB", 4000)}}, status: 400},
		{name: "token GET", public: true, method: "GET", path: "/oauth2/token", status: 404},
		{name: "revoke missing token", public: true, method: "POST", path: "/oauth2/revoke", contentType: ctForm, body: "", header: basic, status: 400},
		{name: "revoke JSON body", public: true, method: "POST", path: "/oauth2/revoke", contentType: ctJSON, body: `{"token":"x"}`, status: 415},
		{name: "revoke wrong secret", public: true, method: "POST", path: "/oauth2/revoke", contentType: ctForm, body: "token=abc", header: basic, status: 401},
		{name: "unknown public route", public: true, method: "GET", path: "/admin/clients", status: 404},
	}
}

func introspectionRequests() []badRequest {
	return []badRequest{
		{name: "introspect JSON body", method: "POST", path: "/admin/oauth2/introspect", contentType: ctJSON, body: `{"token":"x"}`, status: 415},
		{name: "introspect missing token", method: "POST", path: "/admin/oauth2/introspect", contentType: ctForm, body: "scope=read", status: 400},
		{name: "introspect repeated token", method: "POST", path: "/admin/oauth2/introspect", contentType: ctForm, body: "token=a&token=b", status: 400},
		{name: "introspect oversized", method: "POST", path: "/admin/oauth2/introspect", contentType: ctForm, body: "token=" + strings.Repeat("a", 70<<10), status: 413},
		{name: "introspect token over param limit", method: "POST", path: "/admin/oauth2/introspect", contentType: ctForm, body: "token=" + strings.Repeat("a", 9000), status: 400},
		{name: "delete tokens very long client_id", method: "DELETE", path: "/admin/oauth2/tokens?client_id=" + strings.Repeat("c", 300), status: 400},
		{name: "delete tokens repeated client_id", method: "DELETE", path: "/admin/oauth2/tokens?client_id=a&client_id=b", status: 400},
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
