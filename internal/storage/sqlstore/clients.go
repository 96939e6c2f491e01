package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/storage"
)

// Clients are stored as a few indexed or filtered columns plus the whole
// record as JSON in doc. The columns are authoritative for the fields they
// hold; doc carries everything else, so a field added to client.Client is
// stored without a migration (the suite fills every field by reflection and
// would notice one that is lost).

// MaxClientIDLen is the longest client_id the schema holds, in bytes.
const MaxClientIDLen = 255

// credentials holds client.Credentials as JSON, NULL when empty: the
// other secrets, which doc must not carry because doc mirrors the API view.
const clientCols = "client_id, client_name, client_owner, secret_hash, doc, credentials, created_at, updated_at"

type clientSQL struct {
	insert, get, update, exists, delete string
	// list holds listVariants over: client_name, client_owner, page token.
	list []string
}

func buildClientSQL(d dialect) clientSQL {
	return clientSQL{
		insert: d.rebind("INSERT INTO clients (" + clientCols + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
		get:    d.rebind("SELECT " + clientCols + " FROM clients WHERE client_id = ?"),
		// created_at is kept: an update replaces the client, not its history.
		// The update is a compare-and-swap on the version the caller read
		// (clientVersionIs).
		update: d.rebind("UPDATE clients SET client_name = ?, client_owner = ?, secret_hash = ?, doc = ?, credentials = ?, updated_at = ?" +
			" WHERE client_id = ? AND " + clientVersionIs),
		exists: d.rebind("SELECT 1 FROM clients WHERE client_id = ?"),
		delete: d.rebind("DELETE FROM clients WHERE client_id = ?"),
		list: listVariants(d, "SELECT "+clientCols+" FROM clients WHERE 1 = 1", " ORDER BY client_id LIMIT ?",
			" AND client_name = ?", " AND client_owner = ?", " AND client_id > ?"),
	}
}

// clientDoc encodes c without the secret, which is never stored, and its
// credentials column value (nil when there are none).
func clientDoc(c *client.Client) (doc string, creds any, err error) {
	cp := *c
	cp.Secret = ""
	if doc, err = jsonText(&cp); err != nil {
		return "", nil, err
	}
	creds, err = credentialsColumn(c.Credentials)
	return doc, creds, err
}

// credentialsColumn encodes the credentials column: nil when there are
// none, else JSON. The encoding is deterministic, so re-encoding what was
// read gives the stored text (SwapCredentials compares on it).
func credentialsColumn(cr client.Credentials) (any, error) {
	if isZeroCredentials(cr) {
		return nil, nil
	}
	// Times inside JSON come back as written; store them as every time
	// column does, in UTC to the microsecond.
	cr.Rotated = slices.Clone(cr.Rotated)
	for i := range cr.Rotated {
		cr.Rotated[i].RotatedAt = cr.Rotated[i].RotatedAt.UTC().Truncate(time.Microsecond)
	}
	text, err := jsonText(cr)
	return text, err
}

func isZeroCredentials(c client.Credentials) bool {
	return len(c.SealedSecret) == 0 && len(c.Rotated) == 0 && len(c.RegistrationTokenDigest) == 0 &&
		c.ManagedBy == ""
}

func checkClientID(id string) error {
	if len(id) > MaxClientIDLen {
		return fmt.Errorf("sqlstore: client id is %d bytes, at most %d are stored", len(id), MaxClientIDLen)
	}
	return nil
}

// checkClientText screens the client's text columns other than its ID.
// The rest of the record is JSON in doc, which encodes any string safely.
func checkClientText(op string, c *client.Client) error {
	return checkText(op, text("client_name", c.Name), text("client_owner", c.Owner),
		text("secret_hash", c.SecretHash))
}

// errClientNotFound is what every lookup of an absent client returns.
func errClientNotFound() error { return fmt.Errorf("sqlstore: client: %w", storage.ErrNotFound) }

// CreateClient inserts c; storage.ErrConflict if its ID exists,
// storage.ErrInvalidValue if a text column cannot be stored. One write.
func (s *Store) CreateClient(ctx context.Context, c *client.Client) error {
	if err := checkClientID(c.ID); err != nil {
		return err
	}
	if err := checkText("create client", text("client_id", c.ID)); err != nil {
		return err
	}
	if err := checkClientText("create client", c); err != nil {
		return err
	}
	doc, creds, err := clientDoc(c)
	if err != nil {
		return err
	}
	_, err = s.q().exec(ctx, s.clients.insert, c.ID, c.Name, c.Owner, c.SecretHash, doc, creds,
		s.d.timeArg(c.CreatedAt), s.d.timeArg(c.UpdatedAt))
	return s.d.classify("create client", err)
}

// GetClient returns the client or storage.ErrNotFound. One query, none
// for an id no row can hold.
func (s *Store) GetClient(ctx context.Context, id string) (*client.Client, error) {
	if !storable(id) {
		return nil, errClientNotFound()
	}
	c, err := scanClient(s.q().queryRow(ctx, s.clients.get, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errClientNotFound()
	}
	return c, err
}

// A client's version is its updated_at and its credentials column: every
// write of a client changes one of them. UpdateClient moves updated_at
// strictly forward; SwapCredentials (re-encryption, which changes nothing
// the API shows) changes only the credentials. Both write only if the
// stored values are still those the caller read, compared in the one
// statement that writes, so of two writers that read the same version
// exactly one succeeds. NULL credentials compare as the empty string,
// which no JSON text is; credentialsColumn encodes deterministically, so
// re-encoding what was read gives the stored text. Times are exact to the
// microsecond on every database (timeArg), so updated_at compares exactly.
const (
	sameCredentials = "COALESCE(credentials, '') = ?"
	clientVersionIs = "updated_at = ? AND " + sameCredentials
)

// credentialsKey is the value sameCredentials compares with.
func credentialsKey(cr client.Credentials) (string, error) {
	v, err := credentialsColumn(cr)
	if v == nil || err != nil {
		return "", err
	}
	return v.(string), nil
}

// UpdateClient replaces every stored field of c.ID except CreatedAt with
// c, if the stored client is still the version read (its UpdatedAt and
// Credentials as GetClient returned them). c.UpdatedAt must be after
// read.UpdatedAt, to the microsecond, so that every update makes a new
// version. storage.ErrConflict if the client changed since read,
// storage.ErrNotFound if it is absent, storage.ErrInvalidValue if a new
// value cannot be stored. One write; a second query only when nothing was
// written, to tell the two refusals apart.
func (s *Store) UpdateClient(ctx context.Context, c, read *client.Client) error {
	if !storable(c.ID) {
		return errClientNotFound()
	}
	if read == nil || read.ID != c.ID {
		return errors.New("sqlstore: update client: the version read must be of the same client")
	}
	was := read.UpdatedAt.UTC().Truncate(time.Microsecond)
	if !c.UpdatedAt.UTC().Truncate(time.Microsecond).After(was) {
		return fmt.Errorf("sqlstore: update client %q: updated_at must be after the %s read, to the microsecond",
			c.ID, was.Format(time.RFC3339Nano))
	}
	if err := checkClientText("update client", c); err != nil {
		return err
	}
	doc, creds, err := clientDoc(c)
	if err != nil {
		return err
	}
	wasCreds, err := credentialsKey(read.Credentials)
	if err != nil {
		return err
	}
	n, err := s.q().execN(ctx, s.clients.update, c.Name, c.Owner, c.SecretHash, doc, creds,
		s.d.timeArg(c.UpdatedAt), c.ID, s.d.timeArg(was), wasCreds)
	if err != nil {
		return s.d.classify("update client", err)
	}
	if n == 1 {
		return nil
	}
	var one int
	switch err := s.q().queryRow(ctx, s.clients.exists, c.ID).Scan(&one); {
	case errors.Is(err, sql.ErrNoRows):
		return errClientNotFound()
	case err != nil:
		return fmt.Errorf("sqlstore: update client: %w", err)
	}
	return fmt.Errorf("sqlstore: update client %q: changed since it was read: %w", c.ID, storage.ErrConflict)
}

// DeleteClient removes the client; its tokens go with it in the same
// statement (ON DELETE CASCADE). storage.ErrNotFound if absent.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	if !storable(id) {
		return errClientNotFound()
	}
	n, err := s.q().execN(ctx, s.clients.delete, id)
	if err != nil {
		return s.d.classify("delete client", err)
	}
	if n == 0 {
		return errClientNotFound()
	}
	return nil
}

