package lifecycle

import "time"

// SchedulerObserver hears what the scheduler does, for an operator's
// metrics: lifecycle keeps no counts of its own.
type SchedulerObserver interface {
	// Claimed hears of each due credential the scheduler claims, with how
	// late its work is: the time from when it was due to the tick that
	// claimed it.
	Claimed(late time.Duration)
	// ActivatorCalled hears of each activator call: the credential's
	// pending action and what came of the call.
	ActivatorCalled(action Action, result CallResult)
}

// CallResult is what came of one activator call.
type CallResult string

// The results of an activator call.
const (
	CallSucceeded CallResult = "succeeded" // the action is done
	CallFailed    CallResult = "failed"    // failed for good: retrying cannot help
	CallRetried   CallResult = "retried"   // failed for now: tried again later
	CallAbandoned CallResult = "abandoned" // its claim was lost: its outcome is the new holder's
)

// CallResults lists every result of an activator call.
var CallResults = []CallResult{CallSucceeded, CallFailed, CallRetried, CallAbandoned}

// Actions lists the activator actions a credential can wait for.
var Actions = []Action{ActionActivate, ActionDeactivate, ActionRemoveFailedActivation}
