// How a transition of the status table becomes the rows the store writes:
// the new credential of Generate, the conditional write of every other
// transition, and when its activator work is due.

package lifecycle

import (
	"time"
)

// schedule is when the transition's activator work is due and when it
// times out, both zero when there is none.
func (tr Transition) schedule(at time.Time, cfg Config) (due, deadline time.Time) {
	switch tr.Action {
	case ActionNone:
		return time.Time{}, time.Time{}
	case ActionActivate:
		return at, at.Add(cfg.ActivationTimeout)
	default: // a deactivation, or the removal of a failed activation
		return at, at.Add(cfg.DeactivationTimeout)
	}
}

// newCredential is the row of the credential tr creates (Generate) for the
// tenant at at, keys aside.
func (tr Transition) newCredential(tenantID int64, at time.Time, cfg Config) Credential {
	due, deadline := tr.schedule(at, cfg)
	return Credential{TenantID: tenantID, Status: tr.To, CreatedAt: at,
		DueAt: due, DeadlineAt: deadline, PendingAction: tr.Action}
}

// write is tr as the conditional write of credential id that applies only
// while the credential is in one of the statuses from.
func (tr Transition) write(id int64, from []Status, at time.Time, cfg Config, actor, detail string) CredentialWrite {
	due, deadline := tr.schedule(at, cfg)
	return CredentialWrite{CredentialID: id, From: from, To: tr.To, At: at,
		DueAt: due, DeadlineAt: deadline, PendingAction: tr.Action, Deactivated: tr.To == Deactivated,
		Actor: actor, Action: tr.Audit, Detail: detail}
}

// purgeAudit is the audit event of a purged credential. The store purges
// Deactivated credentials: the only status the purge applies to (the
// schema tests hold its index to the table).
func purgeAudit() AuditEvent {
	tr, _ := Deactivated.On(OnPurge)
	return tr.Audit
}
