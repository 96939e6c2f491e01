package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/signet-oidc/signet/internal/client"
)

// Re-encryption of sealed client secrets (client.ResealStore): a keyset
// walk over the clients that have a credentials column, and a
// compare-and-swap of that one column, with the comparison UpdateClient
// makes too (clientVersionIs in clients.go): on the stored JSON text,
// which credentialsColumn encodes deterministically; MySQL's column is
// utf8mb4_bin and PostgreSQL's default collation compares
// deterministically, so "equal" means byte-equal on every database.

type credentialsSQL struct {
	after, swap string
}

func buildCredentialsSQL(d dialect) credentialsSQL {
	return credentialsSQL{
		after: d.rebind("SELECT client_id, credentials FROM clients WHERE credentials IS NOT NULL AND client_id > ?" +
			" ORDER BY client_id LIMIT ?"),
		swap: d.rebind("UPDATE clients SET credentials = ? WHERE client_id = ? AND " + sameCredentials),
	}
}

// CredentialsAfter returns up to limit clients with stored credentials,
// ordered by client ID, strictly after id. One query.
func (s *Store) CredentialsAfter(ctx context.Context, id string, limit int) ([]client.StoredCredentials, error) {
	if limit <= 0 {
		return nil, errors.New("sqlstore: client credentials: limit must be positive")
	}
	return queryAll(ctx, s.q(), "list client credentials", scanCredentials, s.credentials.after, id, limit)
}

// SwapCredentials replaces the credentials of client id with next only if
// they still are old, and reports whether it did. One statement; the rest
// of the row, updated_at included, is untouched: the new credentials alone
// make a new version, so an UpdateClient from the version before fails.
func (s *Store) SwapCredentials(ctx context.Context, id string, old, next client.Credentials) (bool, error) {
	if !storable(id) || isZeroCredentials(old) {
		return false, nil
	}
	was, err := credentialsKey(old)
	if err != nil {
		return false, err
	}
	now, err := credentialsColumn(next)
	if err != nil {
		return false, err
	}
	n, err := s.q().execN(ctx, s.credentials.swap, now, id, was)
	if err != nil {
		return false, s.d.classify("swap client credentials", err)
	}
	return n == 1, nil
}

func scanCredentials(r rowScanner) (client.StoredCredentials, error) {
	var (
		sc   client.StoredCredentials
		text sql.NullString
	)
	if err := r.Scan(&sc.ClientID, &text); err != nil {
		return sc, fmt.Errorf("sqlstore: read client credentials: %w", err)
	}
	if err := json.Unmarshal([]byte(text.String), &sc.Credentials); err != nil {
		return sc, fmt.Errorf("sqlstore: decode credentials of client %q: %w", sc.ClientID, err)
	}
	return sc, nil
}
