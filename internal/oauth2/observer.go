package oauth2

// Observer is told what the protocol engine did, for the metrics on the
// admin port. internal/metrics implements it, so that protocol packages do
// not import Prometheus; app.New wires it. A nil Observer field counts
// nothing. Methods must be cheap and safe for concurrent use: they run on
// the request path.
type Observer interface {
	// TokensIssued is called once per successful token response:
	// grantType is the token request's grant_type, or "implicit" for
	// tokens the authorization endpoint returned itself (the implicit and
	// hybrid response types). It counts responses, not tokens: an access
	// token with its refresh and ID tokens is one.
	TokensIssued(grantType string)
	// Flow is called when a browser flow step reaches an outcome.
	Flow(step FlowStep, outcome FlowOutcome)
}

// FlowStep is the step of a browser flow that an outcome belongs to.
type FlowStep string

// The three steps a browser passes through an app of the operator's.
const (
	FlowLogin   FlowStep = "login"
	FlowConsent FlowStep = "consent"
	FlowLogout  FlowStep = "logout"
)

// FlowOutcome is what became of a step. Started: Signet sent the browser
// to the login, consent or logout app. Completed: the browser came back
// accepted and Signet went on (for consent: the client got its code or
// tokens; for logout: the session ended). Rejected: the browser came back
// with the app's refusal, which Signet passed on to the client.
type FlowOutcome string

const (
	FlowStarted   FlowOutcome = "started"
	FlowCompleted FlowOutcome = "completed"
	FlowRejected  FlowOutcome = "rejected"
)
