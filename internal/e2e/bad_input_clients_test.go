package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/signettest"
	"github.com/signet-oidc/signet/internal/signettest/jwttest"
)

// Bad input for the client endpoints of RFC 7591/7592 (dynamic
// registration), secret rotation, and client authentication with JWT
// assertions (RFC 7523 section 2.2).

func secretRotationRequests() []badRequest {
	rotate := func(id string) string { return "/admin/clients/" + id + "/secrets/rotate" }
	long := strings.Repeat("x", 300)
	return []badRequest{
		{name: "rotate NUL id", method: "POST", path: rotate("%00"), status: 404},
		{name: "rotate invalid UTF-8 id", method: "POST", path: rotate("%FF%FE"), status: 404},
		{name: "rotate SQL id", method: "POST", path: rotate(url.PathEscape(`victim' --`)), status: 404},
		{name: "rotate very long id", method: "POST", path: rotate(long), status: 404},
		{name: "rotate unknown id", method: "POST", path: rotate("ghost"), status: 404},
		// A public client has no secret to rotate.
		{name: "rotate public client", method: "POST", path: rotate(bearerClient), status: 400, code: "invalid_request"},
		{name: "delete rotated NUL id", method: "DELETE", path: rotate("a%00b"), status: 404},
		{name: "delete rotated invalid UTF-8 id", method: "DELETE", path: rotate("%FF"), status: 404},
		{name: "delete rotated SQL id", method: "DELETE", path: rotate(url.PathEscape(`' OR 1=1; --`)), status: 404},
		{name: "delete rotated very long id", method: "DELETE", path: rotate(long), status: 404},
		{name: "rotate GET", method: "GET", path: rotate("victim"), status: 404},
	}
}

func registrationBodies() []badRequest {
	post := func(name, ct, body string, status int, code string) badRequest {
		return badRequest{name: "register " + name, public: true, method: "POST", path: "/oauth2/register",
			contentType: ct, body: body, status: status, code: code}
	}
	return []badRequest{
		post("malformed JSON", ctJSON, `{"client_name":`, 400, "invalid_request"),
		post("null body", ctJSON, `null`, 400, "invalid_request"),
		post("JSON array", ctJSON, `[]`, 400, "invalid_request"),
		post("trailing data", ctJSON, `{} {}`, 400, "invalid_request"),
		post("unknown field", ctJSON, `{"client_nme":"x"}`, 400, "invalid_request"),
		post("wrong field type", ctJSON, `{"client_name":5}`, 400, "invalid_request"),
		post("invalid UTF-8", ctJSON, "{\"client_name\":\"\xff\xfe\"}", 400, "invalid_request"),
		post("text/plain", "text/plain", `{}`, 415, "invalid_request"),
		post("form content type", ctForm, `client_name=x`, 415, "invalid_request"),
		post("no content type", "", `{}`, 415, "invalid_request"),
		post("oversized body", ctJSON, `{"client_name":"`+strings.Repeat("a", 70<<10)+`"}`, 413, "invalid_request"),
		post("client_id chosen", ctJSON, `{"client_id":"victim"}`, 400, "invalid_client_metadata"),
		post("SQL client_id chosen", ctJSON, mustJSON(map[string]string{"client_id": sqlID}), 400, "invalid_client_metadata"),
		post("client_secret chosen", ctJSON, `{"client_secret":"my-own-secret"}`, 400, "invalid_client_metadata"),
		post("metadata", ctJSON, `{"metadata":{"role":"admin"}}`, 400, "invalid_client_metadata"),
		post("skip_consent", ctJSON, `{"skip_consent":true}`, 400, "invalid_client_metadata"),
		post("bad redirect URI", ctJSON, `{"redirect_uris":["javascript:alert(1)"]}`, 400, "invalid_redirect_uri"),
		post("unknown grant type", ctJSON, `{"grant_types":["magic"]}`, 400, "invalid_client_metadata"),
		post("very long name", ctJSON, `{"client_name":"`+strings.Repeat("n", 5000)+`"}`, 400, "invalid_client_metadata"),
		post("NUL in name", ctJSON, `{"client_name":"a\u0000b"}`, 400, "invalid_client_metadata"),
	}
}

