package oauth2

import (
	"net/http"
	"time"

	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/token"
)

// AdminTokens serves DELETE /admin/oauth2/tokens?client_id=…: revoke every
// token issued to a client (the contract's deleteOAuth2Token). An unknown
// client has nothing to revoke and also gets 204.
type AdminTokens struct {
	Tokens token.Store
	Now    func() time.Time
}

// DeleteByClient is an httpx.HandlerFunc; mount it with httpx.Renderer.OAuth
// (the contract renders this route's errors as errorOAuth2).
func (a *AdminTokens) DeleteByClient(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParseQuery(r)
	if err != nil {
		return err
	}
	id := q.Get("client_id")
	if id == "" {
		return InvalidRequest("The client_id query parameter is missing.")
	}
	if len(id) > MaxClientIDLen {
		return InvalidRequest("The client_id is longer than %d bytes.", MaxClientIDLen)
	}
	if err := a.Tokens.RevokeByClient(r.Context(), id, a.Now()); err != nil {
		return ServerError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
