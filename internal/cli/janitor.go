package cli

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/janitor"
	"github.com/signet-oidc/signet/internal/storage/sqlstore"
)

// janitorFlags are Hydra's `hydra janitor` flags.
type janitorFlags struct {
	fromEnv                  bool
	files                    []string
	tokens, requests, grants bool
	keepIfYounger            time.Duration
	consentLifespan          time.Duration
	limit, batchSize         int
}

// hydraOnlyFlags are Hydra's janitor flags that Signet accepts and ignores.
var hydraOnlyFlags = []string{"access-lifespan", "refresh-lifespan"}

// progressEvery spaces the progress lines of one long table.
const progressEvery = 10 * time.Second

// newJanitorCmd is `signet janitor [DSN]`.
func newJanitorCmd(env Env) *cobra.Command {
	var f janitorFlags
	cmd := &cobra.Command{
		Use:   "janitor [DSN]",
		Short: "Delete expired and revoked tokens, ended sessions and expired grants from the database",
		Long: `Delete what Signet no longer needs, in batches that are safe while the server
serves traffic: expired and revoked access and refresh tokens (a rotated
refresh token stays until it expires, for reuse detection), expired codes,
used verifiers and JTIs past their expiry, expired login sessions, consents
that are neither remembered nor referenced by a token, and expired trust
grants. With none of --tokens, --requests and --grants, all three run.

The database is the DSN argument, the DSN environment variable (-e), or the
dsn key of the configuration files (-c, which also sets the defaults of
--batch-size, --keep-if-younger and --consent-request-lifespan from
janitor.* and ttl.login_consent_request).`,
		Example: `  signet janitor -e --keep-if-younger 24h
  signet janitor --tokens --limit 100000 postgres://signet@db/signet
  signet janitor -c /etc/signet/signet.yaml`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runJanitor(cmd, env, &f, args) },
	}
	fl := cmd.Flags()
	fl.BoolVarP(&f.fromEnv, "read-from-env", "e", false, "read the database DSN from the DSN environment variable")
	fl.StringArrayVarP(&f.files, "config", "c", nil, "configuration file whose dsn (and janitor.*) to use; repeatable, later files win")
	fl.BoolVar(&f.tokens, "tokens", false, "clean access tokens, refresh tokens and authorization codes")
	fl.BoolVar(&f.requests, "requests", false, "clean used verifiers and JTIs, login sessions, consents and pushed authorization requests")
	fl.BoolVar(&f.grants, "grants", false, "clean expired jwt-bearer trust grants")
	fl.DurationVar(&f.keepIfYounger, "keep-if-younger", 0, "keep records that expired or were revoked less than this long ago, e.g. 24h")
	fl.IntVar(&f.limit, "limit", 0, "stop after deleting this many records in total (0: no limit)")
	fl.IntVar(&f.batchSize, "batch-size", janitor.DefaultBatchSize, fmt.Sprintf("records deleted per statement (1 to %d)", janitor.MaxBatchSize))
	fl.DurationVar(&f.consentLifespan, "consent-request-lifespan", janitor.DefaultRequestLifespan,
		"ttl.login_consent_request of the server: consents handled more recently are kept")
	// Hydra needs these because it stores issue times; Signet stores each
	// record's own expiry. Accepted so Hydra cron jobs run unchanged.
	for _, name := range hydraOnlyFlags {
		fl.Duration(name, 0, "accepted for compatibility with Hydra; no effect")
		_ = fl.MarkHidden(name)
	}
	return cmd
}

func runJanitor(cmd *cobra.Command, env Env, f *janitorFlags, args []string) error {
	dsn, err := janitorDSN(cmd, env, f, args)
	if err != nil {
		return err
	}
	o, err := f.options()
	if err != nil {
		return err
	}
	for _, name := range hydraOnlyFlags {
		if cmd.Flags().Changed(name) {
			fmt.Fprintf(env.Stderr, "Note: --%s has no effect: Signet stores each token's own expiry.\n", name)
		}
	}
	ctx := cmd.Context()
	s, err := sqlstore.Open(ctx, dsn, sqlstore.Options{Log: newLogger(logDefaults(), env.Stderr)})
	if err != nil {
		return err
	}
	defer s.Close()
	start := time.Now()
	p := &progressLines{w: env.Stdout, now: time.Now, last: start}
	sum, err := (&janitor.Janitor{Store: s, Now: time.Now}).Run(ctx, o, p.report)
	fmt.Fprintf(env.Stdout, "janitor: deleted %d records in %s\n", sum.Deleted, roundDuration(time.Since(start)))
	if sum.LimitReached {
		fmt.Fprintf(env.Stdout, "janitor: stopped at --limit %d; run again to delete the rest\n", o.Limit)
	}
	return err
}

