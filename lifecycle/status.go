// Package lifecycle holds the rules of API credentials: the seven statuses
// and the one transition table between them (this file), the key format,
// Generate and Deactivate for an actor, the local activator (the webhook
// activator is in package webhook) and the scheduler that moves credentials
// between statuses.
package lifecycle

// Status is where a tenant's current credential stands. The values other
// than None are the ones stored in the database.
type Status string

// The seven statuses; None is a tenant without a current credential.
const (
	None                Status = "none"
	PendingActivation   Status = "pending_activation"
	Activated           Status = "activated"
	ActivationFailed    Status = "activation_failed"
	PendingDeactivation Status = "pending_deactivation"
	Deactivated         Status = "deactivated"
	DeactivationFailed  Status = "deactivation_failed"
)

// Statuses lists every status in the order of a credential's life: none,
// then activation, then deactivation, each followed by its failure.
var Statuses = []Status{None, PendingActivation, Activated, ActivationFailed, PendingDeactivation, Deactivated, DeactivationFailed}

// Trigger is what moves a credential on: an admin's click, the activator's
// answer, the clock.
type Trigger string

// The triggers of the state machine.
const (
	OnGenerate           Trigger = "generate"            // an admin clicks Generate: a new credential
	OnDeactivate         Trigger = "deactivate"          // an admin clicks Deactivate
	OnActivatorSucceeded Trigger = "activator_succeeded" // the activator did the credential's pending action
	OnActivatorFailed    Trigger = "activator_failed"    // the activator failed for good: retrying cannot help
	OnTimeout            Trigger = "timeout"             // the pending action's deadline passed
	OnPurge              Trigger = "purge"               // the purge of long-deactivated credentials
)

// Triggers lists every trigger.
var Triggers = []Trigger{OnGenerate, OnDeactivate, OnActivatorSucceeded, OnActivatorFailed, OnTimeout, OnPurge}

// AuditEvent is what the audit trail records of a transition; the values
// are the ones stored.
type AuditEvent string

// The audit trail's events.
const (
	AuditGenerate               AuditEvent = "generate"
	AuditDeactivate             AuditEvent = "deactivate"
	AuditActivate               AuditEvent = "activate"
	AuditFailActivation         AuditEvent = "fail_activation"
	AuditRemoveFailedActivation AuditEvent = "remove_failed_activation"
	AuditAbandonRemoval         AuditEvent = "abandon_removal"
	AuditConfirmDeactivation    AuditEvent = "confirm_deactivation"
	AuditFailDeactivation       AuditEvent = "fail_deactivation"
	AuditPurge                  AuditEvent = "purge"
)

// Action is the activator work a credential waits for; it is stored in
// the credential's row while the work is due.
type Action string

// The activator actions.
const (
	ActionNone       Action = ""
	ActionActivate   Action = "activate"
	ActionDeactivate Action = "deactivate"
	// ActionRemoveFailedActivation removes from a remote gateway a key whose
	// activation failed: the gateway may have provisioned it anyway.
	ActionRemoveFailedActivation Action = "remove_failed_activation"
)

// Request is what the gateway is asked for the action: activate or
// deactivate. Removing a failed activation is a deactivation to it.
func (a Action) Request() Action {
	if a == ActionRemoveFailedActivation {
		return ActionDeactivate
	}
	return a
}

// Transition is where a trigger takes a credential: the status it moves
// to (None: the credential is gone), what the audit trail records, and the
// activator work the credential then waits for.
type Transition struct {
	To     Status
	Audit  AuditEvent
	Action Action
}

type statusRow struct {
	label         string
	description   []string
	authenticates bool
	on            map[Trigger]Transition
}

