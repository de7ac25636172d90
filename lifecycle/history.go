package lifecycle

import (
	"context"
	"strings"
	"time"
)

// HistoryEntry is one line of a tenant's credential history: one status
// change of one credential, told for people.
type HistoryEntry struct {
	ID          int64 // the audit row's id: a stable paging cursor
	At          time.Time
	AccessLast4 string // the last 4 characters of the credential's access key ("" if unknown)
	Event       string // "Generated", "Activated", ...
	Actor       string // the admin's username, "secret scanning", or "ESP" for the scheduler and the operator's tools
	URL         string // where a leaked key was found (Reported leaked), as the report gave it
}

// historyEvents are the audit actions that change a credential's status, in
// the words of the history: a status's label where the event is reaching
// that status ("Activation Failed"). The other audit rows (the gateway removing a
// failed activation, which leaves the status as it is) are not part of it.
var historyEvents = []struct {
	event AuditEvent
	words string
}{
	{AuditGenerate, "Generated"},
	{AuditActivate, "Activated"},
	{AuditFailActivation, "Activation Failed"},
	{AuditDeactivate, "Deactivation requested"},
	{AuditConfirmDeactivation, "Deactivated"},
	{AuditFailDeactivation, "Deactivation Failed"},
	{AuditPurge, "Purged"},
	{AuditReportLeak, "Reported leaked"},
	{AuditExpire, "Expired"},
	{AuditAllowedAddresses, "Allowed addresses changed"},
}

// userActorPrefix marks an audit actor that is a signed-in user.
const userActorPrefix = "user:"

// UserActor names the user username in the audit trail.
func UserActor(username string) string { return userActorPrefix + username }

// ESPActor is how the history names every actor that is not a user: the
// scheduler and the `esp purge` command act for ESP.
const ESPActor = "ESP"

// SecretScanningName is how the history names SecretScanningActor.
const SecretScanningName = "secret scanning"

// actorName is the audit actor as the history shows it.
func actorName(actor string) string {
	if actor == SecretScanningActor {
		return SecretScanningName
	}
	if name, ok := strings.CutPrefix(actor, userActorPrefix); ok && name != "" {
		return name
	}
	return ESPActor
}

// History lists up to limit entries of the tenant's credential history,
// newest first, older than the entry beforeID (0: from the newest). Purged
// credentials' entries stay in it.
func (s *Service) History(ctx context.Context, tenantID, beforeID int64, limit int) ([]HistoryEntry, error) {
	events := make([]AuditEvent, len(historyEvents))
	words := make(map[AuditEvent]string, len(historyEvents))
	for i, e := range historyEvents {
		events[i], words[e.event] = e.event, e.words
	}
	rows, err := s.store.TenantAudit(ctx, tenantID, beforeID, events, limit)
	if err != nil {
		return nil, err
	}
	out := make([]HistoryEntry, len(rows))
	for i, r := range rows {
		out[i] = HistoryEntry{ID: r.ID, At: r.At, AccessLast4: r.AccessLast4, Event: words[r.Action], Actor: actorName(r.Actor)}
		if r.Action == AuditReportLeak {
			out[i].URL = r.Detail
		}
	}
	return out, nil
}
