package cli

import (
	"fmt"
	"os/exec"
	"runtime"
)

// Opening the authorization URL in the user's browser is a convenience:
// the URL is always printed, and failing to open it is never an error, so
// the command works the same over SSH, in containers and in CI.

// browserCommand says how to open a URL on goos, or ok=false when there is
// evidently no display to open it on.
func browserCommand(goos string, getenv func(string) string) (name string, args []string, ok bool) {
	switch goos {
	case "darwin":
		if getenv("SSH_CONNECTION") != "" { // the browser would open on the remote Mac's screen
			return "", nil, false
		}
		return "open", nil, true
	case "windows":
		return "rundll32", []string{"url.dll,FileProtocolHandler"}, true
	default: // Linux and the BSDs: a desktop session sets one of these
		if getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == "" {
			return "", nil, false
		}
		return "xdg-open", nil, true
	}
}

// openBrowser starts the system's URL opener on u and returns a line for
// the user, or "" when there was nothing to try. It does not wait: the
// opener's exit is reaped in the background.
func openBrowser(env Env, u string) string {
	getenv := env.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	name, args, ok := browserCommand(runtime.GOOS, getenv)
	if !ok {
		return ""
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return ""
	}
	cmd := exec.Command(path, append(args, u)...) // no shell: the URL is one argument
	if err := cmd.Start(); err != nil {
		return fmt.Sprintf("Could not start %s (%v); open the URL yourself.", name, err)
	}
	go func() { _ = cmd.Wait() }()
	return "Opened it with " + name + "."
}
