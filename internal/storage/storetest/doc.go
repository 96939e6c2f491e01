// Package storetest is the storage conformance suite: the behaviour every
// caller of client.Store, jwk.Store and token.Store relies on, run against
// each dialect of sqlstore through an Opener. Where it sits: beside
// sqlstore, used only by tests (sqlstore's store_test.go has one three-line
// entry point per database).
//
// PostgreSQL and MySQL come from the services on the machine, addressed by
// SIGNET_TEST_POSTGRES and SIGNET_TEST_MYSQL. When one is unreachable its
// tests are skipped with the DSN tried and the command that starts it,
// unless SIGNET_TEST_REQUIRE_DB=1 (CI), which turns the skip into a failure.
// Each test gets its own schema or database, so cases run in parallel.
package storetest
