package accounts

// OpenFlow and SealFlow let the single sign-on tests tamper with a sign-in
// state cookie.
func (o *SSO) OpenFlow(v string) (oidcFlow, bool)  { return o.open(v) }
func (o *SSO) SealFlow(f oidcFlow) (string, error) { return o.seal(f) }

// The sign-in state cookie's name and path, and how long a sign-in may take.
const (
	OIDCCookieName = oidcCookieName
	OIDCCookiePath = oidcCookiePath
	OIDCFlowTTL    = oidcFlowTTL
)
