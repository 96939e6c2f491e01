package oidc

// The UserInfo endpoint, OpenID Connect Core 1.0 section 5.3, at GET and
// POST /userinfo on the public port, with bearer token usage per RFC 6750.
//
// The access token is read from "Authorization: Bearer …" or, for POST,
// from an application/x-www-form-urlencoded body's access_token (RFC 6750
// sections 2.1 and 2.2). The query (section 2.3) is refused: URLs end up in
// logs and Referer headers. A forged token is refused in memory; a valid one
// costs one read for the token, one for its consent and one for its client.
//
// The answer is "sub" plus the id_token claims the consent app set
// (session.id_token); claims Signet sets itself (iss, aud, exp, sub…) never
// come from there. A client registered with userinfo_signed_response_alg
// gets the same claims as a JWT signed with the ID token key, with iss and
// aud added (section 5.3.2).
//
// DPoP (RFC 9449 section 7): a DPoP-bound token comes as "Authorization:
// DPoP <token>" with a proof for this endpoint; as a bearer token it is
// refused (oauth2/dpop_resource.go). The proof's jti costs one write.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/jwk"
	"github.com/signet-oidc/signet/internal/oauth2"
	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/token"
)

// ConsentReader is the one flow.Store method userinfo needs.
type ConsentReader interface {
	GetConsent(ctx context.Context, id string) (*flow.ConsentSession, error)
}

// Userinfo serves the UserInfo endpoint. Mount Handle with
// httpx.Renderer.OAuth for both GET and POST /userinfo.
type Userinfo struct {
	Tokens   token.Store
	Consents ConsentReader
	Clients  client.Store
	Opaque   token.AccessStrategy
	JWT      token.AccessStrategy
	// IDTokens supplies the ID token signer for signed answers.
	IDTokens *token.IDTokens
	// Config returns the current snapshot (urls.self.issuer).
	Config func() *config.Config
	Now    func() time.Time
	// DPoP checks DPoP-bound tokens; nil when oauth2.dpop.enabled is off.
	DPoP *oauth2.DPoPResource
}

// maxBearerLen bounds a bearer token before any work: far above any token
// Signet mints (JWT access tokens included).
const maxBearerLen = 16 << 10

// Handle is an httpx.HandlerFunc.
func (u *Userinfo) Handle(w http.ResponseWriter, r *http.Request) error {
	raw, scheme, err := u.presentedToken(r)
	if err != nil {
		return err
	}
	rec, err := u.liveToken(r.Context(), raw)
	if err != nil {
		return err
	}
	if err := u.DPoP.Check(r.Context(), r, scheme, raw, rec.JKT); err != nil {
		return err
	}
	claims, c, err := u.claimsOf(r.Context(), rec)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	alg := c.UserinfoSignedResponseAlg
	if alg == "" || alg == "none" {
		httpx.WriteJSON(w, http.StatusOK, claims)
		return nil
	}
	jwt, err := u.sign(r.Context(), claims, c.ID)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/jwt")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(jwt))
	return nil
}

// Claims checks raw and returns the claims to answer with and the token's
// client. Errors are *httpx.Error values carrying their WWW-Authenticate
// header.
func (u *Userinfo) Claims(ctx context.Context, raw string) (map[string]any, *client.Client, error) {
	rec, err := u.liveToken(ctx, raw)
	if err != nil {
		return nil, nil, err
	}
	return u.claimsOf(ctx, rec)
}

// claimsOf is Claims for the record of a live token.
func (u *Userinfo) claimsOf(ctx context.Context, rec *token.AccessRecord) (map[string]any, *client.Client, error) {
	if !slices.Contains(rec.Scopes, "openid") {
		return nil, nil, bearerError(http.StatusForbidden, "insufficient_scope",
			"The access token was not granted the openid scope.").
			WithHeader("WWW-Authenticate", `Bearer error="insufficient_scope", error_description="The access token was not granted the openid scope.", scope="openid"`)
	}
	c, err := u.Clients.GetClient(ctx, rec.ClientID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil, invalidToken("The client of the access token no longer exists.")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("userinfo: reading client: %w", err)
	}
	extra, err := u.consentClaims(ctx, rec.RequestID)
	if err != nil {
		return nil, nil, err
	}
	claims := make(map[string]any, len(extra)+1)
	for k, v := range extra {
		if !token.IsReservedIDTokenClaim(k) {
			claims[k] = v
		}
	}
	claims["sub"] = rec.Subject
	return claims, c, nil
}

