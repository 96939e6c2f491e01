package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/signettest"
	"github.com/signet-oidc/signet/internal/signettest/jwttest"
)

// Bad input for RFC 7523: the trust relationships of the admin API and
// the jwt-bearer grant at the token endpoint. The seed adds a trusted
// issuer, a public client allowed the grant and a dynamically registered
// client; bad_input_test.go's harness checks that no row changes them.

const (
	issuersPath  = "/admin/trust/grants/jwt-bearer/issuers"
	victimIssuer = "https://victim-idp.example"
	bearerClient = "bearer-public"
)

// badSeed is what the rows aim at.
type badSeed struct {
	trustJWK json.RawMessage // the trusted key, for a duplicate relationship
	// A dynamically registered client and its registration access token.
	regID, regToken string
}

func seedTrustAndRegistration(t *testing.T, srv *signettest.Server) badSeed {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwk, err := jose.JSONWebKey{Key: &key.PublicKey, KeyID: "victim-key", Algorithm: "ES256", Use: "sig"}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	r := send(t, http.MethodPost, srv.AdminURL+issuersPath, ctJSON, strings.NewReader(victimTrust(jwk)), nil)
	if r.Status != http.StatusCreated {
		t.Fatalf("trusting the victim issuer: %d %s", r.Status, r.Body)
	}
	createClient(t, srv, map[string]any{"client_id": bearerClient, "token_endpoint_auth_method": "none",
		"grant_types": []string{bearerGrant}, "scope": "read"})
	r = send(t, http.MethodPost, srv.PublicURL+"/oauth2/register", ctJSON,
		strings.NewReader(`{"client_name":"registered","grant_types":["client_credentials"]}`), nil)
	var reg struct {
		ID    string `json:"client_id"`
		Token string `json:"registration_access_token"`
	}
	if r.Status != http.StatusCreated || json.Unmarshal(r.Body, &reg) != nil || reg.Token == "" {
		t.Fatalf("registering a client: %d %s", r.Status, r.Body)
	}
	return badSeed{trustJWK: jwk, regID: reg.ID, regToken: reg.Token}
}

// victimTrust is the create body of the seeded relationship.
func victimTrust(jwk json.RawMessage) string {
	return mustJSON(map[string]any{"issuer": victimIssuer, "subject": "alice", "scope": []string{"read"},
		"jwk": jwk, "expires_at": "2100-01-01T00:00:00Z"})
}

// trustBody is a valid create body (for a new relationship) with edit applied.
func trustBody(jwk json.RawMessage, edit func(map[string]any)) string {
	m := map[string]any{"issuer": "https://new-idp.example", "subject": "bob", "scope": []string{"read"},
		"jwk": jwk, "expires_at": "2100-01-01T00:00:00Z"}
	edit(m)
	return mustJSON(m)
}

