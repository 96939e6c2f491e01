package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/signet-oidc/signet/internal/cli"
)

// What the browser test needs around chromedp: finding and starting a
// headless Chromium, running each step with a bound and a readable
// failure, and running `signet perform authorization-code` in-process the
// way cmd/signet runs it (cli.Main), watching its output as it arrives.

// browserStep bounds every browser action and every wait on the CLI. It
// is generous because CI runs this package under -race on two cores next
// to the other end-to-end tests; a healthy step takes well under a
// second, and a broken one fails with its name instead of hanging.
const browserStep = 60 * time.Second

// phoneWidth is the CSS width the tab emulates: a common phone. Signet's
// pages must lay out in it without sideways scrolling (issue 6, item 5).
const phoneWidth = 390

// chromiumBinaries are looked up on PATH in this order: Debian's package
// (what .ci/run installs), Ubuntu's older name, Google's build.
var chromiumBinaries = []string{"chromium", "chromium-browser", "google-chrome"}

// chromiumPath finds a browser or skips the test, unless
// SIGNET_TEST_REQUIRE_BROWSER=1 (set by .ci/run) turns the skip into a
// failure, so CI never passes by skipping.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range chromiumBinaries {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "chromium not found: install the Debian package chromium to run the browser test"
	if os.Getenv("SIGNET_TEST_REQUIRE_BROWSER") == "1" {
		t.Fatal(msg + " (SIGNET_TEST_REQUIRE_BROWSER=1)")
	}
	t.Skip(msg)
	return ""
}

// chromeTab is one tab of a headless Chromium started for one test.
type chromeTab struct {
	ctx context.Context // the tab's context: cancelled, it closes the tab
	// log keeps what helps explain a failed step: the page console
	// (CSP violations arrive there as "security" messages) and chromedp's
	// own errors. output is Chromium's own, shown only if it fails to
	// start (it is noisy: no D-Bus in a container).
	log, output lockedBuffer

	mu       sync.Mutex
	security []string // console messages from the "security" source
}

// startChromium starts the browser with the flags issue 6 lists and a
// fresh profile, opens a tab emulating a phone, and stops both when the
// test ends.
func startChromium(t *testing.T, exe string) *chromeTab {
	t.Helper()
	c := &chromeTab{}
	profile := t.TempDir() // removed after the cleanup below has stopped the browser
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true), // CI runs as root in a container
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(profile),
		chromedp.CombinedOutput(&c.output),
	)
	logf := func(format string, args ...any) { fmt.Fprintf(&c.log, "chromedp: "+format+"\n", args...) }
	tabCtx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithErrorf(logf), chromedp.WithLogf(logf))
	c.ctx = tabCtx
	consoleDone := make(chan struct{})
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for the browser process to exit
		<-consoleDone
	})

	// The first Do starts the browser; it must run on the tab's own
	// context (a timeout here would end the browser with it), so the
	// bound is a watchdog that cancels the tab instead.
	watchdog := time.AfterFunc(browserStep, cancelTab)
	err := chromedp.Do(tabCtx, chromedp.EmulateViewport(phoneWidth, 844,
		chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulatePortrait))
	watchdog.Stop()
	if err != nil {
		close(consoleDone)
		t.Fatalf("starting %s: %v\n%s%s", exe, err, c.log.String(), c.output.String())
	}
	messages := chromedp.Console(tabCtx)
	go func() {
		defer close(consoleDone)
		for m, err := range messages {
			if err != nil {
				return // the tab closed
			}
			fmt.Fprintf(&c.log, "console %s\n", m)
			if m.Source == "security" {
				c.mu.Lock()
				c.security = append(c.security, m.Text)
				c.mu.Unlock()
			}
		}
	}()
	return c
}

// securityMessages returns the security messages so far and forgets them.
func (c *chromeTab) securityMessages() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.security
	c.security = nil
	return s
}

// do runs actions as one bounded step.
func (c *chromeTab) do(t *testing.T, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	browserRun(t, c, step, chromedp.Steps(actions...))
}

// navigate runs actions that load a page (a navigation, a click on a
// submit button) and returns the response of the page that ends the
// redirects.
func (c *chromeTab) navigate(t *testing.T, step string, actions ...chromedp.Action[chromedp.Void]) *network.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, browserStep)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, actions...)
	if err != nil {
		t.Fatalf("%s: %v\n%s", step, err, c.diagnose())
	}
	return resp
}

// browserRun runs one action that returns a value, as one bounded step.
func browserRun[T any](t *testing.T, c *chromeTab, step string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, browserStep)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v\n%s", step, err, c.diagnose())
	}
	return v
}

