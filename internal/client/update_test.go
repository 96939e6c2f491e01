package client

import (
	"context"
	crand "crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/storage"
)

// The lost-update tests line up the first n reads of the client (every
// request reads the same version, the worst interleaving), then let the
// requests race freely. Before updates were compare-and-swaps, all but one
// of each line-up were overwritten.

// concurrent readies env for requests from many goroutines: crypto/rand
// (the test's ChaCha8 is not safe for concurrent use) and the read
// line-up.
func concurrent(env *testEnv, n int) {
	env.admin.Rand = crand.Reader
	env.admin.Hasher.Rand = crand.Reader
	var mu sync.Mutex
	arrived, all := 0, make(chan struct{})
	env.store.afterGet = func() {
		mu.Lock()
		arrived++
		first := arrived <= n
		if arrived == n {
			close(all)
		}
		mu.Unlock()
		if first {
			<-all
		}
	}
}

// run sends the requests from one goroutine each, released together, and
// returns the responses in order.
func run(t *testing.T, reqs []func() *reqResult) []*reqResult {
	t.Helper()
	out := make([]*reqResult, len(reqs))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, req := range reqs {
		wg.Go(func() {
			<-start
			out[i] = req()
		})
	}
	close(start)
	wg.Wait()
	return out
}

type reqResult struct {
	status int
	body   map[string]any
}

func (e *testEnv) send(method, path, body string) func() *reqResult {
	return func() *reqResult {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		e.handler.ServeHTTP(rec, req)
		var m map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &m)
		return &reqResult{rec.Code, m}
	}
}

// authenticates reports whether sec is the current or a rotated secret of
// the stored client id.
func (e *testEnv) authenticates(id, sec string) bool {
	c := e.store.clients[id]
	if e.admin.Hasher.Verify(c.SecretHash, sec) == nil {
		return true
	}
	for _, r := range c.Credentials.Rotated {
		if e.admin.Hasher.Verify(r.Hash, sec) == nil {
			return true
		}
	}
	return false
}

func TestConcurrentRotationsKeepEverySecret(t *testing.T) {
	for _, n := range []int{maxRotatedSecrets, 8} {
		t.Run(fmt.Sprint(n, " rotations"), func(t *testing.T) {
			env := newEnv(t)
			wantStatus(t, env.do(t, "POST", "/admin/clients", `{"client_id":"r","client_secret":"first-secret"}`), http.StatusCreated)
			concurrent(env, n)
			reqs := make([]func() *reqResult, n)
			for i := range reqs {
				reqs[i] = env.send("POST", "/admin/clients/r/secrets/rotate", "")
			}
			seen := map[string]bool{}
			kept := 0
			for i, res := range run(t, reqs) {
				sec, _ := res.body["client_secret"].(string)
				if res.status != http.StatusOK || sec == "" || seen[sec] {
					t.Fatalf("rotation %d: status %d, secret %q (repeated: %v)", i, res.status, sec, seen[sec])
				}
				seen[sec] = true
				if env.authenticates("r", sec) {
					kept++
				}
			}
			if env.store.updates != n {
				t.Errorf("%d rotations stored, want %d", env.store.updates, n)
			}
			// Every rotation built on the one before: the current secret
			// and maxRotatedSecrets rotated ones, all handed out here or
			// the first one.
			c := env.store.clients["r"]
			if len(c.Credentials.Rotated) != maxRotatedSecrets {
				t.Errorf("%d rotated secrets kept, want %d", len(c.Credentials.Rotated), maxRotatedSecrets)
			}
			want := min(n, maxRotatedSecrets+1)
			if kept != want {
				t.Errorf("%d of the %d secrets handed out authenticate, want %d", kept, n, want)
			}
			if first := env.authenticates("r", "first-secret"); first != (n <= maxRotatedSecrets) {
				t.Errorf("the first secret authenticates: %v, want %v", first, n <= maxRotatedSecrets)
			}
		})
	}
}

func TestConcurrentPatchesAllLand(t *testing.T) {
	env := newEnv(t)
	wantStatus(t, env.do(t, "POST", "/admin/clients", `{"client_id":"p","client_secret":"first-secret","metadata":{}}`), http.StatusCreated)
	const patches, rotations = 6, 2
	concurrent(env, patches+rotations)
	var reqs []func() *reqResult
	for i := range patches {
		reqs = append(reqs, env.send("PATCH", "/admin/clients/p",
			fmt.Sprintf(`[{"op":"add","path":"/metadata/k%d","value":%d}]`, i, i)))
	}
	for range rotations {
		reqs = append(reqs, env.send("POST", "/admin/clients/p/secrets/rotate", ""))
	}
	var secrets []string
	for i, res := range run(t, reqs) {
		if res.status != http.StatusOK {
			t.Fatalf("request %d: status %d: %v", i, res.status, res.body)
		}
		if i >= patches {
			secrets = append(secrets, res.body["client_secret"].(string))
		}
	}
	c := env.store.clients["p"]
	var meta map[string]any
	if err := json.Unmarshal(c.Metadata, &meta); err != nil {
		t.Fatal(err)
	}
	for i := range patches {
		if meta[fmt.Sprint("k", i)] != float64(i) {
			t.Errorf("the patch of k%d was lost: metadata %s", i, c.Metadata)
		}
	}
	for _, sec := range append(secrets, "first-secret") {
		if !env.authenticates("p", sec) {
			t.Errorf("a patch lost the secret %q", sec)
		}
	}
}

