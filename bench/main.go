// Command bench is Signet's load generator. It builds and starts a real
// Signet process on a database of your choice, measures its time from start
// to ready and its memory, then drives each scenario with a fixed number of
// keep-alive workers for a fixed duration and prints requests per second,
// p50/p99 latency, errors and database round trips per request.
//
//	go run ./bench -dsn memory -c 16 -d 10s
//	go run ./bench -dsn 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable' -c 16 -d 10s
//
// See docs/benchmarks.md for what each figure means and the results.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

func main() {
	var (
		dsn        = flag.String("dsn", "memory", "database the server uses (memory, sqlite://path, postgres://…, mysql://…)")
		workers    = flag.Int("c", 16, "concurrent workers (keep-alive connections)")
		dur        = flag.Duration("d", 10*time.Second, "duration of each scenario")
		iterations = flag.Int("pbkdf2-iterations", 25000, "oauth2.hashers.pbkdf2.iterations of the server")
		only       = flag.String("only", "", "run only scenarios whose name contains this (or one of these, comma-separated)")
		bin        = flag.String("bin", "", "signet binary to run (default: build ./cmd/signet)")
		jwtAlg     = flag.String("jwt-alg", "", "first add a key of this algorithm (ES256, EdDSA…) to hydra.jwt.access-token and hydra.openid.id-token, so JWT access tokens and ID tokens are signed with it instead of the generated RSA-4096 keys")
	)
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := benchmark(ctx, *dsn, *workers, *dur, *iterations, *only, *bin, *jwtAlg); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func benchmark(ctx context.Context, dsn string, workers int, dur time.Duration, iterations int, only, bin, jwtAlg string) error {
	if bin == "" {
		dir, err := os.MkdirTemp("", "signet-bench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if bin, err = buildBinary(ctx, dir); err != nil {
			return fmt.Errorf("building signet: %w", err)
		}
	}
	if !strings.HasPrefix(dsn, "memory") && !strings.HasPrefix(dsn, "sqlite") {
		if err := migrate(ctx, bin, dsn); err != nil {
			return fmt.Errorf("migrating %s: %w", dsn, err)
		}
	}
	// Browser flows hold several connections per worker (public, admin and
	// the login app's), so the idle pool is sized for that.
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		MaxIdleConns: workers * 8, MaxIdleConnsPerHost: workers * 4, IdleConnTimeout: time.Minute,
	}}
	app, err := listenLoginApp(hc)
	if err != nil {
		return err
	}
	defer app.close()
	srv, err := startServer(ctx, bin, []string{"DSN=" + dsn,
		"OAUTH2_HASHERS_PBKDF2_ITERATIONS=" + strconv.Itoa(iterations),
		"URLS_LOGIN=" + app.url() + "/login", "URLS_CONSENT=" + app.url() + "/consent",
		"URLS_DEVICE_VERIFICATION=" + app.url() + "/device", "URLS_DEVICE_SUCCESS=" + app.url() + "/device/done"})
	if err != nil {
		return err
	}
	defer srv.stop()
	app.admin = srv.adminURL
	idle, _ := srv.memory()

	fx, err := setup(ctx, hc, srv.publicURL, srv.adminURL, app.url()+"/callback")
	if err != nil {
		return err
	}
	signing := "RSA-4096 (generated at first start)"
	if jwtAlg != "" {
		for _, set := range []string{"hydra.jwt.access-token", "hydra.openid.id-token"} {
			if err := addSigningKey(ctx, hc, srv.adminURL, set, jwtAlg); err != nil {
				return err
			}
		}
		signing = jwtAlg
	}

	fmt.Printf("signet on %s: %d workers, %s per scenario, pbkdf2 %d iterations, JWT and ID token signing key %s\n",
		redact(dsn), workers, dur, iterations, signing)
	fmt.Printf("start to ready: %s, idle memory (RSS): %.1f MiB\n\n", srv.StartToReady.Round(time.Millisecond), float64(idle)/1024)
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tper s\tp50\tp99\terrors\tdb round trips/op\tone op is\t")
	for _, sc := range fx.scenarios() {
		if !selected(sc.Name, only) {
			continue
		}
		if sc.Name == "refresh" {
			if err := fx.fillRefreshPool(ctx, workers); err != nil {
				return err
			}
		}
		before, qerr := queryCount(ctx, hc, srv.adminURL)
		res := run(ctx, sc.Op, workers, dur)
		after, _ := queryCount(ctx, hc, srv.adminURL)
		trips := "n/a"
		if qerr == nil && res.Requests > 0 {
			trips = fmt.Sprintf("%.2f", (after-before)/float64(res.Requests))
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t%s\t%d\t%s\t%s\t\n", sc.Name, res.RPS(),
			res.P50.Round(10*time.Microsecond), res.P99.Round(10*time.Microsecond), res.Errors, trips, sc.Unit)
		if res.Errors > 0 {
			defer fmt.Printf("first error in %q: %s\n", sc.Name, res.FirstError)
		}
	}
	tw.Flush()
	_, peak := srv.memory()
	fmt.Printf("\npeak memory (VmHWM): %.1f MiB\n", float64(peak)/1024)
	return nil
}

// redact hides a password in a DSN before printing it.
func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		return u.Redacted()
	}
	return dsn
}

// selected reports whether name contains one of the comma-separated parts
// of only; an empty only selects every scenario.
func selected(name, only string) bool {
	if only == "" {
		return true
	}
	for _, part := range strings.Split(only, ",") {
		if part != "" && strings.Contains(name, part) {
			return true
		}
	}
	return false
}
