package config

import (
	"slices"
	"testing"
)

// TestPortTLSResolution: what each port does with a configuration that
// mixes the shared serve.tls block and the per-port blocks.
func TestPortTLSResolution(t *testing.T) {
	cases := []struct {
		name                string
		yaml                string
		pubHTTPS, admHTTPS  bool
		pubCert, admCert    string // cert path each port would load
		pubProxied, admProx []string
	}{
		{name: "nothing configured", yaml: "{}"},
		{
			name:     "shared certificate serves both ports",
			yaml:     "serve:\n  tls:\n    cert: {path: c.pem}\n    key: {path: k.pem}\n",
			pubHTTPS: true, admHTTPS: true, pubCert: "c.pem", admCert: "c.pem",
		},
		{
			// Hydra's pattern: TLS everywhere except the admin port, which
			// sits on a private network.
			name:     "admin opts out with enabled false",
			yaml:     "serve:\n  tls:\n    enabled: true\n    cert: {path: c.pem}\n    key: {path: k.pem}\n  admin:\n    tls:\n      enabled: false\n",
			pubHTTPS: true, pubCert: "c.pem", admCert: "c.pem",
		},
		{
			name:     "per-port certificate overrides the shared one",
			yaml:     "serve:\n  tls:\n    cert: {path: c.pem}\n    key: {path: k.pem}\n  admin:\n    tls:\n      cert: {path: admin.pem}\n",
			pubHTTPS: true, admHTTPS: true, pubCert: "c.pem", admCert: "admin.pem",
		},
		{
			name:     "certificate only on the public port",
			yaml:     "serve:\n  public:\n    tls:\n      cert: {base64: QUJD}\n      key: {base64: QUJD}\n",
			pubHTTPS: true,
		},
		{
			name:    "termination by a proxy serves plain HTTP",
			yaml:    "serve:\n  tls:\n    allow_termination_from: [10.0.0.0/8]\n    cert: {path: c.pem}\n    key: {path: k.pem}\n",
			pubCert: "c.pem", admCert: "c.pem",
			pubProxied: []string{"10.0.0.0/8"}, admProx: []string{"10.0.0.0/8"},
		},
		{
			name:    "enabled false also drops termination checks",
			yaml:    "serve:\n  tls:\n    allow_termination_from: [10.0.0.0/8]\n  admin:\n    tls:\n      enabled: false\n",
			admProx: nil, pubProxied: []string{"10.0.0.0/8"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, _ := mustLoad(t, []string{writeFile(t, "c.yaml", c.yaml)}, baseEnv(), false)
			pub, adm := cfg.PublicTLS(), cfg.AdminTLS()
			if pub.Enabled != c.pubHTTPS || adm.Enabled != c.admHTTPS {
				t.Errorf("HTTPS public %v admin %v, want %v %v", pub.Enabled, adm.Enabled, c.pubHTTPS, c.admHTTPS)
			}
			if pub.Cert.Path != c.pubCert || adm.Cert.Path != c.admCert {
				t.Errorf("cert paths %q %q, want %q %q", pub.Cert.Path, adm.Cert.Path, c.pubCert, c.admCert)
			}
			if !slices.Equal(pub.TerminationFrom, c.pubProxied) || !slices.Equal(adm.TerminationFrom, c.admProx) {
				t.Errorf("termination from %v %v, want %v %v", pub.TerminationFrom, adm.TerminationFrom, c.pubProxied, c.admProx)
			}
		})
	}
}

func TestDecodeTLSBase64(t *testing.T) {
	for _, in := range []string{"QUJD", "QUI=", "QUI", "QU\nJD\n"} {
		if _, err := DecodeTLSBase64(in); err != nil {
			t.Errorf("%q: %v", in, err)
		}
	}
	for _, in := range []string{"", "  ", "%%%", "QUJD!"} {
		if _, err := DecodeTLSBase64(in); err == nil {
			t.Errorf("%q decoded", in)
		}
	}
}
