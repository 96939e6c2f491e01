package client

// Declarative clients: the clients listed under clients.declared in the
// configuration file are created or updated at start-up (and when the file
// is reloaded), so that a GitOps deployment needs no admin API calls. Each
// goes through the admin API's defaults and validation, is marked
// ManagedByConfig, and from then on the admin API refuses to change it
// (refuseManaged): a change made there would be undone by the next start.
//
// The file never holds a plaintext secret. A secret is given either as the
// hash the server stores (client_secret_hash, PHC pbkdf2-sha256 or bcrypt)
// or by the name of an environment variable (client_secret_env), whose value
// is hashed here, and sealed for client_secret_jwt, which needs the secret
// itself as its HMAC key.
//
// Several instances may start at once with the same file: a create that
// loses the race (storage.ErrConflict) re-reads the winner's client and
// updates it only if it differs, and an unchanged client is never written,
// so they converge without conflict. A client removed from the file is kept,
// not deleted (its tokens would go with it), and handed back to the admin
// API: its mark is cleared and the change is logged by the caller.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/secret"
	"github.com/signet-oidc/signet/internal/storage"
)

// ManagedByConfig marks a client declared in the configuration file
// (Credentials.ManagedBy).
const ManagedByConfig = "config"

// Declared is one entry of clients.declared, decoded with the admin API's
// field names.
type Declared struct {
	Client Client
	// SecretHash is client_secret_hash, stored as it is.
	SecretHash string
	// Secret is the value of client_secret_env's variable.
	Secret string
	// Key names the entry in messages: clients.declared[i].
	Key string
}

// serverOwned are fields an admin API caller cannot set either; in a
// declaration they are mistakes, so they are refused rather than ignored.
var serverOwned = []string{"created_at", "updated_at", "registration_access_token", "registration_client_uri"}

// ParseDeclared decodes the configuration's entries strictly: an unknown or
// mistyped field is an error naming the entry.
func ParseDeclared(entries []config.DeclaredClient) ([]Declared, error) {
	out := make([]Declared, 0, len(entries))
	for i, e := range entries {
		d := Declared{SecretHash: e.SecretHash, Secret: e.Secret, Key: fmt.Sprintf("clients.declared[%d]", i)}
		for _, f := range serverOwned {
			if _, ok := e.Fields[f]; ok {
				return nil, fmt.Errorf("%s: %s is set by the server and cannot be declared", d.Key, f)
			}
		}
		if _, ok := e.Fields["client_secret"]; ok { // config.Load refuses it too
			return nil, fmt.Errorf("%s: client_secret: use client_secret_hash or client_secret_env", d.Key)
		}
		raw, err := json.Marshal(e.Fields)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.Key, err)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&d.Client); err != nil {
			return nil, fmt.Errorf("%s: %s", d.Key, decodeProblem(err))
		}
		out = append(out, d)
	}
	return out, nil
}

