package jwk

import (
	"fmt"

	"github.com/go-jose/go-jose/v4"
)

// aad binds a sealed private key to its set and kid: a sealed blob moved to
// another row (another set or kid) fails to open. Set and kid never hold a
// NUL byte (validName), so the encoding is unambiguous.
func aad(set, kid string) []byte {
	return []byte("signet jwk v1\x00" + set + "\x00" + kid)
}

// newRecord builds the stored form of key: the public half in clear, the
// private half (if any) sealed under the first system secret.
func (m *Manager) newRecord(set string, key jose.JSONWebKey) (*Record, error) {
	pub := key.Public()
	rawPub, err := pub.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("jwk: encoding public key %q: %w", key.KeyID, err)
	}
	rec := &Record{Set: set, KID: key.KeyID, Public: rawPub, CreatedAt: m.now().UTC()}
	if key.IsPublic() {
		return rec, nil
	}
	rawPriv, err := key.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("jwk: encoding private key %q: %w", key.KeyID, err)
	}
	defer clear(rawPriv)
	rec.SealedPrivate, err = m.keyring.Seal(rawPriv, aad(set, key.KeyID))
	if err != nil {
		return nil, fmt.Errorf("jwk: sealing private key %q: %w", key.KeyID, err)
	}
	return rec, nil
}

// openPrivate opens and parses the sealed private half of rec.
func (m *Manager) openPrivate(rec *Record) (*jose.JSONWebKey, error) {
	raw, err := m.keyring.Open(rec.SealedPrivate, aad(rec.Set, rec.KID))
	if err != nil {
		return nil, fmt.Errorf("jwk: private key %q of set %q cannot be opened; was the secret that sealed it removed from secrets.system? %w",
			rec.KID, rec.Set, err)
	}
	defer clear(raw)
	var priv jose.JSONWebKey
	if err := priv.UnmarshalJSON(raw); err != nil || priv.IsPublic() {
		return nil, fmt.Errorf("jwk: sealed key %q of set %q is not a private JWK", rec.KID, rec.Set)
	}
	return &priv, nil
}

// fullKey returns what the admin API shows for rec: the private key when
// there is one (it is the admin port), else the public key.
func (m *Manager) fullKey(rec *Record) (jose.JSONWebKey, error) {
	if rec.SealedPrivate != nil {
		priv, err := m.openPrivate(rec)
		if err != nil {
			return jose.JSONWebKey{}, err
		}
		return *priv, nil
	}
	var pub jose.JSONWebKey
	if err := pub.UnmarshalJSON(rec.Public); err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("jwk: stored public key %q of set %q does not parse: %w", rec.KID, rec.Set, err)
	}
	return pub, nil
}
