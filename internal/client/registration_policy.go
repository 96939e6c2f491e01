package client

// What a dynamically registered client may say about itself. The public
// endpoint accepts the same metadata as the admin API, except:
//
//   - fields only an operator may set (metadata, access_token_strategy,
//     skip_consent, skip_logout_consent, token_exchange and every
//     *_lifespan), which change
//     what the server does for the client rather than describe it; Hydra
//     refuses the first four too;
//   - client_id and client_secret, which the server chooses (OIDC Dynamic
//     Client Registration 1.0 section 3.2); an update may repeat the
//     current secret, as RFC 7592 section 2.2 allows, but not change it;
//   - the fields the server owns (registration_access_token,
//     registration_client_uri, client_secret_expires_at, created_at,
//     updated_at), which are ignored so that a client can send back what a
//     read returned.
//
// owner is accepted, as Hydra accepts it: Signet uses it only to filter
// admin listings, never to grant anything.

import (
	"reflect"
	"strings"
)

// adminOnlyField is one field of a client only an operator may set: its
// wire name and the field itself (addressable).
type adminOnlyField struct {
	name  string
	value reflect.Value
}

// adminOnlyFields lists c's operator-only fields, always in the same order,
// metadata excepted (checkAdminOnly treats it apart).
func adminOnlyFields(c *Client) []adminOnlyField {
	out := []adminOnlyField{
		{"access_token_strategy", reflect.ValueOf(&c.AccessTokenStrategy).Elem()},
		{"skip_consent", reflect.ValueOf(&c.SkipConsent).Elem()},
		{"skip_logout_consent", reflect.ValueOf(&c.SkipLogoutConsent).Elem()},
		{"token_exchange", reflect.ValueOf(&c.TokenExchange).Elem()},
	}
	// Every lifespan, by reflection so that a lifespan added to the
	// contract is operator-only without anyone remembering this list.
	l := reflect.ValueOf(&c.Lifespans).Elem()
	for i := range l.NumField() {
		name, _, _ := strings.Cut(l.Type().Field(i).Tag.Get("json"), ",")
		out = append(out, adminOnlyField{name, l.Field(i)})
	}
	return out
}

// checkAdminOnly refuses a registration request that sets an operator-only
// field. stored is the registered client (nil on create). A field left out
// or sent with its stored value is not a change and keeps the stored value,
// so what a read returned can be sent back unchanged, and a client cannot
// clear what an operator set. metadata is never shown on the public
// endpoint, so any metadata in a request is refused.
func checkAdminOnly(next, stored *Client) error {
	if nilIfNull(next.Metadata) != nil {
		return adminOnlyError("metadata")
	}
	if stored == nil {
		stored = &Client{}
	}
	next.Metadata = stored.Metadata
	was := adminOnlyFields(stored)
	for i, f := range adminOnlyFields(next) {
		switch {
		case f.value.IsZero():
			f.value.Set(was[i].value)
		case !reflect.DeepEqual(f.value.Interface(), was[i].value.Interface()):
			return adminOnlyError(f.name)
		}
	}
	return nil
}

func adminOnlyError(field string) error {
	return invalidMetadata("The field %s can only be set by an administrator, through the admin API.", field)
}

// dropServerOwned resets the fields a registration request cannot set,
// taking them from stored (nil on create).
func dropServerOwned(c, stored *Client) {
	c.RegistrationAccessToken, c.RegistrationClientURI = "", ""
	c.SecretExpiresAt = 0
	if stored != nil {
		c.SecretExpiresAt = stored.SecretExpiresAt
	}
}