// diagnose describes where the browser is and what it said, for a
// failure message.
func (c *chromeTab) diagnose() string {
	ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
	defer cancel()
	var b strings.Builder
	if at, err := chromedp.Run(ctx, chromedp.Location()); err == nil {
		fmt.Fprintf(&b, "the browser is at %s\n", at)
	}
	if text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`)); err == nil {
		fmt.Fprintf(&b, "the page says:\n%s\n", text)
	}
	fmt.Fprintf(&b, "browser log:\n%s", c.log.String())
	return b.String()
}

// pageFacts are what every Signet page must have for a person to read it:
// a language, a heading, its own style applied (which also proves the
// Content-Security-Policy allows it), and a layout that fits a phone.
type pageFacts struct {
	Lang        string `json:"lang"`
	Headings    int    `json:"headings"`
	BodyMaxW    string `json:"maxWidth"`
	ScrollWidth int    `json:"scrollWidth"`
}

const pageFactsJS = `({
	lang: document.documentElement.lang,
	headings: document.querySelectorAll("h1").length,
	maxWidth: getComputedStyle(document.body).maxWidth,
	scrollWidth: document.documentElement.scrollWidth,
})`

// checkReadable asserts pageFacts on the current page, and that the
// browser reported no Content-Security-Policy violation so far. Console
// messages arrive on their own goroutine, so a violation may surface at
// the next page's check; the style check is the one bound to this page.
func (c *chromeTab) checkReadable(t *testing.T, what string) {
	t.Helper()
	f := browserRun(t, c, "reading the layout of "+what, chromedp.Evaluate[pageFacts](pageFactsJS))
	if f.Lang == "" || f.Headings != 1 {
		t.Errorf("%s: lang %q and %d h1 headings; want a language and one heading", what, f.Lang, f.Headings)
	}
	if f.BodyMaxW == "none" {
		t.Errorf("%s: the page's style did not apply (was its style block refused by the CSP?)", what)
	}
	// Without the viewport meta a phone lays the page out 980px wide;
	// with it, nothing may stick out of the phone's width.
	if f.ScrollWidth > phoneWidth {
		t.Errorf("%s is %dpx wide on a %dpx phone: the reader must scroll sideways", what, f.ScrollWidth, phoneWidth)
	}
	if s := c.securityMessages(); len(s) > 0 {
		t.Errorf("by %s, the browser reported security violations:\n%s", what, strings.Join(s, "\n"))
	}
}

// responseHeader returns a header of a page's response, whatever case the
// server wrote its name in.
func responseHeader(resp *network.Response, name string) string {
	for k, v := range resp.Headers {
		if strings.EqualFold(k, name) {
			s, _ := v.(string)
			return s
		}
	}
	return ""
}

// cliRun is a `signet` command running in-process through cli.Main, with
// an empty environment so the host's SIGNET_* variables cannot leak in.
type cliRun struct {
	stdout, stderr lockedBuffer
	grew           chan struct{} // a token each time stderr grows
	cancel         context.CancelFunc
	exited         chan struct{}
	code           int // read only after exited is closed
}

// notifyWriter writes to w and drops a token in grew, so a waiter wakes
// up to look at the new output instead of polling.
type notifyWriter struct {
	w    *lockedBuffer
	grew chan struct{}
}

func (n notifyWriter) Write(p []byte) (int, error) {
	defer func() {
		select {
		case n.grew <- struct{}{}:
		default: // a token is already waiting
		}
	}()
	return n.w.Write(p)
}

// startCLI runs `signet args...` until it exits or the test ends; ending
// the test cancels its context, which is what Ctrl-C does.
func startCLI(t *testing.T, args ...string) *cliRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &cliRun{grew: make(chan struct{}, 1), cancel: cancel, exited: make(chan struct{})}
	go func() {
		defer close(r.exited)
		r.code = cli.Main(ctx, args, cli.Env{
			Getenv: func(string) string { return "" }, Environ: func() []string { return nil },
			Stdin: strings.NewReader(""), Stdout: &r.stdout, Stderr: notifyWriter{&r.stderr, r.grew},
		})
	}()
	t.Cleanup(func() { cancel(); <-r.exited })
	return r
}

// waitLine waits for a stderr line that match accepts and returns it.
func (r *cliRun) waitLine(t *testing.T, what string, match func(line string) bool) string {
	t.Helper()
	deadline := time.NewTimer(browserStep)
	defer deadline.Stop()
	find := func() (string, bool) {
		for _, l := range strings.Split(r.stderr.String(), "\n") {
			if match(l) {
				return l, true
			}
		}
		return "", false
	}
	for {
		if l, ok := find(); ok {
			return l
		}
		select {
		case <-r.grew:
		case <-r.exited:
			if l, ok := find(); ok {
				return l
			}
			t.Fatalf("the command exited with %d before printing %s:\n%s", r.code, what, r.stderr.String())
		case <-deadline.C:
			t.Fatalf("the command printed no %s within %s:\n%s", what, browserStep, r.stderr.String())
		}
	}
}

// wait waits for the command to exit and returns its exit code.
func (r *cliRun) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-r.exited:
		return r.code
	case <-time.After(browserStep):
		t.Fatalf("the command did not exit within %s:\n%s", browserStep, r.stderr.String())
		return 0
	}
}

// tableRows reads the CLI's table output (columns padded with at least
// three spaces) as first column → second column.
func tableRows(out string) map[string]string {
	rows := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, "   "); ok {
			rows[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return rows
}
