package app

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/user"
	"runtime"
	"strconv"
	"time"

	"github.com/signet-oidc/signet/internal/config"
)

// listen opens a port's listener: TCP on host:port, or a Unix socket when
// the host is unix:/path (Hydra's form; the port is then ignored). A Unix
// socket file is removed again when the listener closes at shutdown.
func listen(l config.Listener) (net.Listener, error) {
	if config.IsUnixHost(l.Host) {
		return listenUnix(config.SocketPath(l.Host), l.Socket)
	}
	return net.Listen("tcp", net.JoinHostPort(l.Host, strconv.Itoa(l.Port)))
}

// listenUnix binds path and applies serve.*.socket. Until the mode is
// applied the socket has the process umask's permissions; with the usual
// umask 022 nobody but the owner can connect (connecting needs write
// permission) during that moment.
func listenUnix(path string, s config.Socket) (net.Listener, error) {
	if err := removeStaleSocket(path); err != nil {
		return nil, err
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	if err := applySocketPermissions(path, s); err != nil {
		ln.Close() // also removes the socket file
		return nil, err
	}
	return ln, nil
}

// removeStaleSocket deletes the socket a previous run left behind when it
// did not shut down cleanly (a crash, SIGKILL). It deletes only a socket,
// never another kind of file, and never one that another process still
// accepts connections on.
func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSocket == 0 {
		return fmt.Errorf("%s exists and is not a socket; remove it or choose another path", path)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return fmt.Errorf("%s is in use: another process accepts connections on it", path)
	}
	return os.Remove(path)
}

// applySocketPermissions sets serve.*.socket.mode and, when given,
// .owner and .group (names or numeric ids). Giving the socket to another
// user needs root (or CAP_CHOWN); an unprivileged process can only choose
// one of its own groups. Windows has neither, so nothing is applied there.
func applySocketPermissions(path string, s config.Socket) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	if err := os.Chmod(path, fs.FileMode(s.Mode)&fs.ModePerm); err != nil {
		return fmt.Errorf("setting socket.mode %#o on %s: %w", s.Mode, path, err)
	}
	if s.Owner == "" && s.Group == "" {
		return nil
	}
	uid, gid := -1, -1
	var err error
	if s.Owner != "" {
		if uid, err = userID(s.Owner); err != nil {
			return err
		}
	}
	if s.Group != "" {
		if gid, err = groupID(s.Group); err != nil {
			return err
		}
	}
	if err := os.Chown(path, uid, gid); err != nil {
		return fmt.Errorf("giving %s to owner %q group %q: %w (another owner needs root or CAP_CHOWN; an unprivileged process can only pick one of its own groups)",
			path, s.Owner, s.Group, err)
	}
	return nil
}

func userID(name string) (int, error) {
	if u, err := user.Lookup(name); err == nil {
		return strconv.Atoi(u.Uid)
	}
	if id, err := strconv.Atoi(name); err == nil && id >= 0 {
		return id, nil
	}
	return -1, fmt.Errorf("socket.owner: there is no user %q", name)
}

func groupID(name string) (int, error) {
	if g, err := user.LookupGroup(name); err == nil {
		return strconv.Atoi(g.Gid)
	}
	if id, err := strconv.Atoi(name); err == nil && id >= 0 {
		return id, nil
	}
	return -1, fmt.Errorf("socket.group: there is no group %q", name)
}
