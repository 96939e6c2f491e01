package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// server is a Signet process the benchmark started and measures.
type server struct {
	cmd       *exec.Cmd
	publicURL string
	adminURL  string
	// StartToReady is the time from exec to the first 200 from /health/ready.
	StartToReady time.Duration
}

// buildBinary compiles ./cmd/signet once into dir.
func buildBinary(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "signet")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/signet")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return bin, cmd.Run()
}

// migrate applies the schema to dsn with the binary, as an operator would.
func migrate(ctx context.Context, bin, dsn string) error {
	cmd := exec.CommandContext(ctx, bin, "migrate", "sql", dsn, "--yes")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}

// startServer runs bin with extra environment and waits until it is ready.
func startServer(ctx context.Context, bin string, env []string) (*server, error) {
	pub, adm := freePort(), freePort()
	base := []string{
		"SERVE_PUBLIC_HOST=127.0.0.1", "SERVE_PUBLIC_PORT=" + strconv.Itoa(pub),
		"SERVE_ADMIN_HOST=127.0.0.1", "SERVE_ADMIN_PORT=" + strconv.Itoa(adm),
		"URLS_SELF_ISSUER=https://bench.signet.test/",
		// The browser flow comes back to the public port over plain http.
		"URLS_SELF_PUBLIC=http://127.0.0.1:" + strconv.Itoa(pub) + "/",
		"SECRETS_SYSTEM=benchmark-secret-0123456789",
		"LOG_LEVEL=warn",
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
	}
	// The Go runtime settings of the bench's own environment reach the
	// server, so their effect can be measured (GOGC=200 go run ./bench …).
	for _, k := range []string{"GOGC", "GOMAXPROCS", "GOMEMLIMIT"} {
		if v, ok := os.LookupEnv(k); ok {
			base = append(base, k+"="+v)
		}
	}
	cmd := exec.CommandContext(ctx, bin, "serve", "all")
	cmd.Env = append(base, env...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	s := &server{cmd: cmd,
		publicURL: fmt.Sprintf("http://127.0.0.1:%d", pub),
		adminURL:  fmt.Sprintf("http://127.0.0.1:%d", adm)}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.adminURL + "/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.StartToReady = time.Since(t0)
				return s, nil
			}
		}
		time.Sleep(2 * time.Millisecond) // polling a child process, not a test
	}
	_ = s.stop()
	return nil, fmt.Errorf("server did not become ready within 60s")
}

// memory reads the process's resident and peak resident set sizes in KiB.
func (s *server) memory() (rssKiB, peakKiB int) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		switch k {
		case "VmRSS":
			rssKiB = n
		case "VmHWM":
			peakKiB = n
		}
	}
	return rssKiB, peakKiB
}

// stop sends SIGTERM (a graceful shutdown) and waits.
func (s *server) stop() error {
	_ = s.cmd.Process.Signal(os.Interrupt)
	return s.cmd.Wait()
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