// The state machine, one row per status: the label and the description
// the window shows, word for word, whether the credential authenticates, and
// where each trigger goes from the status. A trigger a status does not
// list does not apply to it: Generate and Deactivate are available exactly
// where they are listed. The activator's answers and the timeout apply to
// a credential's pending activator work; in Activation Failed that is the
// removal of the key from a remote gateway.
//
// Generate is available from Deactivation Failed, as its description
// tells the admin ("Click Generate to re-generate").
var table = map[Status]statusRow{
	None: {label: "No Credentials", description: []string{
		"No API credentials are active or pending activation.",
		"The Access Key and Secret Key are blank.",
		"Click Generate to generate the API credentials. The Deactivate button is not available.",
	}, on: map[Trigger]Transition{
		OnGenerate: {PendingActivation, AuditGenerate, ActionActivate},
	}},
	PendingActivation: {label: "Pending Activation", description: []string{
		"Waiting for ESP to activate the access key and secret key.",
		"Click Deactivate to deactivate the API credentials. The Generate button is not available.",
		"If the API credentials remain in Pending Activation status for more than 24 hours, the status will automatically change to Activation Failed.",
	}, on: map[Trigger]Transition{
		OnDeactivate:         {PendingDeactivation, AuditDeactivate, ActionDeactivate},
		OnActivatorSucceeded: {Activated, AuditActivate, ActionNone},
		OnActivatorFailed:    {ActivationFailed, AuditFailActivation, ActionRemoveFailedActivation},
		OnTimeout:            {ActivationFailed, AuditFailActivation, ActionRemoveFailedActivation},
	}},
	Activated: {label: "Activated", description: []string{
		"The API credentials are active.",
		"Click Deactivate to deactivate the API credentials. The Generate button is not available.",
	}, authenticates: true, on: map[Trigger]Transition{
		OnDeactivate: {PendingDeactivation, AuditDeactivate, ActionDeactivate},
	}},
	ActivationFailed: {label: "Activation Failed", description: []string{
		"ESP is unable to create the API credentials.",
		"Click Generate to re-generate the API credentials. The Deactivate button is not available.",
	}, on: map[Trigger]Transition{
		OnGenerate:           {PendingActivation, AuditGenerate, ActionActivate},
		OnActivatorSucceeded: {ActivationFailed, AuditRemoveFailedActivation, ActionNone},
		OnActivatorFailed:    {ActivationFailed, AuditAbandonRemoval, ActionNone},
		OnTimeout:            {ActivationFailed, AuditAbandonRemoval, ActionNone},
	}},
	PendingDeactivation: {label: "Pending Deactivation", description: []string{
		"Waiting for ESP to deactivate the access key and secret key.",
		"The Deactivate and Generate buttons are not available.",
	}, on: map[Trigger]Transition{
		OnActivatorSucceeded: {Deactivated, AuditConfirmDeactivation, ActionNone},
		OnActivatorFailed:    {DeactivationFailed, AuditFailDeactivation, ActionNone},
		OnTimeout:            {DeactivationFailed, AuditFailDeactivation, ActionNone},
	}},
	Deactivated: {label: "Deactivated", description: []string{
		"The API credentials are not active.",
		"ESP removes credentials deactivated for 24 hours or more weekly from the ESP tenant database.",
		"Click Generate to re-generate the API credentials. The Deactivate button is not available.",
	}, on: map[Trigger]Transition{
		OnGenerate: {PendingActivation, AuditGenerate, ActionActivate},
		OnPurge:    {None, AuditPurge, ActionNone},
	}},
	DeactivationFailed: {label: "Deactivation Failed", description: []string{
		"ESP is unable to delete the API credentials.",
		"The old keys stopped working when Deactivate was clicked: no client program can use them any more.",
		"Click Generate to re-generate the API credentials, and give the new keys to the client programs that used the old ones.",
		"The Deactivate button is not available.",
	}, on: map[Trigger]Transition{
		OnGenerate: {PendingActivation, AuditGenerate, ActionActivate},
	}},
}

// Valid reports whether s is one of the seven statuses.
func (s Status) Valid() bool { _, ok := table[s]; return ok }

// Label is the status as the window shows it, e.g. "Pending Activation".
func (s Status) Label() string { return table[s].label }

// Description is the status's description in the window, one paragraph per line.
func (s Status) Description() []string { return table[s].description }

// On is where trigger t takes a credential in status s; ok is false where
// t does not apply.
func (s Status) On(t Trigger) (tr Transition, ok bool) {
	tr, ok = table[s].on[t]
	return tr, ok
}

// CanGenerate reports whether the Generate button is available.
func (s Status) CanGenerate() bool { _, ok := s.On(OnGenerate); return ok }

// CanDeactivate reports whether the Deactivate button is available.
func (s Status) CanDeactivate() bool { _, ok := s.On(OnDeactivate); return ok }

// Live reports whether a credential in this status counts as the tenant's
// one live credential (the database allows at most one): a live credential
// is what keeps Generate unavailable.
func (s Status) Live() bool { return s.Valid() && !s.CanGenerate() }

// Pending reports whether the status changes without anyone's click: the
// scheduler moves it on, at the latest when its deadline passes.
func (s Status) Pending() bool {
	tr, ok := s.On(OnTimeout)
	return ok && tr.To != s
}

// Authenticates reports whether a credential in this status may be used to
// obtain tokens: only Activated does (deactivation fails closed).
func (s Status) Authenticates() bool { return table[s].authenticates }

// From lists, in the order of Statuses, the statuses trigger t applies to.
func (t Trigger) From() []Status {
	var out []Status
	for _, s := range Statuses {
		if _, ok := s.On(t); ok {
			out = append(out, s)
		}
	}
	return out
}
