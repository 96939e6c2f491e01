package oauth2

import (
	"net/http"
	"strconv"

	"github.com/signet-oidc/signet/internal/httpx"
)

// Constructors for the error codes of RFC 6749 section 5.2 (token endpoint),
// section 4.1.2.1 (access_denied) and RFC 7009 section 2.2.1
// (unsupported_token_type). Each call returns a fresh value, so callers can
// attach hints, headers and causes freely. The description is the RFC's
// generic text; the hint says what exactly was wrong.

// InvalidRequest: a parameter is missing, repeated, malformed or unsupported.
func InvalidRequest(hint string, args ...any) *httpx.Error {
	return httpx.NewError(http.StatusBadRequest, "invalid_request",
		"The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed.").
		WithHint(hint, args...)
}

// InvalidClient: client authentication failed (401). The endpoint adds
// WWW-Authenticate when the client tried HTTP Basic.
func InvalidClient(hint string, args ...any) *httpx.Error {
	return httpx.NewError(http.StatusUnauthorized, "invalid_client",
		"Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method).").
		WithHint(hint, args...)
}

// InvalidGrant: the grant (code, refresh token, assertion) is invalid.
func InvalidGrant(hint string, args ...any) *httpx.Error {
	return httpx.NewError(http.StatusBadRequest, "invalid_grant",
		"The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.").
		WithHint(hint, args...)
}

// UnauthorizedClient: the client may not use this grant (or act on this token).
func UnauthorizedClient(hint string, args ...any) *httpx.Error {
	return httpx.NewError(http.StatusBadRequest, "unauthorized_client",
		"The authenticated client is not authorized to make this request.").
		WithHint(hint, args...)
}

// UnsupportedGrantType: the server does not offer this grant_type.
func UnsupportedGrantType(hint string, args ...any) *httpx.Error {
	return httpx.NewError(http.StatusBadRequest, "unsupported_grant_type",
		"The authorization grant type is not supported by the authorization server.").
		WithHint(hint, args...)
}

// InvalidScope: the requested scope is invalid, unknown or not allowed.
func InvalidScope(hint string, args ...any) *httpx.Error {
	return httpx.NewError(http.StatusBadRequest, "invalid_scope",
		"The requested scope is invalid, unknown, or malformed.").
		WithHint(hint, args...)
}

// AccessDenied: the resource owner or server denied the request.
func AccessDenied(hint string, args ...any) *httpx.Error {
	return httpx.NewError(http.StatusForbidden, "access_denied",
		"The resource owner or authorization server denied the request.").
		WithHint(hint, args...)
}

// ServerError: an unexpected condition. The renderer logs the cause and
// shows only the request id.
func ServerError(cause error) *httpx.Error {
	return httpx.NewError(http.StatusInternalServerError, "server_error",
		"The authorization server encountered an unexpected condition that prevented it from fulfilling the request.").
		Because(cause)
}

// UnsupportedTokenType: RFC 7009 section 2.2.1, revocation of a token type
// the server cannot revoke.
func UnsupportedTokenType(hint string, args ...any) *httpx.Error {
	return httpx.NewError(http.StatusBadRequest, "unsupported_token_type",
		"The authorization server does not support the revocation of the presented token type.").
		WithHint(hint, args...)
}

// TemporarilyUnavailable: RFC 6749 section 4.1.2.1's overload code, used at
// the token endpoint too (as Hydra does) with status 503 and Retry-After.
// The description carries the specific text because 5xx errors are rendered
// without their hint.
func TemporarilyUnavailable(description string, retryAfterSeconds int) *httpx.Error {
	return httpx.NewError(http.StatusServiceUnavailable, "temporarily_unavailable", "%s", description).
		WithHeader("Retry-After", strconv.Itoa(retryAfterSeconds))
}
