package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/spf13/cobra"
)

// deleteClient is DELETE /admin/clients/{id} (deleteOAuth2Client).
func (c *apiClient) deleteClient(ctx context.Context, id string) error {
	_, err := c.do(ctx, call{method: http.MethodDelete, path: "/admin/clients/" + url.PathEscape(id)})
	return err
}

func newDeleteClientCmd(env Env) *cobra.Command {
	r := &remote{env: env, port: adminPort}
	cmd := &cobra.Command{
		Use:     "client ID...",
		Aliases: []string{"clients"},
		Short:   "Delete one or more OAuth 2.0 clients and every token issued to them",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, ids []string) error {
			if err := checkIDs("client ID", ids); err != nil {
				return err
			}
			api, out, err := r.setup()
			if err != nil {
				return err
			}
			return deleteEach(cmd.Context(), env, out, "CLIENT ID", ids, api.deleteClient)
		},
	}
	r.bind(cmd)
	return cmd
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
