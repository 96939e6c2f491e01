// Package oauth2test holds the fakes and fixtures that the tests of oauth2
// and of its subpackages (authorize, clientauth) share: an in-memory client
// and token store, signing keys, a settable clock, a standard set of
// clients, and helpers to POST a form and read an OAuth answer.
//
// It is test support: only _test.go files import it. It must not import
// oauth2 or its subpackages, because oauth2's own (internal) tests import
// it and Go refuses the cycle; each package's tests wire their endpoints
// onto an Env themselves.
package oauth2test