// options turns the flags into janitor options, naming the flag at fault.
func (f *janitorFlags) options() (janitor.Options, error) {
	switch {
	case f.batchSize < 1 || f.batchSize > janitor.MaxBatchSize:
		return janitor.Options{}, fmt.Errorf("--batch-size must be between 1 and %d (got %d)", janitor.MaxBatchSize, f.batchSize)
	case f.limit < 0:
		return janitor.Options{}, fmt.Errorf("--limit must be 0 (no limit) or more (got %d)", f.limit)
	case f.keepIfYounger < 0:
		return janitor.Options{}, fmt.Errorf("--keep-if-younger must not be negative (got %s)", f.keepIfYounger)
	case f.consentLifespan <= 0:
		return janitor.Options{}, fmt.Errorf("--consent-request-lifespan must be longer than 0s (got %s)", f.consentLifespan)
	}
	return janitor.Options{Tokens: f.tokens, Requests: f.requests, Grants: f.grants,
		KeepIfYounger: f.keepIfYounger, Limit: f.limit, BatchSize: f.batchSize,
		RequestLifespan: f.consentLifespan}, nil
}

// janitorDSN takes the DSN from exactly one of the argument, -e and -c.
// With -c, janitor.* and ttl.login_consent_request fill the flags not
// given. It refuses databases the janitor must not create: an in-memory
// one (empty by definition) and a SQLite file that does not exist, which
// Open would otherwise create empty, hiding a wrong path.
func janitorDSN(cmd *cobra.Command, env Env, f *janitorFlags, args []string) (string, error) {
	n := len(args)
	if f.fromEnv {
		n++
	}
	if len(f.files) > 0 {
		n++
	}
	if n != 1 {
		return "", errors.New("give the database as exactly one of: a DSN argument, -e (the DSN environment variable), or -c (a configuration file)")
	}
	var dsn string
	switch {
	case len(args) == 1:
		dsn = args[0]
	case f.fromEnv:
		if dsn = env.Getenv("DSN"); dsn == "" {
			return "", errors.New("-e was given but the DSN environment variable is empty")
		}
	default:
		cfg, _, err := config.Loader{Rand: rand.Reader, SkipValidation: true}.Load(f.files, env.Environ(), false)
		if err != nil {
			return "", err
		}
		dsn = cfg.DSN
		f.fromConfig(cmd, cfg)
	}
	return dsn, checkJanitorDSN(dsn)
}

// fromConfig fills the flags the command line left unset.
func (f *janitorFlags) fromConfig(cmd *cobra.Command, cfg *config.Config) {
	set := cmd.Flags().Changed
	if !set("batch-size") && cfg.Janitor.BatchSize > 0 {
		f.batchSize = cfg.Janitor.BatchSize
	}
	if !set("keep-if-younger") {
		f.keepIfYounger = cfg.Janitor.KeepIfYounger
	}
	if !set("consent-request-lifespan") && cfg.TTL.LoginConsentRequest > 0 {
		f.consentLifespan = cfg.TTL.LoginConsentRequest
	}
}

func checkJanitorDSN(dsn string) error {
	scheme, rest, _ := strings.Cut(dsn, "://")
	path, _, _ := strings.Cut(rest, "?")
	path = strings.TrimPrefix(path, "file:")
	switch {
	case dsn == "memory" || (scheme == "sqlite" || scheme == "sqlite3") && path == ":memory:":
		return errors.New("an in-memory database is empty whenever a process opens it: give the DSN of the server's database")
	case scheme != "sqlite" && scheme != "sqlite3" || path == "":
		return nil // Open explains what is wrong with it
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no SQLite database at %q (%w): give the path of the server's database", path, err)
	}
	return nil
}

// progressLines prints one line per table when it is done, and one every
// progressEvery while a long table is being swept.
type progressLines struct {
	w    io.Writer
	now  func() time.Time
	last time.Time
}

func (p *progressLines) report(pr janitor.Progress) {
	now := p.now()
	if !pr.Done && now.Sub(p.last) < progressEvery {
		return
	}
	p.last = now
	what := "so far"
	if pr.Done {
		what = "in " + roundDuration(pr.Elapsed).String()
	}
	rate := ""
	if s := pr.Elapsed.Seconds(); s > 0 && pr.Deleted > 0 {
		rate = fmt.Sprintf(" (%.0f/s)", float64(pr.Deleted)/s)
	}
	fmt.Fprintf(p.w, "janitor: %s: deleted %d %s%s\n", pr.Table, pr.Deleted, what, rate)
}

// roundDuration keeps three significant figures or so: 1.234s, 12ms, 345µs.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}
