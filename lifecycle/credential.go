package lifecycle

import "time"

// Credential is one generated access key and the hash of its secret. Zero
// times mean "not set".
type Credential struct {
	ID            int64
	TenantID      int64
	Status        Status
	AccessKey     string
	SecretHash    []byte
	AccessLast4   string
	SecretLast4   string
	CreatedAt     time.Time
	ChangedAt     time.Time
	DueAt         time.Time
	DeadlineAt    time.Time
	Attempts      int
	DeactivatedAt time.Time
	LastUsedAt    time.Time
	// GenerateRequest is the SHA-256 of the request id of the Generate form
	// that made the credential (nil without one). InsertCredential writes
	// it; lookups do not read it back (see GeneratedByRequest).
	GenerateRequest []byte
	// PendingAction is the activator work the row waits for while DueAt is
	// set ("" when none).
	PendingAction Action
	// ExpiresAt is when the credential stops authenticating, fixed at
	// Generate; zero: never.
	ExpiresAt time.Time
}

// AuditEntry is one line of the audit trail.
type AuditEntry struct {
	ID           int64
	At           time.Time
	TenantID     int64
	CredentialID int64
	AccessLast4  string // the last 4 characters of the credential's access key, kept past its purge
	Actor        string
	Action       AuditEvent
	FromStatus   Status
	ToStatus     Status
	Detail       string
}

// CredentialWrite is one conditional status change of one credential.
type CredentialWrite struct {
	CredentialID int64
	From         []Status // the change applies only while the status is one of these
	To           Status
	At           time.Time
	// DueAt, DeadlineAt and PendingAction replace the row's scheduling
	// times and the activator work it waits for (zero clears them).
	DueAt         time.Time
	DeadlineAt    time.Time
	PendingAction Action
	// Deactivated stamps deactivated_at with At.
	Deactivated bool
	// Claim, when not zero, applies the change only while the row still
	// carries this claim token (a scheduler writing its own call's outcome).
	Claim  int64
	Actor  string
	Action AuditEvent
	Detail string
}

// Claim is a lease on a due credential: its due time moves to Until so that
// no other scheduler (or a restart within the lease) acts on it meanwhile.
// The holder renews it (RenewClaims) while its activator call runs, and
// writes the outcome with its Token, so a holder that lost the claim
// changes nothing.
type Claim struct {
	CredentialID int64
	Status       Status
	DueAt        time.Time // the due time read; the claim holds only if unchanged
	Until        time.Time
	Token        int64 // set by ClaimDue: the row's claim number while this claim holds
}

// Purge is one purge of Deactivated credentials: those deactivated at or
// before Cutoff are deleted, each leaving an audit row of Event by Actor
// at At.
type Purge struct {
	Cutoff, At time.Time
	Actor      string
	Event      AuditEvent
}

// PeriodicRun is one run of a job the scheduler does once a period across
// all schedulers on the database (the purge, the housekeeping). It is
// claimed by a conditional write of the job's last run time: the claim
// holds only while that time is still Last (zero: the job never ran), and
// sets it to At. Of the schedulers that read the same Last, exactly one
// wins.
type PeriodicRun struct {
	Job      string
	Last, At time.Time
}
