package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	hydra "github.com/ory/hydra-client-go/v2"
	"golang.org/x/oauth2"
)

// TestConcurrentClientChanges sends rotations and patches of one client at
// once, on every database: each answers 200, every secret handed out (and
// the first one) still gets a token, and every patch is in the client.
// Before client updates were compare-and-swaps, most were lost.
func TestConcurrentClientChanges(t *testing.T) {
	t.Parallel()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			srv := b.start(t)
			id, first := newMachineClient(t, srv, func(c *hydra.OAuth2Client) { c.Metadata = map[string]any{} })
			const rotations, patches = 5, 3 // 5: every rotated secret is kept
			type result struct {
				status int
				body   []byte
				err    error
			}
			results := make([]result, rotations+patches)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range results {
				wg.Go(func() {
					method, path, body := "POST", "/secrets/rotate", ""
					if i >= rotations {
						method, path = "PATCH", ""
						body = fmt.Sprintf(`[{"op":"add","path":"/metadata/k%d","value":%d}]`, i, i)
					}
					req, err := http.NewRequest(method, srv.AdminURL+"/admin/clients/"+id+path, bytes.NewBufferString(body))
					if err != nil {
						results[i].err = err
						return
					}
					if body != "" {
						req.Header.Set("Content-Type", "application/json")
					}
					<-start
					res, err := http.DefaultClient.Do(req)
					if err != nil {
						results[i].err = err
						return
					}
					defer res.Body.Close()
					results[i].body, results[i].err = io.ReadAll(res.Body)
					results[i].status = res.StatusCode
				})
			}
			close(start)
			wg.Wait()

			secrets := []string{first}
			for i, r := range results {
				if r.err != nil || r.status != http.StatusOK {
					t.Fatalf("request %d: %d %s %v", i, r.status, r.body, r.err)
				}
				if i < rotations {
					var c hydra.OAuth2Client
					if err := json.Unmarshal(r.body, &c); err != nil || c.GetClientSecret() == "" {
						t.Fatalf("rotation %d returned %s", i, r.body)
					}
					secrets = append(secrets, c.GetClientSecret())
				}
			}
			for i, sec := range secrets {
				if _, err := ccConfig(srv, id, sec, oauth2.AuthStyleInHeader, "read").Token(context.Background()); err != nil {
					t.Errorf("secret %d (of %d) no longer authenticates: %v", i, len(secrets), err)
				}
			}
			got, _, err := srv.Admin.OAuth2API.GetOAuth2Client(context.Background(), id).Execute()
			if err != nil {
				t.Fatal(sdkErr(err))
			}
			meta, _ := got.Metadata.(map[string]any)
			for i := rotations; i < rotations+patches; i++ {
				if meta[fmt.Sprint("k", i)] != float64(i) {
					t.Errorf("the patch of k%d was lost: metadata %v", i, got.Metadata)
				}
			}
		})
	}
}
