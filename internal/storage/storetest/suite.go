package storetest

import (
	"context"
	"testing"
	"time"
)

// Run checks behaviour: CRUD, not-found/conflict, round-trips, pagination,
// time precision, query budgets and migrations. Every case opens its own
// store and runs in parallel.
func Run(t *testing.T, open Opener) {
	cases := []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"ClientCRUD", testClientCRUD},
		{"ClientConflict", testClientConflict},
		{"ClientUpdateStale", testClientUpdateStale},
		{"ClientFieldsRoundTrip", testClientFieldsRoundTrip},
		{"ClientIDTooLong", testClientIDTooLong},
		{"ClientPagination", testClientPagination},
		{"ClientPaginationFilters", testClientPaginationFilters},
		{"ClientPaginationBadToken", testClientPaginationBadToken},
		{"ClientPageSizes", testClientPageSizes},
		{"TimeRoundTrip", testTimeRoundTrip},
		{"KeysCRUD", testKeysCRUD},
		{"KeysAddIfSetEmpty", testKeysAddIfSetEmpty},
		{"KeysVersion", testKeysVersion},
		{"KeysReplaceSet", testKeysReplaceSet},
		{"KeysAddIfNoneAfter", testKeysAddIfNoneAfter},
		{"SealedKeysWalk", testSealedKeysWalk},
		{"SwapSealedKey", testSwapSealedKey},
		{"ClientCredentialsSwap", testClientCredentialsSwap},
		{"AccessRoundTrip", testAccessRoundTrip},
		{"AccessRevoke", testAccessRevoke},
		{"AccessRevokeByClient", testAccessRevokeByClient},
		{"DeleteClientCascades", testDeleteClientCascades},
		{"QueryBudgets", testQueryBudgets},
		{"MigrateUpDownUp", testMigrateUpDownUp},
		{"UnstorableLookups", testUnstorableLookups},
		{"UnstorableWrites", testUnstorableWrites},
		{"VerifierSingleUse", testVerifierSingleUse},
		{"LoginSessions", testLoginSessions},
		{"ConsentSaveFind", testConsentSaveFind},
		{"ConsentPagination", testConsentPagination},
		{"ConsentGet", testConsentGet},
		{"CodeConsume", testCodeConsume},
		{"RefreshRoundTrip", testRefreshRoundTrip},
		{"RefreshRotate", testRefreshRotate},
		{"RefreshGrace", testRefreshGrace},
		{"RevokeFamily", testRevokeFamily},
		{"RevokeConsents", testRevokeConsents},
		{"FlowDeleteClientCascades", testFlowDeleteClientCascades},
		{"FlowUnstorable", testFlowUnstorable},
		{"TrustCRUD", testTrustCRUD},
		{"TrustFind", testTrustFind},
		{"TrustPagination", testTrustPagination},
		{"JTISingleUse", testJTISingleUse},
		{"ClientCredentialsRoundTrip", testClientCredentialsRoundTrip},
		{"ClientManagedRoundTrip", testClientManagedRoundTrip},
		{"DeviceRoundTrip", testDeviceRoundTrip},
		{"DeviceUserCode", testDeviceUserCode},
		{"DeviceDecide", testDeviceDecide},
		{"DevicePoll", testDevicePoll},
		{"JanitorSweep", testJanitorSweep},
		{"JanitorKeepIfYounger", testJanitorKeepIfYounger},
		{"JanitorBatches", testJanitorBatches},
		{"JanitorLimit", testJanitorLimit},
		{"JanitorLock", testJanitorLock},
		{"DPoPBinding", testDPoPBinding},
		{"DPoPProofReplay", testDPoPProofReplay},
		{"PushedRoundTrip", testPushedRoundTrip},
		{"PushedExpiry", testPushedExpiry},
		{"PushedDeleteClientCascades", testPushedDeleteClientCascades},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.fn(t, open)
		})
	}
}

// RunConcurrency checks the operations whose correctness depends on the
// database under contention: N goroutines, each on its own connection
// where the pool allows, released at once.
func RunConcurrency(t *testing.T, open Opener) {
	cases := []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"AddKeyIfSetEmptyOneWinner", testConcurrentAddKeyIfSetEmpty},
		{"CreateClientOneWinner", testConcurrentCreateClient},
		{"UpdateClientOneWinner", testConcurrentClientUpdates},
		{"Writers", testConcurrentWriters},
		{"CreateAccessSharedStatements", testConcurrentCreateAccess},
		{"ReplaceSetOneWinner", testConcurrentReplaceSet},
		{"AddKeyIfNoneAfterOneWinner", testConcurrentAddKeyIfNoneAfter},
		{"UseVerifierOneWinner", testConcurrentUseVerifier},
		{"ConsumeCodeOneWinner", testConcurrentConsumeCode},
		{"RotateRefreshWinners", testConcurrentRotateRefresh},
		{"TryLockOneWinner", testConcurrentTryLock},
		{"SweepWhileWriting", testConcurrentSweep},
		{"DeviceOneWinner", testConcurrentDevice},
		{"ConsumePushedOneWinner", testConcurrentConsumePushed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.fn(t, open)
		})
	}
}

// ctx is a test context that ends with the test.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// base is the suite's clock: nanoseconds and a non-UTC zone on purpose, so
// every round-trip shows UTC truncation to the microsecond.
func baseTime() time.Time {
	return time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.FixedZone("UTC+5", 5*3600))
}

// stored is what a time looks like after a round-trip.
func stored(tm time.Time) time.Time { return tm.UTC().Truncate(time.Microsecond) }

func sameTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(stored(want)) || got.Location() != time.UTC {
		t.Errorf("%s = %v, want %v in UTC", what, got, stored(want))
	}
}