func trustBodies(seed badSeed) []badRequest {
	jwk := seed.trustJWK
	post := func(name, ct, body string, status int) badRequest {
		return badRequest{name: "trust create " + name, method: "POST", path: issuersPath, contentType: ct, body: body, status: status}
	}
	edit := func(name string, f func(map[string]any)) badRequest {
		return post(name, ctJSON, trustBody(jwk, f), 400)
	}
	var key map[string]any
	_ = json.Unmarshal(jwk, &key)
	withKey := func(f func(k map[string]any)) json.RawMessage {
		k := map[string]any{}
		for n, v := range key {
			k[n] = v
		}
		f(k)
		return json.RawMessage(mustJSON(k))
	}
	return []badRequest{
		post("malformed JSON", ctJSON, `{"issuer":`, 400),
		post("null body", ctJSON, `null`, 400),
		post("JSON array", ctJSON, `[]`, 400),
		post("trailing data", ctJSON, victimTrust(jwk)+` {}`, 400),
		post("unknown field", ctJSON, strings.Replace(trustBody(jwk, func(map[string]any) {}), `"issuer"`, `"isuer":"x","issuer"`, 1), 400),
		post("wrong field type", ctJSON, `{"scope":"read"}`, 400),
		post("invalid UTF-8", ctJSON, "{\"issuer\":\"\xff\xfe\"}", 400),
		post("text/plain", "text/plain", victimTrust(jwk), 415),
		post("form content type", ctForm, "issuer=x", 415),
		post("no content type", "", victimTrust(jwk), 415),
		post("oversized body", ctJSON, `{"issuer":"`+strings.Repeat("i", 1<<20)+`"}`, 413),
		post("duplicate", ctJSON, victimTrust(jwk), 409),
		edit("missing issuer", func(m map[string]any) { delete(m, "issuer") }),
		edit("very long issuer", func(m map[string]any) { m["issuer"] = strings.Repeat("i", 300) }),
		edit("NUL in issuer", func(m map[string]any) { m["issuer"] = "https://a\x00b" }),
		edit("very long subject", func(m map[string]any) { m["subject"] = strings.Repeat("s", 300) }),
		edit("subject and any subject", func(m map[string]any) { m["allow_any_subject"] = true }),
		edit("neither subject nor any subject", func(m map[string]any) { delete(m, "subject") }),
		edit("expired", func(m map[string]any) { m["expires_at"] = "2001-01-01T00:00:00Z" }),
		edit("expires_at not a time", func(m map[string]any) { m["expires_at"] = "tomorrow" }),
		// 9999-12-31 in a zone behind UTC is year 10000 in UTC, which no
		// database's time column holds.
		edit("expires_at past year 9999 in UTC", func(m map[string]any) { m["expires_at"] = "9999-12-31T23:59:59-12:00" }),
		edit("missing scope", func(m map[string]any) { delete(m, "scope") }),
		edit("scope with a space", func(m map[string]any) { m["scope"] = []string{"read write"} }),
		edit("very long scope", func(m map[string]any) { m["scope"] = []string{strings.Repeat("s", 300)} }),
		edit("missing jwk", func(m map[string]any) { delete(m, "jwk") }),
		edit("jwk not a key", func(m map[string]any) { m["jwk"] = map[string]any{"kty": "nope", "kid": "k"} }),
		edit("jwk without kid", func(m map[string]any) { m["jwk"] = withKey(func(k map[string]any) { delete(k, "kid") }) }),
		edit("jwk very long kid", func(m map[string]any) {
			m["jwk"] = withKey(func(k map[string]any) { k["kid"] = strings.Repeat("k", 300) })
		}),
		edit("jwk symmetric", func(m map[string]any) {
			m["jwk"] = map[string]any{"kty": "oct", "k": "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0", "kid": "k", "alg": "HS256"}
		}),
		edit("jwk oversized", func(m map[string]any) {
			m["jwk"] = withKey(func(k map[string]any) { k["x5u"] = "https://x/" + strings.Repeat("u", 20<<10) })
		}),
	}
}

func trustPaths() []badRequest {
	long := issuersPath + "/" + strings.Repeat("x", 300)
	list := func(name, query string) badRequest {
		return badRequest{name: "trust list " + name, method: "GET", path: issuersPath + "?" + query, status: 400}
	}
	return []badRequest{
		{name: "trust get NUL id", method: "GET", path: issuersPath + "/%00", status: 404},
		{name: "trust get invalid UTF-8 id", method: "GET", path: issuersPath + "/%FF%FE", status: 404},
		{name: "trust get SQL id", method: "GET", path: issuersPath + "/" + url.PathEscape(`' OR '1'='1`), status: 404},
		{name: "trust get very long id", method: "GET", path: long, status: 404},
		{name: "trust delete NUL id", method: "DELETE", path: issuersPath + "/a%00b", status: 404},
		{name: "trust delete invalid UTF-8 id", method: "DELETE", path: issuersPath + "/%FF", status: 404},
		{name: "trust delete SQL id", method: "DELETE", path: issuersPath + "/" + url.PathEscape(`' OR 1=1; --`), status: 404},
		{name: "trust delete LIKE wildcard", method: "DELETE", path: issuersPath + "/%25", status: 404},
		{name: "trust delete very long id", method: "DELETE", path: long, status: 404},
		{name: "trust put", method: "PUT", path: issuersPath + "/x", contentType: ctJSON, body: `{}`, status: 404},
		list("page_size not a number", "page_size=abc"),
		list("page_size zero", "page_size=0"),
		list("page_size huge", "page_size=99999999999999999999"),
		list("MaxItems zero", "MaxItems=0"),
		list("page_token of invalid UTF-8", "page_token=__4"),
		list("page_token garbage", "page_token="+url.QueryEscape(`' OR 1=1 --`)),
		list("page_token very long", "page_token="+strings.Repeat("A", 5000)),
		list("repeated issuer", "issuer=a&issuer=b"),
		list("unknown parameter", "limit=5"),
		list("bad escape", "issuer=%zz"),
		list("invalid UTF-8 issuer", "issuer=%FF"),
		list("issuer over the parameter limit", "issuer="+strings.Repeat("i", 9000)),
	}
}

