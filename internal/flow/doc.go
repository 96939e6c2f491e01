// Package flow carries an in-progress authorization request through login
// and consent without writing it to the database.
//
// Where it sits: GET /oauth2/auth (package oauth2) validates the request,
// builds a Flow with New, and seals it as a login_challenge for the login
// app. The admin login and consent endpoints open a challenge, apply the
// app's decision with a transition method (AcceptLogin, RejectConsent, …)
// and seal the result as a verifier. Back at /oauth2/auth the verifier is
// opened, its single use is recorded in storage, and the next step starts.
//
// The Flow itself is a plain value whose methods enforce the state diagram
// in flow.go; the Sealer (seal.go) turns it into a purpose-bound, expiring,
// authenticated string; csrf.go binds it to the browser that started it;
// session.go is the authentication-session cookie that lets a remembered
// login skip the login app.
package flow
