//go:build unix

package app

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/signet-oidc/signet/internal/config"
)

// socketDir is a short directory: socket paths are limited to ~104 bytes,
// and t.TempDir() paths can exceed that.
func socketDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sig")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// unixClient talks HTTP to a Unix socket, whatever the URL's host.
func unixClient(path string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", path)
		},
	}}
}

func TestUnixSocketServesAndCleansUp(t *testing.T) {
	path := filepath.Join(socketDir(t), "public.sock")
	ln, err := listen(config.Listener{Host: "unix:" + path, Port: 4444, Socket: config.Socket{Mode: 0o755}})
	if err != nil {
		t.Fatal(err)
	}
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "hello") })
	a := &App{cfg: config.NewLive(&config.Config{}), log: slog.New(slog.DiscardHandler), public: hello}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln, nil) }()

	resp, err := unixClient(path).Get("http://signet/health/alive")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hello" {
		t.Fatalf("body %q", body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the socket file outlives the shutdown: %v", err)
	}
}

func TestUnixSocketPermissions(t *testing.T) {
	dir := socketDir(t)
	self, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	group, err := user.LookupGroupId(strconv.Itoa(os.Getgid()))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		socket config.Socket
		mode   fs.FileMode
		uid    int
		gid    int
		err    string
	}{
		{name: "default mode", socket: config.Socket{Mode: 0o755}, mode: 0o755, uid: os.Getuid(), gid: os.Getgid()},
		{name: "group only", socket: config.Socket{Mode: 0o660, Group: group.Name}, mode: 0o660, uid: os.Getuid(), gid: os.Getgid()},
		{name: "owner by name, group by id", socket: config.Socket{Mode: 0o600, Owner: self.Username, Group: group.Gid}, mode: 0o600, uid: os.Getuid(), gid: os.Getgid()},
		{name: "unknown owner", socket: config.Socket{Mode: 0o600, Owner: "no-such-user-signet"}, err: `no user "no-such-user-signet"`},
		{name: "unknown group", socket: config.Socket{Mode: 0o600, Group: "no-such-group-signet"}, err: `no group "no-such-group-signet"`},
	}
	if os.Geteuid() == 0 {
		if nobody, err := user.Lookup("nobody"); err == nil {
			uid, _ := strconv.Atoi(nobody.Uid)
			cases = append(cases, struct {
				name   string
				socket config.Socket
				mode   fs.FileMode
				uid    int
				gid    int
				err    string
			}{name: "another owner (root only)", socket: config.Socket{Mode: 0o700, Owner: "nobody"}, mode: 0o700, uid: uid, gid: os.Getgid()})
		}
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strconv.Itoa(i)+".sock")
			ln, err := listenUnix(path, tc.socket)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("a refused socket was left behind: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			fi, err := os.Lstat(path)
			if err != nil {
				t.Fatal(err)
			}
			st := fi.Sys().(*syscall.Stat_t)
			if fi.Mode().Perm() != tc.mode || int(st.Uid) != tc.uid || int(st.Gid) != tc.gid {
				t.Errorf("mode %v uid %d gid %d, want %v %d %d", fi.Mode().Perm(), st.Uid, st.Gid, tc.mode, tc.uid, tc.gid)
			}
		})
	}
}

// A socket left by a run that was killed is replaced; a socket in use, or a
// file that is not a socket, is never deleted.
func TestUnixSocketStaleFile(t *testing.T) {
	dir := socketDir(t)

	stale := filepath.Join(dir, "stale.sock")
	old, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	old.(*net.UnixListener).SetUnlinkOnClose(false)
	old.Close() // as after SIGKILL: the file stays, nobody listens
	ln, err := listenUnix(stale, config.Socket{Mode: 0o755})
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	ln.Close()

	busy := filepath.Join(dir, "busy.sock")
	other, err := net.Listen("unix", busy)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := listenUnix(busy, config.Socket{Mode: 0o755}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("a socket in use was taken over: %v", err)
	}

	regular := filepath.Join(dir, "data.txt")
	if err := os.WriteFile(regular, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := listenUnix(regular, config.Socket{Mode: 0o755}); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("a regular file was not protected: %v", err)
	}
	if b, _ := os.ReadFile(regular); string(b) != "keep me" {
		t.Error("the regular file was touched")
	}
}
