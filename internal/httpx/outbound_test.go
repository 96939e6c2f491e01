package httpx

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"testing"
)

func TestInternalAddr(t *testing.T) {
	cases := []struct {
		addr     string
		internal bool
	}{
		{"127.0.0.1", true},
		{"127.255.0.9", true},
		{"::1", true},
		{"::ffff:127.0.0.1", true}, // mapped loopback must not slip through
		{"10.1.2.3", true},
		{"172.16.0.1", true},
		{"172.31.255.255", true},
		{"192.168.1.1", true},
		{"fc00::1", true},
		{"fd12:3456::1", true},
		{"169.254.169.254", true}, // cloud metadata
		{"fe80::1", true},
		{"0.0.0.0", true},
		{"::", true},
		{"224.0.0.1", true},
		{"ff02::1", true},
		{"100.64.0.1", true},
		{"100.127.255.254", true},
		{"255.255.255.255", true},
		{"64:ff9b::7f00:1", true}, // NAT64 of 127.0.0.1
		{"2002:7f00:1::", true},   // 6to4 of 127.0.0.1
		{"8.8.8.8", false},
		{"1.1.1.1", false},
		{"172.32.0.1", false},
		{"100.128.0.1", false},
		{"2606:4700:4700::1111", false},
		{"::ffff:8.8.8.8", false},
	}
	for _, c := range cases {
		if got := InternalAddr(netip.MustParseAddr(c.addr)); got != c.internal {
			t.Errorf("InternalAddr(%s) = %v, want %v", c.addr, got, c.internal)
		}
	}
}

func TestOutboundClientRefusesLoopbackOnlyWhenAsked(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	localhostURL := "http://localhost:" + u.Port() + "/hook" // resolved by DNS, then refused

	cases := []struct {
		name    string
		opts    OutboundOptions
		target  string
		refused bool
	}{
		{"allowed when disallow is off", OutboundOptions{}, srv.URL + "/hook", false},
		{"literal loopback refused", OutboundOptions{DisallowPrivateIPRanges: true}, srv.URL + "/hook", true},
		{"name resolving to loopback refused", OutboundOptions{DisallowPrivateIPRanges: true}, localhostURL, true},
		{"exception reaches it", OutboundOptions{DisallowPrivateIPRanges: true,
			ExceptionURLs: []string{srv.URL + "/hook"}}, srv.URL + "/hook?x=1", false},
		{"exception is per path", OutboundOptions{DisallowPrivateIPRanges: true,
			ExceptionURLs: []string{srv.URL + "/other"}}, srv.URL + "/hook", true},
		{"exception is per scheme", OutboundOptions{DisallowPrivateIPRanges: true,
			ExceptionURLs: []string{"https://" + u.Host + "/hook"}}, srv.URL + "/hook", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := NewOutboundClient(c.opts).Post(c.target, "text/plain", nil)
			if c.refused {
				if !errors.Is(err, ErrPrivateAddress) {
					t.Fatalf("err = %v, want ErrPrivateAddress", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNoContent {
				t.Fatalf("status %d", resp.StatusCode)
			}
		})
	}
}

func TestOutboundClientDoesNotFollowRedirects(t *testing.T) {
	var inner int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/internal" {
			inner++
			return
		}
		http.Redirect(w, r, "/internal", http.StatusFound)
	}))
	defer srv.Close()
	resp, err := NewOutboundClient(OutboundOptions{}).Get(srv.URL + "/hook")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || inner != 0 {
		t.Fatalf("status %d, redirect followed %d times", resp.StatusCode, inner)
	}
}
