package lifecycle

import (
	"time"

	"esp/store"
)

// The mapping between the state machine's typed values and the rows of
// package store, which holds them as the strings its columns store: a
// status, an audit event and an activator action are stored as their
// values.

// ColumnStatus is the status a credentials row's status column holds.
func ColumnStatus(column string) Status { return Status(column) }

func statusOf(c store.Credential) Status { return ColumnStatus(c.Status) }

func pendingActionOf(c store.Credential) Action { return Action(c.PendingAction) }

func (e AuditEvent) column() string { return string(e) }

func columns(ss []Status) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}

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
func (tr Transition) newCredential(tenantID int64, at time.Time, cfg Config) store.Credential {
	due, deadline := tr.schedule(at, cfg)
	return store.Credential{TenantID: tenantID, Status: string(tr.To), CreatedAt: at,
		DueAt: due, DeadlineAt: deadline, PendingAction: string(tr.Action)}
}

// write is tr as the conditional write of credential id that applies only
// while the credential is in one of the statuses from.
func (tr Transition) write(id int64, from []Status, at time.Time, cfg Config, actor, detail string) store.Transition {
	due, deadline := tr.schedule(at, cfg)
	return store.Transition{CredentialID: id, From: columns(from), To: string(tr.To), At: at,
		DueAt: due, DeadlineAt: deadline, PendingAction: string(tr.Action), Deactivated: tr.To == Deactivated,
		Actor: actor, Action: tr.Audit.column(), Detail: detail}
}

// purgeAudit is the audit event of a purged credential, as stored. The
// store purges Deactivated credentials: the only status the purge applies
// to (the schema tests hold its index to the table).
func purgeAudit() string {
	tr, _ := Deactivated.On(OnPurge)
	return tr.Audit.column()
}
