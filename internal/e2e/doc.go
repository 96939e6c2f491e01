// Package e2e holds Signet's end-to-end tests. It has no code of its own:
// every test boots the real server (internal/signettest: app.New on random
// loopback ports, SQLite in memory) and talks to it over HTTP the way a
// Hydra user's programs do, with github.com/ory/hydra-client-go/v2 for the
// admin API, golang.org/x/oauth2 for tokens, github.com/coreos/go-oidc/v3
// as the relying party verifying JWTs, and github.com/chromedp/chromedp
// driving a headless Chromium through the sign-in pages (browser_test.go).
//
// Where it sits: outside the request path, driving it from the wire. A
// failure here that the package tests miss is a wiring or compatibility bug.
package e2e