func decodeProblem(err error) string {
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Sprintf("%s must be %s", typ.Field, typ.Type)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// SyncResult lists, by client_id, what Sync did.
type SyncResult struct {
	Created, Updated, Unchanged []string
	// Released were marked ManagedByConfig but are no longer declared:
	// kept, and changeable through the admin API again.
	Released []string
}

// Sync makes the store hold every declared client, marked ManagedByConfig.
// Every entry is validated before anything is written, so a file with one
// bad entry changes nothing.
func (a *Admin) Sync(ctx context.Context, ds []Declared) (SyncResult, error) {
	var res SyncResult
	type step struct {
		d        Declared
		old, new *Client
	}
	steps := make([]step, 0, len(ds))
	for _, d := range ds {
		old, err := a.Store.GetClient(ctx, d.Client.ID)
		if errors.Is(err, storage.ErrNotFound) {
			old, err = nil, nil
		}
		if err != nil {
			return res, fmt.Errorf("%s: reading client %q: %w", d.Key, d.Client.ID, err)
		}
		next, err := a.prepareDeclared(d, old)
		if err != nil {
			return res, err
		}
		steps = append(steps, step{d, old, next})
	}
	for _, s := range steps {
		outcome, err := a.write(ctx, s.d, s.old, s.new)
		if err != nil {
			return res, err
		}
		id := s.d.Client.ID
		switch outcome {
		case created:
			res.Created = append(res.Created, id)
		case updated:
			res.Updated = append(res.Updated, id)
		default:
			res.Unchanged = append(res.Unchanged, id)
		}
	}
	released, err := a.release(ctx, ds)
	res.Released = released
	return res, err
}

type syncOutcome int

const (
	unchanged syncOutcome = iota
	created
	updated
)

// write stores next, declared by d, over old (nil: absent when read).
// Losing a race with another instance is not an error: the client is read
// again and compared, so concurrent starts converge. This is updateStored's
// loop with a create when the client is absent: the update is the same
// compare-and-swap on the version read, so nothing written meanwhile (an
// admin rotation, another instance's sync) is overwritten unseen.
func (a *Admin) write(ctx context.Context, d Declared, old, next *Client) (syncOutcome, error) {
	for range maxUpdateAttempts { // each retry follows a concurrent write
		var err error
		switch {
		case old != nil && sameClient(old, next):
			return unchanged, nil
		case old != nil:
			next.UpdatedAt = laterThan(a.now(), old.UpdatedAt)
			if err = a.Store.UpdateClient(ctx, stored(next), old); err == nil {
				return updated, nil
			}
		default:
			if err = a.Store.CreateClient(ctx, stored(next)); err == nil {
				return created, nil
			}
		}
		if !errors.Is(err, storage.ErrConflict) && !errors.Is(err, storage.ErrNotFound) {
			return 0, fmt.Errorf("%s: storing client %q: %w", d.Key, d.Client.ID, err)
		}
		if old, err = a.Store.GetClient(ctx, d.Client.ID); errors.Is(err, storage.ErrNotFound) {
			old = nil
		} else if err != nil {
			return 0, fmt.Errorf("%s: reading client %q: %w", d.Key, d.Client.ID, err)
		}
		if next, err = a.prepareDeclared(d, old); err != nil {
			return 0, err
		}
	}
	return 0, fmt.Errorf("%s: client %q kept changing while it was being stored", d.Key, d.Client.ID)
}

// prepareDeclared is the admin API's create or replace of old by d: the
// same defaults and validation, with the secret taken from the declaration
// and every stored credential other than it dropped (rotated secrets,
// registration tokens): the file is the whole truth about the client.
func (a *Admin) prepareDeclared(d Declared, old *Client) (*Client, error) {
	c := d.Client
	c.Secret = ""
	now := a.now()
	c.CreatedAt, c.UpdatedAt = now, now
	if old != nil {
		c.CreatedAt = old.CreatedAt
	}
	c.RegistrationAccessToken, c.RegistrationClientURI = "", ""
	c.Credentials = Credentials{ManagedBy: ManagedByConfig}
	if c.Scope == "" && a.DefaultScope != nil {
		c.Scope = strings.Join(a.DefaultScope(), " ")
	}
	Defaults(&c)
	err := Validate(&c)
	if err == nil {
		err = a.settleDeclaredSecret(&c, old, d)
	}
	var he *httpx.Error
	if errors.As(err, &he) {
		return nil, fmt.Errorf("%s (client_id %q): %s", d.Key, c.ID, he.Description)
	}
	if err != nil {
		return nil, fmt.Errorf("%s (client_id %q): %w", d.Key, c.ID, err)
	}
	return &c, nil
}

// settleDeclaredSecret sets c.SecretHash (and the sealed copy for
// client_secret_jwt) from the declaration. A secret from the environment
// that old already has is kept as stored: hashing it again would give a
// new salt, and so a write at every start of every instance.
func (a *Admin) settleDeclaredSecret(c, old *Client, d Declared) error {
	method := c.TokenEndpointAuthMethod
	given := d.SecretHash != "" || d.Secret != ""
	switch {
	case !needsSecret(method) && given:
		return invalidMetadata("token_endpoint_auth_method %s uses no client secret: remove client_secret_hash and client_secret_env.", method)
	case !needsSecret(method):
		return nil
	case !given:
		return invalidMetadata("token_endpoint_auth_method %s needs a client secret: set client_secret_hash or client_secret_env.", method)
	case d.SecretHash != "" && method == AuthClientSecretJWT:
		return invalidMetadata("client_secret_jwt uses the secret itself as its HMAC key, which a hash cannot give back: set client_secret_env instead of client_secret_hash.")
	case d.SecretHash != "":
		if err := checkSecretHash(d.SecretHash); err != nil {
			return err
		}
		c.SecretHash = d.SecretHash
		return nil
	}
	var he *httpx.Error
	if err := checkChosenSecret(d.Secret, a.Hasher.Algorithm); errors.As(err, &he) {
		return invalidMetadata("The secret in the client_secret_env variable is not accepted: %s", he.Description)
	}
	if err := checkHMACKey(c, d.Secret); err != nil {
		return err
	}
	if old != nil && a.holdsSecret(old, c, d.Secret) {
		c.SecretHash, c.Credentials.SealedSecret = old.SecretHash, old.Credentials.SealedSecret
		return nil
	}
	hash, sealed, err := a.storedForms(c, d.Secret)
	if err != nil {
		return err
	}
	c.SecretHash, c.Credentials.SealedSecret = hash, sealed
	return nil
}

// holdsSecret reports whether old's stored secret is plain, in the form c
// needs (a sealed copy for client_secret_jwt).
func (a *Admin) holdsSecret(old, c *Client, plain string) bool {
	if old.SecretHash == "" || a.Hasher.Verify(old.SecretHash, plain) != nil {
		return false
	}
	if c.TokenEndpointAuthMethod != AuthClientSecretJWT {
		return true
	}
	if len(old.Credentials.SealedSecret) == 0 || a.Keyring == nil {
		return false
	}
	opened, err := OpenSecret(a.Keyring, old.ID, old.Credentials.SealedSecret)
	return err == nil && opened == plain
}

// checkSecretHash accepts the two hash forms secret.Hasher verifies, so a
// typo in the file fails the start instead of locking the client out.
func checkSecretHash(h string) error {
	bad := invalidMetadata("client_secret_hash must be a pbkdf2-sha256 hash ($pbkdf2-sha256$i=<iterations>,l=<length>$<salt>$<key>, unpadded base64) or a bcrypt hash ($2a$, $2b$ or $2y$).")
	if strings.HasPrefix(h, "$2") {
		if _, err := bcrypt.Cost([]byte(h)); err != nil || len(h) != 60 {
			return bad
		}
		return nil
	}
	rest, ok := strings.CutPrefix(h, "$pbkdf2-sha256$")
	parts := strings.Split(rest, "$")
	if !ok || len(parts) != 3 {
		return bad
	}
	var iter, length int
	for _, kv := range strings.Split(parts[0], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			return bad
		case k == "i":
			iter = n
		case k == "l":
			length = n
		}
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[1])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || len(salt) == 0 || iter < 1 || iter > secret.MaxPBKDF2Iterations ||
		length != len(key) || length < 16 || length > 64 {
		return bad
	}
	return nil
}

