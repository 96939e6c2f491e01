package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

// Commands over one or more IDs (get client A B, delete jwt-bearer-issuer
// X…) share their shape: check the IDs, resolve endpoint and format, then
// act on each ID in order.

// idsCmd describes one such command.
type idsCmd struct {
	use     string // "client ID..."
	aliases []string
	short   string
	kind    string // "client ID", named when an argument is refused
	// run acts on the IDs, already checked.
	run func(ctx context.Context, api *apiClient, out format, ids []string) error
}

// newIDsCmd builds the admin command s describes.
func newIDsCmd(env Env, s idsCmd) *cobra.Command {
	r := &remote{env: env, port: adminPort}
	cmd := &cobra.Command{
		Use:     s.use,
		Aliases: s.aliases,
		Short:   s.short,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, ids []string) error {
			if err := checkIDs(s.kind, ids); err != nil {
				return err
			}
			api, out, err := r.setup()
			if err != nil {
				return err
			}
			return s.run(cmd.Context(), api, out, ids)
		},
	}
	r.bind(cmd)
	return cmd
}

// getEach reads every ID in order and stops at the first failure, which
// names the noun and the ID ("getting client \"x\": …"): a get either
// shows all that was asked or fails.
func getEach[T any](ctx context.Context, noun string, ids []string, get func(context.Context, string) (T, error)) ([]T, error) {
	out := make([]T, 0, len(ids))
	for _, id := range ids {
		v, err := get(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("getting %s %q: %w", noun, id, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// oneOrMany prints a single item as an object and several as an array,
// so `get client X --format json | jq .client_id` works as expected.
func oneOrMany[T any](items []T) any {
	if len(items) == 1 {
		return items[0]
	}
	return items
}

// deleteEach deletes every ID even when one fails, the way rm treats its
// arguments: the IDs that are gone go to stdout, each failure to stderr,
// and any failure makes the exit code 1.
func deleteEach(ctx context.Context, env Env, out format, column string, ids []string, del func(context.Context, string) error) error {
	deleted := []string{}
	failed := 0
	for _, id := range ids {
		if err := del(ctx, id); err != nil {
			fmt.Fprintf(env.Stderr, "Error: deleting %q: %v\n", sanitizeLine(id), err)
			failed++
			continue
		}
		deleted = append(deleted, id)
	}
	t := table{header: []string{column}}
	for _, id := range deleted {
		t.rows = append(t.rows, []string{id})
	}
	if len(deleted) > 0 || out != formatTable {
		if err := render(env.Stdout, out, deleted, t); err != nil {
			return err
		}
	}
	if failed > 0 {
		return exitError{code: 1}
	}
	return nil
}
