package config

import "strings"

// unixPrefix marks a host that is a Unix socket path, as in Hydra:
// serve.public.host: unix:/run/signet/public.sock (the port is ignored).
const unixPrefix = "unix:"

// maxSocketPath is the shortest sun_path limit among the platforms Signet
// builds for (104 bytes on macOS and the BSDs, 108 on Linux).
const maxSocketPath = 104

// IsUnixHost says whether a serve.*.host value names a Unix socket.
func IsUnixHost(host string) bool { return strings.HasPrefix(host, unixPrefix) }

// SocketPath is the file path of a unix: host ("" for other hosts).
func SocketPath(host string) string {
	if !IsUnixHost(host) {
		return ""
	}
	return strings.TrimPrefix(host, unixPrefix)
}

// listenProblems: a unix: host needs a path the kernel accepts, and the two
// ports cannot share one socket.
func listenProblems(c *Config) []Problem {
	var ps []Problem
	for _, port := range []struct{ key, host string }{
		{"serve.public.host", c.Serve.Public.Host}, {"serve.admin.host", c.Serve.Admin.Host},
	} {
		if !IsUnixHost(port.host) {
			continue
		}
		switch p := SocketPath(port.host); {
		case p == "":
			ps = append(ps, Problem{Key: port.key, Msg: "a unix: host needs a socket path, e.g. unix:/run/signet/public.sock"})
		case len(p) > maxSocketPath:
			ps = append(ps, Problem{Key: port.key, Msg: "the socket path is longer than the 104 bytes operating systems allow; choose a shorter one"})
		}
	}
	pub, adm := c.Serve.Public.Host, c.Serve.Admin.Host
	if IsUnixHost(pub) && pub == adm {
		ps = append(ps, Problem{Key: "serve.admin.host", Msg: "must differ from serve.public.host (both are " + pub + ")"})
	}
	return ps
}