// liveToken returns the record of a token that was minted by us, exists,
// and is neither revoked nor expired. Every refusal is the same 401
// invalid_token, so a caller cannot tell an unknown token from a revoked one.
func (u *Userinfo) liveToken(ctx context.Context, raw string) (*token.AccessRecord, error) {
	digest, err := token.Check(ctx, raw, u.Opaque, u.JWT)
	if errors.Is(err, token.ErrMalformed) {
		return nil, invalidToken("The access token is malformed or was not issued by this server.")
	}
	if err != nil {
		return nil, fmt.Errorf("userinfo: checking token: %w", err)
	}
	rec, err := u.Tokens.GetAccess(ctx, digest)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, invalidToken("The access token is unknown, expired or revoked.")
	}
	if err != nil {
		return nil, fmt.Errorf("userinfo: reading token: %w", err)
	}
	if rec.RevokedAt != nil || !u.Now().Before(rec.ExpiresAt) {
		return nil, invalidToken("The access token is unknown, expired or revoked.")
	}
	return rec, nil
}

// consentClaims reads session.id_token of the consent that led to the
// token. A token without a consent (no RequestID, or a grant without
// login and consent) has no extra claims.
func (u *Userinfo) consentClaims(ctx context.Context, requestID string) (map[string]any, error) {
	if requestID == "" {
		return nil, nil
	}
	cs, err := u.Consents.GetConsent(ctx, requestID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("userinfo: reading consent: %w", err)
	}
	if len(cs.Session) == 0 {
		return nil, nil
	}
	var session struct {
		IDToken map[string]any `json:"id_token"`
	}
	// The admin API accepted the session as JSON, so this only fails on a
	// corrupted row; that is our fault, not the caller's.
	if err := json.Unmarshal(cs.Session, &session); err != nil {
		return nil, fmt.Errorf("userinfo: decoding consent session %q: %w", cs.ID, err)
	}
	return session.IDToken, nil
}

