package oauth2

import "slices"

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
	default: // client_or_audience
		return resp.ClientID == clientID || slices.Contains(resp.Audience, clientID)
	}
}
