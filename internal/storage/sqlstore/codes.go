package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/token"
)

// Authorization codes are stored by digest and made single use by one
// conditional UPDATE (RFC 6749 section 4.1.2: "The client MUST NOT use the
// authorization code more than once").

func errCodeNotFound() error {
	return fmt.Errorf("sqlstore: authorization code: %w", storage.ErrNotFound)
}

// CreateCode stores a new code: one write. storage.ErrConflict on a digest
// that exists, storage.ErrNotFound for an unknown client,
// storage.ErrInvalidValue for a text column that cannot be stored.
func (s *Store) CreateCode(ctx context.Context, c *token.CodeRecord) error {
	err := checkText("create code", ident("client_id", c.ClientID), ident("request_id", c.RequestID),
		text("redirect_uri", c.RedirectURI), text("code_challenge", c.CodeChallenge),
		text("code_challenge_method", c.CodeChallengeMethod), text("subject", c.Subject),
		textBytes("session", c.Session), ident("dpop_jkt", c.DPoPJKT))
	if err != nil {
		return err
	}
	scopes, err := jsonText(c.Scopes)
	if err != nil {
		return err
	}
	aud, err := jsonText(c.Audience)
	if err != nil {
		return err
	}
	_, err = s.q().exec(ctx, s.flows.insertCode, c.Digest, c.ClientID, c.RequestID, c.RedirectURI,
		c.CodeChallenge, c.CodeChallengeMethod, c.Subject, scopes, aud, rawOrNil(c.Session),
		s.d.timeArg(c.IssuedAt), s.d.timeArg(c.ExpiresAt), s.d.nullTimeArg(c.UsedAt), textOrNil(c.DPoPJKT))
	return s.d.classify("create code", err)
}

// ConsumeCode marks the code used at now and returns it. Two statements,
// no transaction: the conditional UPDATE decides (of concurrent callers
// exactly one matches the row), then a primary-key read returns the
// record. On replay the record comes back with storage.ErrAlreadyUsed so
// the caller can revoke the family; an unknown digest is
// storage.ErrNotFound.
func (s *Store) ConsumeCode(ctx context.Context, digest []byte, now time.Time) (*token.CodeRecord, error) {
	n, err := s.q().execN(ctx, s.flows.consumeCode, s.d.timeArg(now), digest)
	if err != nil {
		return nil, s.d.classify("consume code", err)
	}
	c, err := scanCode(s.q().queryRow(ctx, s.flows.getCode, digest))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errCodeNotFound()
	}
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return c, fmt.Errorf("sqlstore: authorization code: %w", storage.ErrAlreadyUsed)
	}
	return c, nil
}

func scanCode(r rowScanner) (*token.CodeRecord, error) {
	var (
		c           token.CodeRecord
		scopes, aud string
		session     sql.NullString
		jkt         sql.NullString
	)
	err := r.Scan(&c.Digest, &c.ClientID, &c.RequestID, &c.RedirectURI, &c.CodeChallenge,
		&c.CodeChallengeMethod, &c.Subject, &scopes, &aud, &session,
		timeCol{&c.IssuedAt}, timeCol{&c.ExpiresAt}, nullTimeCol{&c.UsedAt}, &jkt)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("sqlstore: read code: %w", err)
	}
	if err := decodeLists(scopes, aud, &c.Scopes, &c.Audience); err != nil {
		return nil, err
	}
	c.Session, c.DPoPJKT = rawFrom(session), jkt.String
	return &c, nil
}

// decodeLists decodes the scopes and audience JSON columns.
func decodeLists(scopes, aud string, dstScopes, dstAud *[]string) error {
	if err := json.Unmarshal([]byte(scopes), dstScopes); err != nil {
		return fmt.Errorf("sqlstore: decode scopes: %w", err)
	}
	if err := json.Unmarshal([]byte(aud), dstAud); err != nil {
		return fmt.Errorf("sqlstore: decode audience: %w", err)
	}
	return nil
}
