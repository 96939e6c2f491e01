package app

import (
	"runtime"
	"runtime/debug"
)

// Version, Commit and BuildDate are set at build time (scripts/release does
// it for every archive):
//
//	go build -ldflags "-X github.com/signet-oidc/signet/internal/app.Version=v1.2.3 \
//	  -X github.com/signet-oidc/signet/internal/app.Commit=$(git rev-parse HEAD) \
//	  -X github.com/signet-oidc/signet/internal/app.BuildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)" ./cmd/signet
//
// The build version is one of the two kinds of package-level variable the
// house allows (the other is sentinel errors).
var (
	Version   = "dev"
	Commit    = ""
	BuildDate = ""
)

// Build describes this binary.
type Build struct {
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	BuildDate string `json:"build_date,omitempty"`
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
}

// BuildInfo reports what the linker set. Where it set nothing (a plain
// `go build` in a checkout), the commit and its time come from the VCS
// stamp the go command embeds, so a developer's binary still says what it
// was built from.
func BuildInfo() Build {
	b := Build{Version: Version, Commit: Commit, BuildDate: BuildDate,
		GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	var revision, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value
		case "vcs.time":
			if b.BuildDate == "" {
				b.BuildDate = s.Value
			}
		}
	}
	if b.Commit == "" && revision != "" {
		b.Commit = revision
		if modified == "true" {
			b.Commit += "-dirty"
		}
	}
	return b
}
