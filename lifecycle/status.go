// Package lifecycle holds the rules of API credentials: the seven statuses
// and what each allows, the key format, Generate and Deactivate for an actor,
// the local activator (the webhook activator is in package webhook) and
// the scheduler that moves credentials between statuses.
package lifecycle

// Status is where a tenant's current credential stands. The values other
// than None are the ones stored in the database.
type Status string

// The seven statuses of the seed's table.
const (
	None                Status = "none"
	PendingActivation   Status = "pending_activation"
	Activated           Status = "activated"
	ActivationFailed    Status = "activation_failed"
	PendingDeactivation Status = "pending_deactivation"
	Deactivated         Status = "deactivated"
	DeactivationFailed  Status = "deactivation_failed"
)

// Statuses lists every status in the seed's order.
var Statuses = []Status{None, PendingActivation, Activated, ActivationFailed, PendingDeactivation, Deactivated, DeactivationFailed}

type statusInfo struct {
	label         string
	description   []string
	canGenerate   bool
	canDeactivate bool
}

// The seed's status table, word for word. The seed's step 3 omits
// Deactivation Failed from the statuses that allow Generate, but its table
// says "Click Generate to re-generate": the table wins.
var statusTable = map[Status]statusInfo{
	None: {"No Credentials", []string{
		"No API credentials are active or pending activation.",
		"The Access Key and Secret Key are blank.",
		"Click Generate to generate the API credentials. The Deactivate button is not available.",
	}, true, false},
	PendingActivation: {"Pending Activation", []string{
		"Waiting for ESP to activate the access key and secret key.",
		"Click Deactivate to deactivate the API credentials. The Generate button is not available.",
		"If the API credentials remain in Pending Activation status for more than 24 hours, the status will automatically change to Activation Failed.",
	}, false, true},
	Activated: {"Activated", []string{
		"The API credentials are active.",
		"Click Deactivate to deactivate the API credentials. The Generate button is not available.",
	}, false, true},
	ActivationFailed: {"Activation Failed", []string{
		"ESP is unable to create the API credentials.",
		"Click Generate to re-generate the API credentials. The Deactivate button is not available.",
	}, true, false},
	PendingDeactivation: {"Pending Deactivation", []string{
		"Waiting for ESP to deactivate the access key and secret key.",
		"The Deactivate and Generate buttons are not available.",
	}, false, false},
	Deactivated: {"Deactivated", []string{
		"The API credentials are not active.",
		"ESP removes credentials deactivated for 24 hours or more weekly from the ESP tenant database.",
		"Click Generate to re-generate the API credentials. The Deactivate button is not available.",
	}, true, false},
	DeactivationFailed: {"Deactivation Failed", []string{
		"ESP is unable to delete the API credentials.",
		"Click Generate to re-generate the API credentials.",
		"The Deactivate button is not available.",
	}, true, false},
}

// Valid reports whether s is one of the seven statuses.
func (s Status) Valid() bool { _, ok := statusTable[s]; return ok }

// Label is the status as the window shows it, e.g. "Pending Activation".
func (s Status) Label() string { return statusTable[s].label }

// Description is the seed's description of the status, one paragraph per line.
func (s Status) Description() []string { return statusTable[s].description }

// CanGenerate reports whether the Generate button is available.
func (s Status) CanGenerate() bool { return statusTable[s].canGenerate }

// CanDeactivate reports whether the Deactivate button is available.
func (s Status) CanDeactivate() bool { return statusTable[s].canDeactivate }

// Live reports whether a credential in this status counts as the tenant's
// one live credential (the database allows at most one).
func (s Status) Live() bool {
	return s == PendingActivation || s == Activated || s == PendingDeactivation
}

// Pending reports whether the scheduler still has work to do on the status.
func (s Status) Pending() bool { return s == PendingActivation || s == PendingDeactivation }

// Authenticates reports whether a credential in this status may be used to
// obtain tokens: only Activated does (deactivation fails closed).
func (s Status) Authenticates() bool { return s == Activated }

func strs(ss ...Status) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}
