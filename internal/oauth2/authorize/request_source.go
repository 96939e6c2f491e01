package authorize

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/oauth2"
	"github.com/signet-oidc/signet/internal/storage"
)

// Where a new authorization request's parameters come from: the query or
// form itself (RFC 6749 section 4.1.1), a request pushed to /oauth2/par
// (RFC 9126, par.go), or a request object by value or reference (RFC 9101,
// request_object.go). readRequest reads the client once for all three.
//
// Error routing stays request.go's: problems with client_id and
// redirect_uri, and with a pushed request_uri, go to the error page; a bad
// request object, or a client that must push but did not, is a
// redirectable problem of the request as the query states it, so it
// reaches the client when the query's redirect URI is registered.

// readRequest parses q, reads its client and resolves what q refers to.
// The client is nil when client_id is unknown (Validate reports it).
func (a *Endpoint) readRequest(ctx context.Context, q url.Values, cfg *config.Config) (*Request, *client.Client, error) {
	req, err := ParseRequest(q)
	if err != nil {
		return nil, nil, err
	}
	c, err := a.Clients.GetClient(ctx, req.ClientID)
	if errors.Is(err, storage.ErrNotFound) {
		return req, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading client: %w", err)
	}
	var params url.Values
	switch {
	case isPushedURI(q.Get(paramRequestURI)):
		if q.Has(paramRequest) {
			return nil, nil, oauth2.InvalidRequest("Send either request or request_uri, not both.")
		}
		if params, err = a.consumePushed(ctx, q.Get(paramRequestURI), c.ID); err != nil {
			return nil, nil, err
		}
	case requiresPAR(cfg, c) && a.Pushed == nil:
		// The client requires PAR of itself but the operator switched it
		// off: fail closed rather than drop the client's requirement.
		req.problem = oauth2.InvalidRequest("This client must use pushed authorization requests, which this server does not offer.")
		return req, c, nil
	case requiresPAR(cfg, c):
		req.problem = oauth2.InvalidRequest("This client must use pushed authorization requests: POST the request to /oauth2/par and send the request_uri it returns.")
		return req, c, nil
	case hasRequestObject(q):
		if a.Objects == nil {
			return req, c, nil // ParseRequest reported request_not_supported
		}
		var herr *httpx.Error
		if params, herr = a.Objects.Resolve(ctx, q, c, cfg.IssuerURL(), cfg.Dev); herr != nil {
			req.problem = herr
			return req, c, nil
		}
	default:
		return req, c, nil
	}
	resolved, err := ParseRequest(params)
	if err != nil {
		return nil, nil, err
	}
	return resolved, c, nil
}