// jwtBearerRequests are refused RFC 7523 section 2.1 exchanges by the
// public client allowed the grant. Signed rows use a key no relationship
// trusts, or claims no row can hold.
func jwtBearerRequests(t *testing.T, srv *signettest.Server, seed badSeed) []badRequest {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	claims := func(edit func(map[string]any)) map[string]any {
		c := map[string]any{"iss": victimIssuer, "sub": "alice", "aud": srv.PublicURL + "/oauth2/token",
			"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "jti": "bad-input"}
		edit(c)
		return c
	}
	form := func(name, assertion, code string) badRequest {
		return badRequest{name: "jwt-bearer " + name, public: true, method: "POST", path: "/oauth2/token", contentType: ctForm,
			body: "grant_type=" + url.QueryEscape(bearerGrant) + "&client_id=" + bearerClient + assertion, status: 400, code: code}
	}
	signed := func(name, kid string, edit func(map[string]any)) badRequest {
		return form(name, "&assertion="+jwttest.Sign(t, jose.ES256, key, kid, claims(edit)), "invalid_grant")
	}
	payload := func(name, p string) badRequest {
		return form(name, "&assertion="+jwttest.SignPayload(t, jose.ES256, key, "victim-key", []byte(p)), "invalid_grant")
	}
	none := unsignedJWT(`{"alg":"none","kid":"victim-key"}`, mustJSON(claims(func(map[string]any) {})))
	return []badRequest{
		form("missing assertion", "", "invalid_request"),
		form("repeated assertion", "&assertion=a.b.c&assertion=a.b.c", "invalid_request"),
		form("oversized assertion", "&assertion="+strings.Repeat("a", 9000), "invalid_request"),
		form("invalid UTF-8 assertion", "&assertion=%FF.%FE.x", "invalid_request"),
		form("garbage assertion", "&assertion="+url.QueryEscape("not a JWT"), "invalid_grant"),
		form("garbage with dots", "&assertion=%21%21.%21%21.x", "invalid_grant"),
		form("NUL in assertion", "&assertion=a%00.b.c", "invalid_grant"),
		form("alg none", "&assertion="+none, "invalid_grant"),
		payload("payload not JSON", "not json"),
		payload("payload a JSON array", "[1,2]"),
		payload("iss a number", `{"iss":5,"sub":"alice","aud":"x","exp":4102444800}`),
		payload("exp a string", `{"iss":"`+victimIssuer+`","sub":"alice","aud":"x","exp":"soon"}`),
		payload("exp out of range", `{"iss":"`+victimIssuer+`","sub":"alice","aud":"x","exp":1e400}`),
		payload("exp negative", `{"iss":"`+victimIssuer+`","sub":"alice","aud":"x","exp":-9223372036854775808}`),
		payload("aud an object", `{"iss":"`+victimIssuer+`","sub":"alice","aud":{},"exp":4102444800}`),
		signed("signed by an untrusted key", "victim-key", func(map[string]any) {}),
		signed("NUL in iss", "victim-key", func(c map[string]any) { c["iss"] = "https://a\x00b" }),
		signed("NUL in sub", "victim-key", func(c map[string]any) { c["sub"] = "a\x00b" }),
		signed("NUL in kid", "a\x00b", func(map[string]any) {}),
		signed("very long iss", "victim-key", func(c map[string]any) { c["iss"] = strings.Repeat("i", 2000) }),
		signed("very long sub", "", func(c map[string]any) { c["sub"] = strings.Repeat("s", 2000) }),
		{name: "jwt-bearer JSON body", public: true, method: "POST", path: "/oauth2/token", contentType: ctJSON,
			body: mustJSON(map[string]string{"grant_type": bearerGrant, "assertion": "a.b.c"}), status: 415, code: "invalid_request"},
	}
}

// unsignedJWT is a compact JWS with an empty signature, as "alg":"none"
// tokens are sent.
func unsignedJWT(header, payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(header)) + "." + enc([]byte(payload)) + "."
}