// PUT is last-writer-wins for the fields in its body, but it never drops
// a rotation that landed between its read and its write.
func TestConcurrentPutKeepsRotations(t *testing.T) {
	env := newEnv(t)
	wantStatus(t, env.do(t, "POST", "/admin/clients", `{"client_id":"u","client_secret":"first-secret"}`), http.StatusCreated)
	const puts, rotations = 4, 4
	concurrent(env, puts+rotations)
	var reqs []func() *reqResult
	for i := range puts {
		reqs = append(reqs, env.send("PUT", "/admin/clients/u", fmt.Sprintf(`{"client_name":"put-%d"}`, i)))
	}
	for range rotations {
		reqs = append(reqs, env.send("POST", "/admin/clients/u/secrets/rotate", ""))
	}
	secrets := []string{"first-secret"}
	for i, res := range run(t, reqs) {
		if res.status != http.StatusOK {
			t.Fatalf("request %d: status %d: %v", i, res.status, res.body)
		}
		if i >= puts {
			secrets = append(secrets, res.body["client_secret"].(string))
		}
	}
	for _, sec := range secrets {
		if !env.authenticates("u", sec) {
			t.Errorf("a PUT lost the secret %q", sec)
		}
	}
	if name := env.store.clients["u"].Name; name < "put-0" || name > fmt.Sprint("put-", puts-1) {
		t.Errorf("client_name %q is none of the PUTs'", name)
	}
	if env.store.updates != puts+rotations {
		t.Errorf("%d updates stored, want %d", env.store.updates, puts+rotations)
	}
}

// Two updates of a registration with the same access token: one wins and
// gets the new token, the other finds its token replaced (401), never a
// response with a token that was not stored.
func TestConcurrentRegistrationUpdates(t *testing.T) {
	env := newRegEnv(t)
	c := env.register(t, `{"client_name":"dyn","redirect_uris":["https://rp.example/cb"]}`)
	id, token := c.GetClientId(), c.GetRegistrationAccessToken()
	concurrent(env.testEnv, 2)
	results := make([]int, 2)
	tokens := make([]string, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			out, err := env.reg.Update(context.Background(), id, token,
				&Client{Name: fmt.Sprint("dyn-", i), RedirectURIs: []string{"https://rp.example/cb"}})
			if err == nil {
				results[i], tokens[i] = http.StatusOK, out.RegistrationAccessToken
				return
			}
			var he *httpx.Error
			if errors.As(err, &he) {
				results[i] = he.Status
			}
		})
	}
	wg.Wait()
	winners := 0
	for i, status := range results {
		switch status {
		case http.StatusOK:
			winners++
			rec := env.call(t, "GET", "/oauth2/register/"+id, tokens[i], "")
			wantStatus(t, rec, http.StatusOK)
		case http.StatusUnauthorized:
		default:
			t.Errorf("update %d: status %d, want 200 or 401", i, status)
		}
	}
	if winners != 1 {
		t.Errorf("%d updates with one token succeeded, want 1", winners)
	}
}

// conflictStore loses every compare-and-swap, as if other writers always
// got there first.
type conflictStore struct {
	*fakeStore
	attempts int
}

func (s *conflictStore) UpdateClient(context.Context, *Client, *Client) error {
	s.attempts++
	return storage.ErrConflict
}

func TestUpdateGivesUpWith409(t *testing.T) {
	env := newEnv(t)
	wantStatus(t, env.do(t, "POST", "/admin/clients", `{"client_id":"busy","client_secret":"first-secret"}`), http.StatusCreated)
	cs := &conflictStore{fakeStore: env.store}
	env.admin.Store = cs
	for _, req := range []struct{ method, path, body string }{
		{"PUT", "/admin/clients/busy", `{"client_name":"x"}`},
		{"PATCH", "/admin/clients/busy", `[{"op":"replace","path":"/client_name","value":"x"}]`},
		{"POST", "/admin/clients/busy/secrets/rotate", ""},
		{"PUT", "/admin/clients/busy/lifespans", `{}`},
	} {
		cs.attempts = 0
		rec := env.do(t, req.method, req.path, req.body)
		wantStatus(t, rec, http.StatusConflict)
		// The route's own error shape: the OAuth one, or the generic one
		// of /lifespans (as the contract has it).
		m := decodeClient(t, rec)
		oauth := m["error"] == "conflict" && m["error_description"] != nil
		generic := m["code"] == float64(http.StatusConflict) && m["message"] != nil
		if oauth == generic {
			t.Errorf("%s %s: body %s is not in one error shape", req.method, req.path, rec.Body)
		}
		if cs.attempts != maxUpdateAttempts {
			t.Errorf("%s %s: %d attempts, want %d", req.method, req.path, cs.attempts, maxUpdateAttempts)
		}
	}
}

// A frozen clock still makes every update a new version.
func TestUpdatedAtMovesWithAFrozenClock(t *testing.T) {
	env := newEnv(t)
	wantStatus(t, env.do(t, "POST", "/admin/clients", `{"client_id":"f","client_secret":"first-secret"}`), http.StatusCreated)
	prev := env.store.clients["f"].UpdatedAt
	for i := range 3 {
		wantStatus(t, env.do(t, "PATCH", "/admin/clients/f", fmt.Sprintf(`[{"op":"replace","path":"/client_name","value":"n%d"}]`, i)), http.StatusOK)
		at := env.store.clients["f"].UpdatedAt
		if want := prev.Add(time.Microsecond); !at.Equal(want) {
			t.Fatalf("update %d: updated_at %v, want %v", i, at, want)
		}
		prev = at
	}
}