// registrationManagement covers RFC 7592's read, update and delete: no
// token, a wrong one, another client's, malformed ones, ids no row can
// hold (all the same 401), then bodies the holder of the right token
// sends wrong.
func registrationManagement(seed badSeed) []badRequest {
	own := "/oauth2/register/" + url.PathEscape(seed.regID)
	bearer := func(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }
	holder := bearer(seed.regToken)
	var rows []badRequest
	for _, m := range []string{"GET", "PUT", "DELETE"} {
		for _, c := range []struct {
			name, path string
			header     http.Header
		}{
			{"no token", own, nil},
			{"wrong token", own, bearer("wrong")},
			{"another client's token", "/oauth2/register/victim", holder},
			{"Basic scheme", own, http.Header{"Authorization": {"Basic " + seed.regToken}}},
			{"two Authorization headers", own, http.Header{"Authorization": {"Bearer " + seed.regToken, "Bearer x"}}},
			{"very long token", own, bearer(strings.Repeat("t", 5000))},
			{"NUL id", "/oauth2/register/a%00b", holder},
			{"invalid UTF-8 id", "/oauth2/register/%FF%FE", holder},
			{"SQL id", "/oauth2/register/" + url.PathEscape(`' OR '1'='1`), holder},
			{"very long id", "/oauth2/register/" + strings.Repeat("x", 300), holder},
		} {
			r := badRequest{name: "register " + m + " " + c.name, public: true, method: m, path: c.path, header: c.header, status: 401}
			if m != "DELETE" { // DELETE answers in the genericError shape
				r.code = "invalid_token"
			}
			if m == "PUT" {
				// Malformed on purpose: authorisation comes first, so
				// a stranger learns nothing from how a body is refused.
				r.contentType, r.body = ctJSON, `{"client_name":`
			}
			rows = append(rows, r)
		}
	}
	put := func(name, ct, body string, status int, code string) badRequest {
		return badRequest{name: "register PUT " + name, public: true, method: "PUT", path: own, header: holder,
			contentType: ct, body: body, status: status, code: code}
	}
	return append(rows,
		put("malformed JSON", ctJSON, `{"client_name":`, 400, "invalid_request"),
		put("null body", ctJSON, `null`, 400, "invalid_request"),
		put("unknown field", ctJSON, `{"client_nme":"x"}`, 400, "invalid_request"),
		put("invalid UTF-8", ctJSON, "{\"client_name\":\"\xff\"}", 400, "invalid_request"),
		put("text/plain", "text/plain", `{}`, 415, "invalid_request"),
		put("oversized body", ctJSON, `{"client_name":"`+strings.Repeat("a", 70<<10)+`"}`, 413, "invalid_request"),
		put("another client_id", ctJSON, `{"client_id":"victim"}`, 400, "invalid_client_metadata"),
		put("a new client_secret", ctJSON, `{"client_secret":"my-own-secret"}`, 400, "invalid_client_metadata"),
		put("metadata", ctJSON, `{"metadata":{"role":"admin"}}`, 400, "invalid_client_metadata"),
		put("unknown grant type", ctJSON, `{"grant_types":["magic"]}`, 400, "invalid_client_metadata"),
	)
}

// clientAssertionRequests are refused client authentications with JWT
// assertions. Signed rows use an HMAC key no client holds, with claims
// naming clients no row can hold.
func clientAssertionRequests(t *testing.T, srv *signettest.Server) []badRequest {
	now := time.Now()
	signed := func(id string) string {
		return jwttest.Sign(t, jose.HS256, []byte(strings.Repeat("k", 32)), "", map[string]any{
			"iss": id, "sub": id, "aud": srv.PublicURL + "/oauth2/token", "jti": "bad-input",
			"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()})
	}
	typ := "&client_assertion_type=" + url.QueryEscape(assertionType)
	form := func(name, params string, header http.Header, status int) badRequest {
		code := "invalid_request"
		if status == http.StatusUnauthorized {
			code = "invalid_client"
		}
		return badRequest{name: "client assertion " + name, public: true, method: "POST", path: "/oauth2/token",
			contentType: ctForm, body: "grant_type=client_credentials" + params, header: header, status: status, code: code}
	}
	payload := func(name, p string) badRequest {
		return form(name, typ+"&client_assertion="+jwttest.SignPayload(t, jose.HS256, []byte(strings.Repeat("k", 32)), "", []byte(p)), nil, 401)
	}
	none := unsignedJWT(`{"alg":"none"}`, `{"iss":"victim","sub":"victim","aud":"x","exp":4102444800,"jti":"j"}`)
	return []badRequest{
		form("repeated", typ+"&client_assertion=a.b.c&client_assertion=a.b.c", nil, 400),
		form("repeated type", typ+typ+"&client_assertion=a.b.c", nil, 400),
		form("oversized", typ+"&client_assertion="+strings.Repeat("a", 9000), nil, 400),
		form("garbage", typ+"&client_assertion="+url.QueryEscape("not a JWT"), nil, 401),
		form("garbage with dots", typ+"&client_assertion=%21%21.%21%21.x", nil, 401),
		form("invalid UTF-8", typ+"&client_assertion=%FF.%FE.x", nil, 400),
		form("empty", typ+"&client_assertion=", nil, 400),
		form("alg none", typ+"&client_assertion="+none, nil, 401),
		payload("payload not JSON", "not json"),
		payload("iss a number", `{"iss":5,"sub":5,"aud":"x","exp":4102444800,"jti":"j"}`),
		payload("exp out of range", `{"iss":"victim","sub":"victim","aud":"x","exp":1e400,"jti":"j"}`),
		payload("jti an object", `{"iss":"victim","sub":"victim","aud":"x","exp":4102444800,"jti":{}}`),
		form("unknown type", "&client_assertion_type=urn%3Aexample%3Asaml&client_assertion="+signed("victim"), nil, 400),
		form("NUL client id", typ+"&client_assertion="+signed("a\x00b"), nil, 401),
		form("very long client id", typ+"&client_assertion="+signed(strings.Repeat("c", 2000)), nil, 401),
		form("SQL client id", typ+"&client_assertion="+signed(`' OR '1'='1`), nil, 401),
		form("for a client_secret_basic client", typ+"&client_assertion="+signed("victim"), nil, 401),
		form("with Basic too", typ+"&client_assertion="+signed("victim"),
			http.Header{"Authorization": {"Basic dmljdGltOndyb25n"}}, 400),
	}
}
