// Package devapp is the development identity app: the login, consent and
// logout pages that `signet serve all --dev` serves under /dev/ on the
// public port when no login, consent or logout app is configured, so that
// a complete OpenID Connect sign-in works on a laptop before anyone has
// written a login app.
//
// It sits beside oidc, after the authorization and logout endpoints in a
// request's path:
//
//	/oauth2/auth ──302──▶ /dev/login?login_challenge=…     (login.go)
//	             ──302──▶ /dev/consent?consent_challenge=… (consent.go)
//	/oauth2/sessions/logout ──302──▶ /dev/logout?logout_challenge=… (logout.go)
//
// The pages decide through the same functions the admin API handlers call
// (flow.Admin.AcceptLogin, flow.LogoutAdmin.AcceptLogout, …), not through
// shortcuts, so they exercise exactly what an external app would; an
// external app only adds the HTTP round trip to the admin port.
//
// Everything here is for development: any user name signs in (optionally
// with one shared password, dev_identity.password), and every page says so.
package devapp
