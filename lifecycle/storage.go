package lifecycle

import (
	"context"
	"time"
)

// The storage the use cases need, each interface declared for its use
// case; package store implements all of them over SQLite or PostgreSQL. A
// row that does not exist is ErrNotFound and a change that breaks an
// invariant is ErrConflict, both wrapped.

// CredentialStore is the storage Generate, Deactivate, the window and the
// history need.
type CredentialStore interface {
	CurrentCredential(ctx context.Context, tenantID int64) (Credential, error)
	CredentialByID(ctx context.Context, id int64) (Credential, error)
	// InsertCredential stores c (Generate) with its audit row; a second
	// live credential of the tenant is ErrConflict.
	InsertCredential(ctx context.Context, c Credential, actor string, event AuditEvent) (Credential, error)
	GeneratedByRequest(ctx context.Context, tenantID int64, request []byte) (bool, error)
	// ApplyTransitions applies each write that still finds its row in one
	// of its From statuses, with its audit row, in one transaction; the
	// others are skipped (by index), and ErrConflict means all were.
	ApplyTransitions(ctx context.Context, ws []CredentialWrite) (skipped []int, err error)
	TenantAudit(ctx context.Context, tenantID, beforeID int64, events []AuditEvent, limit int) ([]AuditEntry, error)
	// LeakURL is where the first leak report of the credential found it
	// ("" when none did).
	LeakURL(ctx context.Context, credentialID int64) (string, error)
	AddressStore // the allowed addresses and the uses (allowlist.go)
	// MaxCredentialLifetime is the tenant's maximum credential lifetime
	// (0: none).
	MaxCredentialLifetime(ctx context.Context, tenantID int64) (time.Duration, error)
}

// SchedulerStore is the storage the scheduler needs: due rows, claims on
// them (leases), outcomes and the purge.
type SchedulerStore interface {
	DueCredentials(ctx context.Context, now time.Time, limit int) ([]Credential, error)
	ClaimDue(ctx context.Context, claims []Claim) ([]Claim, error)
	RenewClaims(ctx context.Context, claims []Claim) (lost []int64, err error)
	Reschedule(ctx context.Context, c Claim, due time.Time) error
	ApplyTransitions(ctx context.Context, ws []CredentialWrite) (skipped []int, err error)
	// LastRun is when the periodic job last ran (zero: never).
	LastRun(ctx context.Context, job string) (time.Time, error)
	// PurgeOnSchedule claims run and, if the claim holds, purges, in one
	// transaction: a failed purge leaves the last run as it was.
	PurgeOnSchedule(ctx context.Context, run PeriodicRun, p Purge) (ran bool, n int, err error)
	PurgeDeactivated(ctx context.Context, p Purge) (int, error)
	// The housekeeping: one scheduler a period claims it (ClaimRun) and
	// deletes the expired sessions and, where the database keeps
	// the web's rate limits, the addresses whose allowance is whole again
	// at now.
	ClaimRun(ctx context.Context, run PeriodicRun) (bool, error)
	DeleteExpiredSessions(ctx context.Context, idleCutoff, maxCutoff time.Time) (int, error)
	DeleteStaleLimits(ctx context.Context, now time.Time) (int, error)
	ExpiryStore
}

// AccountStore is the storage of tenants and users.
type AccountStore interface {
	CreateTenant(ctx context.Context, name string, publicAPI bool, now time.Time) (Tenant, error)
	SetPublicAPI(ctx context.Context, name string, on bool) error
	// SetMaxCredentialLifetime sets the tenant's maximum credential
	// lifetime (0: none).
	SetMaxCredentialLifetime(ctx context.Context, name string, max time.Duration) error
	TenantByName(ctx context.Context, name string) (Tenant, error)
	CreateUser(ctx context.Context, u User) (User, error)
	UserByUsername(ctx context.Context, username string) (User, error)
	UserStore
}
