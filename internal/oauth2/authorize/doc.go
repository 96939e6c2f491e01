// Package authorize is the authorization endpoint, GET and POST
// /oauth2/auth (RFC 6749 section 3.1, OpenID Connect Core section 3.1.2):
// where every browser flow starts, and where the browser comes back from
// the login and consent apps.
//
// Where a request goes: endpoint.go picks the entry by its parameters.
//   - A new request: request.go parses and validates it (redirect_uri.go,
//     response_type.go, response_mode.go, hint.go for id_token_hint), then
//     the browser goes to urls.login with a sealed login_challenge.
//   - Back with a login_verifier: login.go records its single use and
//     sends the browser to urls.consent.
//   - Back with a consent_verifier: consent.go stores the consent and the
//     code, implicit.go mints the tokens of implicit and hybrid response
//     types, and the answer travels to the client in its response mode
//     (response_mode.go, form_post.go).
//
// Errors that must not reach an untrusted redirect URI are shown on the
// error page (page.go) or sent to urls.error; cookies.go holds the CSRF
// cookies that bind a flow to its browser.
//
// It imports oauth2 for what the token side shares: error constructors,
// scope strategies, audience checks, PKCE and token lifetimes. The codes
// it stores are redeemed by oauth2/grant_authorization_code.go.
package authorize
