// Package httpx is the HTTP plumbing every route shares: the error type and
// its two renderers (the OAuth 2.0 error body and the contract's
// genericError), strict JSON and form decoding with size limits, and the
// middleware chain (recover, request id, access log, body limit).
//
// Where it sits: app/routes.go wraps every handler with these; domain
// handlers return *Error values and never write error bodies themselves.
package httpx