// ListClients returns clients ordered by ID (bytewise), after p.Token, at
// most p.Size (storage.DefaultPageSize when unset, clamped to
// 1..storage.MaxPageSize). Next is empty on the last page. One query; none
// when a filter holds a value no row can hold (the page is empty).
func (s *Store) ListClients(ctx context.Context, f client.Filter, p storage.Page) ([]*client.Client, storage.PageResult, error) {
	after, err := decodeIDToken(p.Token)
	if err != nil {
		return nil, storage.PageResult{}, err
	}
	if !storable(f.Name) || !storable(f.Owner) {
		return nil, storage.PageResult{}, nil
	}
	var a listArgs
	a.opt(f.Name != "", f.Name)
	a.opt(f.Owner != "", f.Owner)
	a.opt(p.Token != "", after)
	return queryPage(ctx, s.q(), "list clients", scanClient, clientToken, clampPageSize(p.Size),
		s.clients.list[a.variant], a.args)
}

func clientToken(c *client.Client) string { return encodeIDToken(c.ID) }

func scanClient(r rowScanner) (*client.Client, error) {
	var (
		id, name, owner, hash, doc string
		creds                      sql.NullString
		c                          client.Client
	)
	err := r.Scan(&id, &name, &owner, &hash, &doc, &creds, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt})
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("sqlstore: read client: %w", err)
	}
	created, updated := c.CreatedAt, c.UpdatedAt
	if err := json.Unmarshal([]byte(doc), &c); err != nil {
		return nil, fmt.Errorf("sqlstore: decode client %q: %w", id, err)
	}
	if creds.Valid {
		if err := json.Unmarshal([]byte(creds.String), &c.Credentials); err != nil {
			return nil, fmt.Errorf("sqlstore: decode credentials of client %q: %w", id, err)
		}
	}
	c.ID, c.Name, c.Owner, c.SecretHash = id, name, owner, hash
	c.CreatedAt, c.UpdatedAt, c.Secret = created, updated, ""
	return &c, nil
}