// sign answers section 5.3.2's signed response: the claims with iss and
// aud (the client), signed with the newest ID token key.
func (u *Userinfo) sign(ctx context.Context, claims map[string]any, clientID string) (string, error) {
	signer, _, err := u.IDTokens.Signer.Signer(ctx, jwk.SetIDToken)
	if err != nil {
		return "", fmt.Errorf("userinfo: id-token signer: %w", err)
	}
	body := make(map[string]any, len(claims)+3)
	for k, v := range claims {
		body[k] = v
	}
	body["iss"] = u.Config().URLs.Self.Issuer
	body["aud"] = []string{clientID}
	body["iat"] = u.Now().Unix()
	payload, err := json.Marshal(body)
	if err != nil {
		return "", fmt.Errorf("userinfo: encoding claims: %w", err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("userinfo: signing: %w", err)
	}
	return jws.CompactSerialize()
}

// presentedToken is bearerToken, whose "no token" challenge also offers
// the DPoP scheme when DPoP is enabled (RFC 9449 section 7.1).
func (u *Userinfo) presentedToken(r *http.Request) (string, string, error) {
	raw, scheme, err := bearerToken(r, u.DPoP != nil)
	var he *httpx.Error
	if u.DPoP != nil && errors.As(err, &he) && he.Code == "request_unauthorized" {
		he.WithHeader("WWW-Authenticate", oauth2.DPoPChallenge("", ""))
	}
	return raw, scheme, err
}

// bearerToken finds the one access token of the request (RFC 6750 section
// 2) and the scheme it came with (oauth2.SchemeBearer for the form body;
// oauth2.SchemeDPoP only when dpop is set). Sending none is a 401 whose
// challenge names no error (section 3.1); sending it twice, or in the
// query, is invalid_request.
func bearerToken(r *http.Request, dpop bool) (string, string, error) {
	if r.URL.RawQuery != "" {
		q, err := httpx.ParseQuery(r)
		if err != nil {
			return "", "", invalidRequest("The URL query is malformed.")
		}
		if q.Has("access_token") {
			return "", "", invalidRequest("The access token must not be sent in the URL query; use the Authorization header.")
		}
	}
	fromHeader, scheme, err := headerToken(r, dpop)
	if err != nil {
		return "", "", err
	}
	fromBody, inBody, err := bodyToken(r)
	if err != nil {
		return "", "", err
	}
	switch {
	case scheme != "" && inBody:
		return "", "", invalidRequest("The access token was sent both in the Authorization header and in the body; send it once.")
	case scheme != "":
		return fromHeader, scheme, nil
	case inBody:
		return fromBody, oauth2.SchemeBearer, nil
	}
	return "", "", bearerError(http.StatusUnauthorized, "request_unauthorized",
		"The request carries no access token; send it as \"Authorization: Bearer <token>\".").
		WithHeader("WWW-Authenticate", "Bearer")
}

// headerToken reads "Authorization: Bearer <token>", or "DPoP <token>"
// when dpop is set, and returns the scheme ("" when there is no token);
// the scheme is case insensitive (RFC 7235 section 2.1). Another scheme
// means no token.
func headerToken(r *http.Request, dpop bool) (string, string, error) {
	vals := r.Header.Values("Authorization")
	if len(vals) == 0 {
		return "", "", nil
	}
	if len(vals) > 1 {
		return "", "", invalidRequest("The Authorization header is repeated.")
	}
	scheme, rest, _ := strings.Cut(vals[0], " ")
	switch {
	case strings.EqualFold(scheme, oauth2.SchemeBearer):
		scheme = oauth2.SchemeBearer
	case dpop && strings.EqualFold(scheme, oauth2.SchemeDPoP):
		scheme = oauth2.SchemeDPoP
	default:
		return "", "", nil
	}
	raw := strings.TrimSpace(rest)
	if err := checkRaw(raw); err != nil {
		return "", "", err
	}
	return raw, scheme, nil
}

// bodyToken reads access_token from a form-encoded POST body. Other bodies
// are not looked at: they cannot carry a token under RFC 6750.
func bodyToken(r *http.Request) (string, bool, error) {
	if r.Method != http.MethodPost {
		return "", false, nil
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" {
		return "", false, nil
	}
	form, err := httpx.ParseForm(r, httpx.MaxFormBody)
	if err != nil {
		var he *httpx.Error
		if errors.As(err, &he) && he.Status < 500 {
			return "", false, invalidRequest("The form body is malformed: %s", he.Description)
		}
		return "", false, err
	}
	if !form.Has("access_token") {
		return "", false, nil
	}
	raw := form.Get("access_token")
	if err := checkRaw(raw); err != nil {
		return "", false, err
	}
	return raw, true, nil
}

func checkRaw(raw string) error {
	if raw == "" {
		return invalidRequest("The access token is empty.")
	}
	if len(raw) > maxBearerLen {
		return invalidToken("The access token is malformed or was not issued by this server.")
	}
	return nil
}

// bearerError is an error of RFC 6750 section 3.1; the caller adds the
// WWW-Authenticate challenge.
func bearerError(status int, code, description string) *httpx.Error {
	return httpx.NewError(status, code, "%s", description)
}

func invalidRequest(format string, args ...any) *httpx.Error {
	d := fmt.Sprintf(format, args...)
	return bearerError(http.StatusBadRequest, "invalid_request", d).
		WithHeader("WWW-Authenticate", challenge("invalid_request", d))
}

func invalidToken(description string) *httpx.Error {
	return bearerError(http.StatusUnauthorized, "invalid_token", description).
		WithHeader("WWW-Authenticate", challenge("invalid_token", description))
}

// challenge builds the WWW-Authenticate value. Descriptions are our own
// text, but quotes and backslashes are dropped anyway so a stranger's echo
// (a form error) can never break out of the quoted string.
func challenge(code, description string) string {
	clean := strings.Map(func(r rune) rune {
		if r == '"' || r == '\\' || r < 0x20 || r > 0x7e {
			return -1
		}
		return r
	}, description)
	return fmt.Sprintf(`Bearer error=%q, error_description="%s"`, code, clean)
}
