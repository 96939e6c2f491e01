package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// The list commands page the way the admin API does: --page-size and
// --page-token map to page_size and page_token, and the next page is read
// from the Link header's rel="next" entry. One page is shown per run.

// The contract's bounds on page_size; checked here so a typo gets a flag
// error rather than a server round trip.
const maxPageSize = 1000

// page is one page of a listing and the token of the next one, as the
// json formats print it.
type page[T any] struct {
	Items      []T    `json:"items"`
	NextToken  string `json:"next_page_token"`
	IsLastPage bool   `json:"is_last_page"`
}

// listPage is GET path with the filters in q (which it extends) and the
// page flags. A missing or null body is an empty page.
func listPage[T any](ctx context.Context, c *apiClient, path string, q url.Values, pf *pageFlags) (*page[T], error) {
	if q == nil {
		q = url.Values{}
	}
	if pf.size > 0 {
		q.Set("page_size", strconv.Itoa(pf.size))
	}
	if pf.token != "" {
		q.Set("page_token", pf.token)
	}
	var items []T
	h, err := c.do(ctx, call{method: http.MethodGet, path: path, query: q, out: &items})
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []T{}
	}
	next := nextPageToken(h.Values("Link"))
	return &page[T]{Items: items, NextToken: next, IsLastPage: next == ""}, nil
}

// listCmd describes a list command: `signet list clients`…
type listCmd struct {
	use     string
	aliases []string
	short   string
	noun    string // what a page holds, for --page-size's help: "clients"
	// run lists and shows the page pf asks for.
	run func(ctx context.Context, api *apiClient, out format, pf *pageFlags) error
}

// newListCmd builds the admin command s describes, with the endpoint,
// format and page flags; the caller adds its filter flags.
func newListCmd(env Env, s listCmd) *cobra.Command {
	r := &remote{env: env, port: adminPort}
	pf := &pageFlags{}
	cmd := &cobra.Command{
		Use:     s.use,
		Aliases: s.aliases,
		Short:   s.short,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := pf.check(cmd); err != nil {
				return err
			}
			api, out, err := r.setup()
			if err != nil {
				return err
			}
			return s.run(cmd.Context(), api, out, pf)
		},
	}
	r.bind(cmd)
	pf.bind(cmd, s.noun)
	return cmd
}

// pageFlags are --page-size and --page-token.
type pageFlags struct {
	size  int
	token string
}

// bind registers the flags; noun names the items ("clients").
func (f *pageFlags) bind(cmd *cobra.Command, noun string) {
	cmd.Flags().IntVar(&f.size, "page-size", 0, noun+" per page, 1 to 1000 (default: the server's, 250)")
	cmd.Flags().StringVar(&f.token, "page-token", "", "token of the page to show, from a previous listing")
}

// check refuses a page size the server would refuse.
func (f *pageFlags) check(cmd *cobra.Command) error {
	if cmd.Flags().Changed("page-size") && (f.size < 1 || f.size > maxPageSize) {
		return fmt.Errorf("--page-size must be between 1 and %d", maxPageSize)
	}
	return nil
}

// showPage prints p, and in the table format says how to get the next
// page. The hint goes to stderr so the table on stdout stays exactly one
// header plus one row per item.
func showPage[T any](env Env, out format, p *page[T], t table, noun string) error {
	if err := render(env.Stdout, out, p, t); err != nil {
		return err
	}
	if out == formatTable && p.NextToken != "" {
		fmt.Fprintf(env.Stderr, "More %s: run again with --page-token %s\n", noun, sanitizeLine(p.NextToken))
	}
	return nil
}

// nextPageToken finds page_token in the rel="next" entry of RFC 8288 Link
// headers, e.g. `</admin/clients?page_size=2&page_token=abc>; rel="next"`.
func nextPageToken(links []string) string {
	for _, header := range links {
		for _, link := range strings.Split(header, ",") {
			target, params, ok := strings.Cut(link, ";")
			if !ok || !hasRelNext(params) {
				continue
			}
			target = strings.TrimSpace(target)
			target = strings.TrimSuffix(strings.TrimPrefix(target, "<"), ">")
			u, err := url.Parse(target)
			if err != nil {
				continue
			}
			return u.Query().Get("page_token")
		}
	}
	return ""
}

func hasRelNext(params string) bool {
	for _, p := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(k, "rel") {
			for _, rel := range strings.Fields(strings.Trim(v, `"`)) {
				if strings.EqualFold(rel, "next") {
					return true
				}
			}
		}
	}
	return false
}
