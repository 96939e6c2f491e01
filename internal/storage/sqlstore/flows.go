package sqlstore

import (
	"context"
	"strings"

	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/token"
)

// The statements of the login/consent flow and of the code and refresh
// grants (migration 00002). They are rebound once, at Open; the few whose
// shape depends on a call (IN lists) are built by inList.

const (
	loginCols   = "id, subject, authenticated_at, remember, expires_at, identity_provider_session_id"
	consentCols = "id, subject, client_id, login_session_id, granted_scopes, granted_audience, " +
		"remember, remember_until, session, context, requested_at, handled_at"
	codeCols = "digest, client_id, request_id, redirect_uri, code_challenge, code_challenge_method, " +
		"subject, scopes, audience, session, issued_at, expires_at, used_at, dpop_jkt"
	refreshCols = "digest, client_id, request_id, subject, scopes, audience, session, " +
		"issued_at, expires_at, used_at, use_count, revoked_at, jkt"
)

type flowSQL struct {
	useVerifier string

	saveLogin, getLogin, loginsBySubject string

	insertConsent, findConsent string
	// listConsents holds listVariants over: login session, page token.
	listConsents   []string
	consentsOf     [2]string // ids of a subject's consents: [0] all clients, [1] one client
	insertCode     string
	consumeCode    string
	getCode        string
	insertRefresh  string
	getRefresh     string
	useRefresh     string
	reuseRefresh   string
	reuseRefreshN  string
	refreshExists  string
	revokeRefresh  string
	insertAccess   string
	familyAccess   string
	familyRefresh  string
	familyCodes    string
	deleteConsents string // "… WHERE id IN " + list
	deleteLogins   string // "… WHERE id IN " + list
}

func placeholders(n int) string {
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
}

func buildFlowSQL(d dialect) flowSQL {
	f := flowSQL{
		useVerifier: d.rebind("INSERT INTO used_verifiers (verifier_key, expires_at) VALUES (?, ?)"),

		saveLogin: d.rebind("INSERT INTO login_sessions (" + loginCols + ") VALUES " + placeholders(6) +
			d.onConflict([]string{"id"}, strings.Split(loginCols, ", ")[1:])),
		getLogin:        d.rebind("SELECT " + loginCols + " FROM login_sessions WHERE id = ?"),
		loginsBySubject: d.rebind("SELECT " + loginCols + " FROM login_sessions WHERE subject = ? ORDER BY id"),

		insertConsent: d.rebind("INSERT INTO consent_sessions (" + consentCols + ") VALUES " + placeholders(12)),
		findConsent: d.rebind("SELECT " + consentCols + " FROM consent_sessions" +
			" WHERE subject = ? AND client_id = ? AND remember = ? AND (remember_until IS NULL OR remember_until >= ?)" +
			" ORDER BY handled_at DESC, id DESC LIMIT 1"),
		consentsOf: [2]string{
			d.rebind("SELECT id FROM consent_sessions WHERE subject = ?"),
			d.rebind("SELECT id FROM consent_sessions WHERE subject = ? AND client_id = ?"),
		},

		insertCode: d.rebind("INSERT INTO auth_codes (" + codeCols + ") VALUES " + placeholders(14)),
		// The one write that makes a code single use, on every dialect.
		consumeCode: d.rebind("UPDATE auth_codes SET used_at = ? WHERE digest = ? AND used_at IS NULL"),
		getCode:     d.rebind("SELECT " + codeCols + " FROM auth_codes WHERE digest = ?"),

		insertRefresh: d.rebind("INSERT INTO refresh_tokens (" + refreshCols + ") VALUES " + placeholders(13)),
		getRefresh:    d.rebind("SELECT " + refreshCols + " FROM refresh_tokens WHERE digest = ?"),
		useRefresh: d.rebind("UPDATE refresh_tokens SET used_at = ?, use_count = 1" +
			" WHERE digest = ? AND used_at IS NULL AND revoked_at IS NULL"),
		// Within the grace period: used_at >= now - period. The WHERE is
		// re-evaluated on the locked row, so concurrent reuses count exactly.
		reuseRefresh: d.rebind("UPDATE refresh_tokens SET use_count = use_count + 1" +
			" WHERE digest = ? AND revoked_at IS NULL AND used_at >= ?"),
		reuseRefreshN: d.rebind("UPDATE refresh_tokens SET use_count = use_count + 1" +
			" WHERE digest = ? AND revoked_at IS NULL AND used_at >= ? AND use_count <= ?"),
		refreshExists: d.rebind("SELECT COUNT(*) FROM refresh_tokens WHERE digest = ?"),
		revokeRefresh: d.rebind("UPDATE refresh_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE digest = ? AND client_id = ?"),
		insertAccess:  d.rebind("INSERT INTO access_tokens (" + accessCols + ") VALUES " + placeholders(13)),

		familyAccess:   "UPDATE access_tokens SET revoked_at = ? WHERE revoked_at IS NULL AND request_id IN ",
		familyRefresh:  "UPDATE refresh_tokens SET revoked_at = ? WHERE revoked_at IS NULL AND request_id IN ",
		familyCodes:    "UPDATE auth_codes SET used_at = ? WHERE used_at IS NULL AND request_id IN ",
		deleteConsents: "DELETE FROM consent_sessions WHERE id IN ",
		deleteLogins:   "DELETE FROM login_sessions WHERE id IN ",
	}
	// Newest first; the token condition is the keyset "before the last
	// row" in that order.
	f.listConsents = listVariants(d, "SELECT "+consentCols+" FROM consent_sessions WHERE subject = ?",
		" ORDER BY handled_at DESC, id DESC LIMIT ?",
		" AND login_session_id = ?", " AND (handled_at < ? OR (handled_at = ? AND id < ?))")
	return f
}

// inListChunk bounds the ids of one IN list, far below every dialect's
// placeholder limit, so a subject with thousands of consents still works.
const inListChunk = 500

// inList runs prefix + "(?, ?, …)" with lead bound first, once per chunk
// of ids, and returns the rows matched in total.
func (s *Store) inList(ctx context.Context, q counted, prefix string, lead []any, ids []string) (int64, error) {
	var total int64
	for len(ids) > 0 {
		n := min(len(ids), inListChunk)
		args := make([]any, 0, len(lead)+n)
		args = append(args, lead...)
		for _, id := range ids[:n] {
			args = append(args, id)
		}
		m, err := q.execN(ctx, s.d.rebind(prefix+placeholders(n)), args...)
		if err != nil {
			return total, err
		}
		total += m
		ids = ids[n:]
	}
	return total, nil
}

// The interfaces of issue 3 that *Store implements.
var (
	_ flow.Store      = (*Store)(nil)
	_ token.FlowStore = (*Store)(nil)
)
