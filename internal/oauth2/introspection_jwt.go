package oauth2

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/jwk"
)

// JWT introspection responses, RFC 9701. A caller that sends
// "Accept: application/token-introspection+jwt" gets the RFC 7662 object
// wrapped in a JWS, so a resource server can keep it as signed evidence of
// the authorization server's answer (section 1). Without that Accept the
// plain JSON answer is unchanged.
//
//   - Signed by the newest key of hydra.jwt.access-token: resource servers
//     already trust that set (it verifies JWT access tokens) and fetch it
//     from /.well-known/jwks.json. Nothing is encrypted (section 5 makes
//     encryption optional; Signet has no per-client introspection
//     encryption metadata).
//   - Header "typ": "token-introspection+jwt" (section 5), so the response
//     can never be replayed as an access or ID token signed by the same key.
//   - Claims: iss, aud (the calling client; omitted on the admin endpoint,
//     whose caller has no client identity), iat, and token_introspection
//     holding exactly the RFC 7662 object, {"active":false} included.

// MediaTypeIntrospectionJWT is the RFC 9701 media type (section 4 and 5).
const MediaTypeIntrospectionJWT = "application/token-introspection+jwt"

// typIntrospectionJWT is the "typ" header of the response (RFC 9701 section 5).
const typIntrospectionJWT = "token-introspection+jwt"

// IntrospectionSigner signs with a "typ" other than "JWT"; jwk.Manager
// implements it (TypedSigner). It is required, not discovered by a type
// assertion: a JWT response must never go out with typ "JWT".
type IntrospectionSigner interface {
	TypedSigner(ctx context.Context, set, typ string) (jose.Signer, jose.JSONWebKey, error)
}

// introspectionClaims is the RFC 9701 section 5 claim set.
type introspectionClaims struct {
	Issuer   string                 `json:"iss"`
	Audience string                 `json:"aud,omitempty"`
	IssuedAt int64                  `json:"iat"`
	Response *IntrospectionResponse `json:"token_introspection"`
}

// wantsIntrospectionJWT reports whether the Accept header asks for the RFC
// 9701 media type with a non-zero quality. Unparseable entries are skipped:
// a strange Accept header still gets the plain JSON answer, as before.
func wantsIntrospectionJWT(accept []string) bool {
	for _, line := range accept {
		if len(line) > 1024 {
			continue // size limit: no parsing of giant headers
		}
		for _, part := range strings.Split(line, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil || mt != MediaTypeIntrospectionJWT {
				continue
			}
			if q, ok := params["q"]; ok {
				if v, err := strconv.ParseFloat(q, 64); err != nil || v <= 0 {
					continue
				}
			}
			return true
		}
	}
	return false
}

// SignIntrospection wraps resp in the RFC 9701 JWT. aud is the calling
// client's id, or "" to omit it.
func SignIntrospection(ctx context.Context, s IntrospectionSigner, issuer, aud string, iat int64, resp *IntrospectionResponse) (string, error) {
	payload, err := json.Marshal(introspectionClaims{Issuer: issuer, Audience: aud, IssuedAt: iat, Response: resp})
	if err != nil {
		return "", err
	}
	signer, _, err := s.TypedSigner(ctx, jwk.SetAccessToken, typIntrospectionJWT)
	if err != nil {
		return "", fmt.Errorf("oauth2: introspection signer: %w", err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// writeIntrospection renders resp as JSON, or as the RFC 9701 JWT when the
// request asked for it.
func (i *Introspection) writeIntrospection(w http.ResponseWriter, r *http.Request, aud string, resp *IntrospectionResponse) error {
	writeNoStore(w)
	w.Header().Add("Vary", "Accept")
	if !wantsIntrospectionJWT(r.Header.Values("Accept")) {
		httpx.WriteJSON(w, http.StatusOK, resp)
		return nil
	}
	raw, err := SignIntrospection(r.Context(), i.Signer, i.Config().URLs.Self.Issuer, aud, i.Now().Unix(), resp)
	if err != nil {
		return ServerError(err)
	}
	w.Header().Set("Content-Type", MediaTypeIntrospectionJWT)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(raw))
	return nil
}
