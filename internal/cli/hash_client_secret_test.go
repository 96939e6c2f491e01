package cli

import (
	"strings"
	"testing"

	"github.com/signet-oidc/signet/internal/secret"
)

// The printed hash verifies the piped secret, with either algorithm, and
// is of the form clients.declared accepts.
func TestHashClientSecret(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		stdin  string
		prefix string
	}{
		{nil, "piped-secret-0123\n", "$pbkdf2-sha256$i=25000,l=32$"},
		{[]string{"--iterations", "1000"}, "piped-secret-0123", "$pbkdf2-sha256$i=1000,l=32$"},
		{[]string{"--algorithm", "bcrypt", "--cost", "4"}, "piped-secret-0123\r\n", "$2a$04$"},
	} {
		r := run(t, nil, tc.stdin, append([]string{"hash", "client-secret"}, tc.args...)...)
		hash := strings.TrimSpace(r.stdout)
		if r.code != 0 || !strings.HasPrefix(hash, tc.prefix) {
			t.Fatalf("%v: exit %d, stdout %q, stderr %q", tc.args, r.code, r.stdout, r.stderr)
		}
		if err := (secret.Hasher{}).Verify(hash, "piped-secret-0123"); err != nil {
			t.Errorf("%v: the hash does not verify the secret: %v", tc.args, err)
		}
	}
}

func TestHashClientSecretRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, stdin string
		args        []string
		want        string
	}{
		{"no input", "", nil, "no secret on standard input"},
		{"empty line", "\nsecond", nil, "no secret on standard input"},
		{"too long", strings.Repeat("x", 5000), nil, "longer than 4096 bytes"},
		{"bcrypt limit", strings.Repeat("x", 73), []string{"--algorithm", "bcrypt"}, "72 bytes"},
		{"unknown algorithm", "s3cret", []string{"--algorithm", "md5"}, "unknown hash algorithm"},
		{"secret as argument", "", []string{"s3cret"}, "never from an argument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, nil, tc.stdin, append([]string{"hash", "client-secret"}, tc.args...)...)
			if r.code == 0 || !strings.Contains(r.stderr, tc.want) || r.stdout != "" || strings.Contains(r.stderr, "s3cret") {
				t.Errorf("exit %d, stdout %q, stderr %q; want a failure saying %q", r.code, r.stdout, r.stderr, tc.want)
			}
		})
	}
}
