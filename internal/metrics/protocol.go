package metrics

import (
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/oauth2"
)

// Metrics implements oauth2.Observer for the token endpoint, the
// authorization endpoint and logout.
var _ oauth2.Observer = (*Metrics)(nil)

// tokenCounters are the signet_tokens_issued_total series, resolved once
// per grant type so that counting is a map read and an atomic add.
type tokenCounters struct {
	byGrant map[string]prometheus.Counter
	vec     *prometheus.CounterVec
}

func newTokenCounters(grantTypes []string) (tokenCounters, *prometheus.CounterVec) {
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "signet_tokens_issued_total",
		Help: "Successful token responses by grant type; \"implicit\" counts tokens returned by the authorization endpoint.",
	}, []string{"grant_type"})
	t := tokenCounters{byGrant: map[string]prometheus.Counter{}, vec: vec}
	for _, g := range append(slices.Clone(grantTypes), client.GrantImplicit) {
		t.byGrant[g] = vec.WithLabelValues(g)
	}
	return t, vec
}

// TokensIssued counts one token response for grantType.
func (m *Metrics) TokensIssued(grantType string) {
	if c, ok := m.tokens.byGrant[grantType]; ok {
		c.Inc()
		return
	}
	// Only mounted grants issue tokens, so this is not reached in
	// practice; the value is never a stranger's, but bounding it keeps
	// the label set small whatever a future caller passes.
	m.tokens.vec.WithLabelValues("other").Inc()
}

// flowCounters are the signet_flows_total series. Every pair that can
// happen exists from the start; logout has no "rejected", because a browser
// whose logout the app refused never comes back to Signet.
type flowCounters map[flowKey]prometheus.Counter

type flowKey struct {
	step    oauth2.FlowStep
	outcome oauth2.FlowOutcome
}

func flowPairs() []flowKey {
	return []flowKey{
		{oauth2.FlowLogin, oauth2.FlowStarted}, {oauth2.FlowLogin, oauth2.FlowCompleted}, {oauth2.FlowLogin, oauth2.FlowRejected},
		{oauth2.FlowConsent, oauth2.FlowStarted}, {oauth2.FlowConsent, oauth2.FlowCompleted}, {oauth2.FlowConsent, oauth2.FlowRejected},
		{oauth2.FlowLogout, oauth2.FlowStarted}, {oauth2.FlowLogout, oauth2.FlowCompleted},
	}
}

func newFlowCounters() (flowCounters, *prometheus.CounterVec) {
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "signet_flows_total",
		Help: "Browser flow steps (login, consent, logout) by outcome: started (sent to the operator's app), completed, rejected (by the app).",
	}, []string{"step", "outcome"})
	f := flowCounters{}
	for _, k := range flowPairs() {
		f[k] = vec.WithLabelValues(string(k.step), string(k.outcome))
	}
	return f, vec
}

// Flow counts one outcome of a flow step. A pair outside flowPairs is
// dropped rather than added as a new series.
func (m *Metrics) Flow(step oauth2.FlowStep, outcome oauth2.FlowOutcome) {
	if c, ok := m.flows[flowKey{step, outcome}]; ok {
		c.Inc()
	}
}
