package sqlstore

import (
	"context"
	"encoding/base64"
	"fmt"

	"github.com/signet-oidc/signet/internal/storage"
)

// Reading many rows, and keyset pagination, the way every aggregate does
// it. A listing is one SELECT whose optional conditions (filters, the page
// token) are chosen per call from statements built once at Open, and whose
// last placeholder is the LIMIT. It asks for one row more than the page:
// that row's presence says another page exists, without a COUNT.

// maxPageToken bounds the page token a stranger may send.
const maxPageToken = 512

// rowScanner is *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

// queryAll runs stmt and scans every row with scan. Errors of the query
// and of the row cursor are wrapped with what ("list clients"); scan wraps
// its own.
func queryAll[T any](ctx context.Context, q counted, what string, scan func(rowScanner) (T, error), stmt string, args ...any) ([]T, error) {
	rows, err := q.query(ctx, stmt, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: %s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: %s: %w", what, err)
	}
	return out, nil
}

// listVariants builds the statements of one listing: base, then every
// subset of the optional conditions, then tail (ORDER BY … LIMIT ?).
// Statement i holds conds[j] when bit j of i is set, the order in which a
// listArgs records them.
func listVariants(d dialect, base string, tail string, conds ...string) []string {
	out := make([]string, 1<<len(conds))
	for v := range out {
		q := base
		for j, c := range conds {
			if v&(1<<j) != 0 {
				q += c
			}
		}
		out[v] = d.rebind(q + tail)
	}
	return out
}

// listArgs picks the statement of a listing built by listVariants and
// collects its arguments. Call opt once per optional condition, in the
// order listVariants was given them.
type listArgs struct {
	variant int
	next    int // bit of the next condition
	args    []any
}

// opt records condition number "next": applied, with its arguments, when on.
func (l *listArgs) opt(on bool, args ...any) {
	if on {
		l.variant |= 1 << l.next
		l.args = append(l.args, args...)
	}
	l.next++
}

// queryPage runs the listing stmt (its arguments but the LIMIT in args)
// for a page of size rows and returns them with the token of the next
// page, made from the last row by token; Next is empty on the last page.
func queryPage[T any](ctx context.Context, q counted, what string, scan func(rowScanner) (T, error),
	token func(T) string, size int, stmt string, args []any) ([]T, storage.PageResult, error) {
	out, err := queryAll(ctx, q, what, scan, stmt, append(args, size+1)...)
	if err != nil {
		return nil, storage.PageResult{}, err
	}
	var res storage.PageResult
	if len(out) > size {
		out = out[:size]
		res.Next = token(out[size-1])
	}
	return out, res, nil
}

// clampPageSize is the page size a listing serves: storage.DefaultPageSize
// when unset, at most storage.MaxPageSize.
func clampPageSize(n int) int {
	switch {
	case n <= 0:
		return storage.DefaultPageSize
	case n > storage.MaxPageSize:
		return storage.MaxPageSize
	}
	return n
}

// An ID page token is the last row's ID, base64url: for listings ordered
// by an identifier column alone (clients, trust grants).
func encodeIDToken(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

// decodeIDToken is the ID after which a page starts, "" for the first
// page; storage.ErrBadPageToken for a token the store cannot have issued.
func decodeIDToken(tok string) (string, error) {
	if tok == "" {
		return "", nil
	}
	if len(tok) > maxPageToken {
		return "", storage.ErrBadPageToken
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	// The store never issues a token for an id it cannot hold.
	if err != nil || len(b) == 0 || len(b) > MaxIDLen || !storableBytes(b) {
		return "", storage.ErrBadPageToken
	}
	return string(b), nil
}