// sameClient reports whether storing next would change nothing of old
// apart from updated_at. The API views are compared as decoded JSON, so
// that the database's re-encoding of jwks and metadata does not count.
func sameClient(old, next *Client) bool {
	if old.SecretHash != next.SecretHash || !sameCredentials(old.Credentials, next.Credentials) {
		return false
	}
	a, b := View(old), View(next)
	a.Secret, b.Secret = "", ""
	a.UpdatedAt = b.UpdatedAt
	var x, y any
	for _, p := range []struct {
		c   *Client
		out *any
	}{{a, &x}, {b, &y}} {
		raw, err := json.Marshal(p.c)
		if err != nil || json.Unmarshal(raw, p.out) != nil {
			return false
		}
	}
	return reflect.DeepEqual(x, y)
}

func sameCredentials(a, b Credentials) bool {
	return a.ManagedBy == b.ManagedBy && bytes.Equal(a.SealedSecret, b.SealedSecret) &&
		len(a.Rotated) == 0 && len(b.Rotated) == 0 &&
		len(a.RegistrationTokenDigest) == 0 && len(b.RegistrationTokenDigest) == 0
}

// release clears the mark of every client marked ManagedByConfig that ds
// no longer declares. It reads every client, once per start: the mark is
// kept in the credentials, which no index covers.
func (a *Admin) release(ctx context.Context, ds []Declared) ([]string, error) {
	declared := make(map[string]bool, len(ds))
	for _, d := range ds {
		declared[d.Client.ID] = true
	}
	var released []string
	page := storage.Page{Size: storage.MaxPageSize}
	for {
		list, res, err := a.Store.ListClients(ctx, Filter{}, page)
		if err != nil {
			return released, fmt.Errorf("listing clients: %w", err)
		}
		for _, c := range list {
			if c.Credentials.ManagedBy != ManagedByConfig || declared[c.ID] {
				continue
			}
			_, err := updateStored(ctx, a.Store, a.Now, c.ID, func(old *Client) (*Client, error) {
				if old.Credentials.ManagedBy != ManagedByConfig {
					return nil, nil // released meanwhile (another instance)
				}
				next := *old
				next.Credentials.ManagedBy = ""
				return &next, nil
			})
			if err != nil && !errors.Is(err, storage.ErrNotFound) {
				return released, fmt.Errorf("releasing client %q: %w", c.ID, err)
			}
			released = append(released, c.ID)
		}
		if res.Next == "" {
			return released, nil
		}
		page.Token = res.Next
	}
}

// refuseManaged stops an admin API change of a client the configuration
// file declares: it would be undone at the next start, so the caller is
// told where the client is changed instead. 409, as for other requests
// that conflict with the state of the client.
func refuseManaged(c *Client) error {
	if c.Credentials.ManagedBy == "" {
		return nil
	}
	return httpx.Conflict("The OAuth 2.0 client %q is managed by the configuration file (clients.declared) and cannot be changed through the admin API; change it in the configuration file instead.",
		httpx.Clip(c.ID, 64)).WithHint("Remove the client from clients.declared to manage it through the API again.")
}
