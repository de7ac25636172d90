package lifecycle

import (
	"context"
	"time"
)

// Notice is one email to send, as the outbox row and the audit row it
// tells of give it: the facts, composed into words at send time.
type Notice struct {
	ID          int64 // the outbox row's id
	Claim       int64 // the claim that holds the row (see OutboxStore)
	Attempts    int   // attempts so far, this one included
	QueuedAt    time.Time
	AuditID     int64
	UserID      int64  // the recipient's user id
	To          string // the recipient's address when the event happened
	TenantName  string
	At          time.Time // when the event happened
	Event       AuditEvent
	Actor       string // the audit actor (see UserActor)
	AccessLast4 string
	Detail      string // the audit row's detail: a reason, a report's URL
}

// NoticeWords is how a message tells of one audit event: Subject
// completes "API credentials ••••WXYZ …", Body is the sentence that says
// what happened, Next what an admin should do now.
type NoticeWords struct {
	Subject string
	Body    string
	Next    string
	// ByActor says who acted ("by alice", "by ESP") after the body.
	ByActor bool
	// DetailLabel names the audit row's detail in the message ("" : Detail).
	DetailLabel string
}

// noticeEvents are the audit events the tenant's admins are told of by
// email, with the words of the message. An event missing here sends no
// email; adding one is adding a line.
var noticeEvents = map[AuditEvent]NoticeWords{
	AuditGenerate: {Subject: "generated", Body: "New API credentials were generated", ByActor: true,
		Next: "ESP activates them within minutes. If nobody on your team generated them, deactivate them now."},
	AuditActivate: {Subject: "activated", Body: "The API credentials were activated",
		Next: "Client programs can now use them."},
	AuditFailActivation: {Subject: "activation failed", Body: "The API credentials could not be activated",
		Next: "Generate new credentials in the API Credentials window."},
	AuditDeactivate: {Subject: "deactivation requested", Body: "Deactivation of the API credentials was requested", ByActor: true,
		Next: "They no longer authenticate; ESP confirms the deactivation shortly.", DetailLabel: "Reason"},
	AuditConfirmDeactivation: {Subject: "deactivated", Body: "The API credentials were deactivated",
		Next: "Client programs that used them need new credentials."},
	AuditFailDeactivation: {Subject: "deactivation failed", Body: "The deactivation of the API credentials could not be confirmed",
		Next: "They no longer authenticate in ESP; check your API gateway, and generate new credentials when needed."},
	AuditReportLeak: {Subject: "reported leaked", Body: "The API credentials (their secret key or one of their tokens) were reported as published", ByActor: true,
		Next: "Credentials still in use are deactivated at once (a separate message says so); already deactivated ones change no further. Remove the key from where it was published, and generate new credentials if you need them."},
	// Of the tenant, not of one credential: no last 4.
	AuditAllowedAddresses: {Subject: "allowed addresses changed", Body: "The addresses the tenant's API credentials may be used from were changed", ByActor: true,
		DetailLabel: "Now allowed",
		Next:        "Client programs calling from any other address are refused (403, ip_not_allowed). If nobody on your team changed the list, review it in the API Credentials window now."},
	AuditRemindExpiry30: expiryReminderWords("30 days"),
	AuditRemindExpiry7:  expiryReminderWords("7 days"),
	AuditRemindExpiry1:  expiryReminderWords("1 day"),
	AuditExpire: {Subject: "expired", Body: "The API credentials reached their expiry and no longer authenticate", DetailLabel: "Expired",
		Next: "ESP deactivates them now (a separate message says so). Generate new credentials in the API Credentials window and give them to the client programs that used these."},
}

// expiryReminderWords are the words of the reminder sent when the
// credentials expire in (about) within.
func expiryReminderWords(within string) NoticeWords {
	return NoticeWords{Subject: "expire in " + within, Body: "The API credentials expire in " + within, DetailLabel: "Expires",
		Next: "Generate new credentials in the API Credentials window before then and move your client programs to them; at the expiry these stop working."}
}

// NoticeEvents lists the audit events that send email: the store queues
// an outbox row per recipient for these only.
func NoticeEvents() []AuditEvent {
	out := make([]AuditEvent, 0, len(noticeEvents))
	for e := range noticeEvents {
		out = append(out, e)
	}
	return out
}

// WordsOf is how a message tells of event e; false when e sends none.
func WordsOf(e AuditEvent) (NoticeWords, bool) {
	w, ok := noticeEvents[e]
	return w, ok
}

// ActorName is the audit actor as people read it: a username, or ESP.
func ActorName(actor string) string { return actorName(actor) }

// OutboxStore is the scheduler's access to the outbox. A claim moves each
// row's due time to the lease's end and gives it a new claim number: no
// other scheduler takes it while the lease runs, and only the latest
// claim's holder may finish or reschedule it.
type OutboxStore interface {
	ClaimNotices(ctx context.Context, now, until time.Time, limit int) ([]Notice, error)
	// FinishNotice deletes the row (sent, or given up) while n's claim holds.
	FinishNotice(ctx context.Context, n Notice) error
	// RetryNotice makes the row due again at due while n's claim holds.
	RetryNotice(ctx context.Context, n Notice, due time.Time) error
}

// Mailer sends one notice. An error wrapping ErrPermanent means retrying
// cannot help (the server refused the recipient for good).
type Mailer interface {
	Send(ctx context.Context, n Notice) error
}

// MailObserver hears what came of each notice, for an operator's metrics.
type MailObserver interface {
	NoticeQueued() // claimed for its first attempt
	NoticeSent()
	NoticeRetried()
	NoticeGivenUp()
}
