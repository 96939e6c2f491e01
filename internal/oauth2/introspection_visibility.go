package oauth2

import (
	"bytes"
	"encoding/json"
)

// Which tokens the public introspection endpoint shows the calling client
// (oauth2.introspection.visibility, a Signet key). RFC 7662 section 4
// leaves it to the server and warns against letting any caller probe any
// token; a token the caller may not see answers {"active":false}, exactly
// like an unknown one.
//
//   - client_or_audience (default): tokens issued to the client, and
//     tokens whose audience names its client_id (the client is the
//     resource server the token is for);
//   - client: only tokens issued to the client;
//   - any: every active token, for deployments where only trusted
//     resource servers hold client credentials.

// Visibility values.
const (
	VisibilityClientOrAudience = "client_or_audience"
	VisibilityClient           = "client"
	VisibilityAny              = "any"
)

// Visible reports whether the client clientID may see resp under rule (""
// is the default). An inactive response is visible to all: it says nothing.
func Visible(rule string, resp *IntrospectionResponse, clientID string) bool {
	switch {
	case !resp.Active || rule == VisibilityAny:
		return true
	case rule == VisibilityClient:
		return resp.ClientID == clientID
	default:
		return VisibleTo(resp, clientID)
	}
}

// actOf lifts RFC 8693 section 4.1's "act" out of a token's stored ext,
// so introspection shows it at the top level as section 2.2.1 describes.
func actOf(ext json.RawMessage) json.RawMessage {
	if !bytes.Contains(ext, []byte(`"act"`)) {
		return nil // the common case: no decoding
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(ext, &m); err != nil {
		return nil
	}
	act := m["act"]
	if len(act) == 0 || act[0] != '{' {
		return nil
	}
	return act
}
