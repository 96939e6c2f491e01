package client

// JSON Patch (RFC 6902) updates of a client: PATCH /admin/clients/{id}.
// The patch is applied to the client's JSON as GET shows it, and the result
// goes through the same defaults, validation and secret rules as PUT. Not
// supported: changing client_id (section 4's "replace" of /client_id is
// refused, as Hydra refuses it) and patching server-owned fields, whose
// patched values are discarded.

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"

	jsonpatch "github.com/evanphx/json-patch/v5"

	"github.com/signet-oidc/signet/internal/httpx"
)

// maxPatchOps bounds the operations in one patch document.
const maxPatchOps = 1000

// patchOp is one RFC 6902 section 4 operation, decoded strictly so typos
// such as "pth" are refused rather than ignored.
type patchOp struct {
	Op    string          `json:"op"`
	Path  *string         `json:"path"`
	From  *string         `json:"from,omitempty"`
	Value json.RawMessage `json:"value,omitempty"`
}

func (a *Admin) handlePatch(w http.ResponseWriter, r *http.Request) error {
	doc, err := readPatchBody(r)
	if err != nil {
		return err
	}
	out, err := a.Patch(r.Context(), r.PathValue("id"), doc)
	if err != nil {
		return err
	}
	writeClient(w, http.StatusOK, out)
	return nil
}

// readPatchBody accepts the contract's application/json and RFC 6902's own
// application/json-patch+json, bounded like every admin JSON body.
func readPatchBody(r *http.Request) ([]byte, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && mt != "application/json-patch+json") {
		return nil, httpx.NewError(http.StatusUnsupportedMediaType, "invalid_request",
			"The request body must be sent with Content-Type application/json or application/json-patch+json.")
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, httpx.MaxJSONBody+1))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe) || len(raw) > httpx.MaxJSONBody:
		return nil, httpx.NewError(http.StatusRequestEntityTooLarge, "invalid_request",
			"The request body is larger than %d bytes.", httpx.MaxJSONBody)
	case err != nil:
		return nil, httpx.BadRequest("The request body could not be read.").Because(err)
	}
	return raw, nil
}

// Patch applies the RFC 6902 document doc to client id and stores the
// result. If the patch sets client_secret, the new secret is hashed and
// shown once in the returned view.
func (a *Admin) Patch(ctx context.Context, id string, doc []byte) (*Client, error) {
	patch, err := parsePatch(doc)
	if err != nil {
		return nil, err
	}
	// The patch applies to the client as stored when the result is
	// written: a change that lands meanwhile is patched again, not undone.
	return a.modify(ctx, id, "updating client", func(old *Client) (*Client, error) {
		if err := refuseManaged(old); err != nil {
			return nil, err
		}
		next, err := applyPatch(old, patch)
		if err != nil {
			return nil, err
		}
		return next, a.prepareReplace(old, next)
	})
}

// parsePatch checks the document's shape before anything is read from the
// store: an array of at most maxPatchOps known operations, each with a path.
func parsePatch(doc []byte) (jsonpatch.Patch, error) {
	var ops []patchOp
	if err := httpx.DecodeJSONBytes(doc, &ops, httpx.RejectUnknown); err != nil {
		return nil, err
	}
	if len(ops) > maxPatchOps {
		return nil, httpx.BadRequest("The JSON Patch must have at most %d operations.", maxPatchOps)
	}
	for i, op := range ops {
		switch op.Op {
		case "add", "remove", "replace", "move", "copy", "test":
		default:
			return nil, httpx.BadRequest("The JSON Patch operation %d has op %q; RFC 6902 allows add, remove, replace, move, copy and test.", i, httpx.Clip(op.Op, 64))
		}
		if op.Path == nil || (op.From == nil && (op.Op == "move" || op.Op == "copy")) {
			return nil, httpx.BadRequest("The JSON Patch operation %d lacks its path or from member.", i)
		}
		if (op.Op == "add" || op.Op == "replace" || op.Op == "test") && op.Value == nil {
			return nil, httpx.BadRequest("The JSON Patch operation %d (%s) lacks its value member.", i, op.Op)
		}
	}
	patch, err := jsonpatch.DecodePatch(doc)
	if err != nil {
		return nil, httpx.BadRequest("The request body is not a valid JSON Patch document.").Because(err)
	}
	return patch, nil
}

// applyPatch patches old's JSON view and decodes the result strictly. The
// view carries no secret, so a patch can only set one, never read one.
func applyPatch(old *Client, patch jsonpatch.Patch) (*Client, error) {
	before, err := json.Marshal(View(old))
	if err != nil {
		return nil, err
	}
	opts := jsonpatch.NewApplyOptions()
	// copy can double the document per operation; bound the growth.
	opts.AccumulatedCopySizeLimit = httpx.MaxJSONBody
	after, err := patch.ApplyWithOptions(before, opts)
	if err != nil {
		return nil, httpx.BadRequest("The JSON Patch could not be applied: %s.", httpx.Clip(err.Error(), 200))
	}
	if len(after) > httpx.MaxJSONBody {
		return nil, httpx.NewError(http.StatusRequestEntityTooLarge, "invalid_request",
			"The patched client is larger than %d bytes.", httpx.MaxJSONBody)
	}
	var next Client
	if err := httpx.DecodeJSONBytes(after, &next, httpx.RejectUnknown); err != nil {
		var he *httpx.Error
		if errors.As(err, &he) {
			return nil, httpx.BadRequest("The patched client is not valid: %s", he.Description)
		}
		return nil, err
	}
	if next.ID != old.ID {
		return nil, invalidMetadata("The field client_id cannot be changed.")
	}
	return &next, nil
}
