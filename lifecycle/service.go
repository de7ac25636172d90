package lifecycle

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"
)

// Config holds the lifecycle's durations; zero fields take the defaults.
type Config struct {
	ActivationTimeout   time.Duration // pending activation longer than this fails (24h)
	DeactivationTimeout time.Duration // pending deactivation longer than this fails (24h)
	PurgeAfter          time.Duration // deactivated at least this long are purged (24h)
	PurgeEvery          time.Duration // how often the purge runs (7 days)
	Lease               time.Duration // how long a claim on a due credential lasts unless its holder renews it (5s)
	RetryBase           time.Duration // first retry delay after a failed activator call (1s)
	RetryMax            time.Duration // longest retry delay (5m)
	// The web admin's session timeouts, which the scheduler's housekeeping
	// deletes sessions by: unused this long (30m), or this old (12h).
	SessionIdle, SessionMax time.Duration
}

// DefaultConfig is the product's configuration.
func DefaultConfig() Config {
	return Config{
		ActivationTimeout:   24 * time.Hour,
		DeactivationTimeout: 24 * time.Hour,
		PurgeAfter:          24 * time.Hour,
		PurgeEvery:          7 * 24 * time.Hour,
		Lease:               5 * time.Second,
		RetryBase:           time.Second,
		RetryMax:            5 * time.Minute,
		SessionIdle:         30 * time.Minute,
		SessionMax:          12 * time.Hour,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	for _, p := range []struct{ v, def *time.Duration }{
		{&c.ActivationTimeout, &d.ActivationTimeout}, {&c.DeactivationTimeout, &d.DeactivationTimeout},
		{&c.PurgeAfter, &d.PurgeAfter}, {&c.PurgeEvery, &d.PurgeEvery}, {&c.Lease, &d.Lease},
		{&c.RetryBase, &d.RetryBase}, {&c.RetryMax, &d.RetryMax},
		{&c.SessionIdle, &d.SessionIdle}, {&c.SessionMax, &d.SessionMax},
	} {
		if *p.v <= 0 {
			*p.v = *p.def
		}
	}
	return c
}

// Service applies Generate and Deactivate for an actor.
type Service struct {
	store CredentialStore
	now   func() time.Time
	cfg   Config
	uses  usesMemo // the window's recent uses (uses.go)
	// afterCheck, when set (only by tests), runs between the status check
	// and the write of Generate (OnGenerate) and Deactivate (OnDeactivate).
	afterCheck func(Trigger)
}

// NewService returns a Service over st; now is the clock (time.Now in production).
func NewService(st CredentialStore, now func() time.Time, cfg Config) *Service {
	return &Service{store: st, now: now, cfg: cfg.withDefaults()}
}

// Config is the configuration in force, defaults filled in.
func (s *Service) Config() Config { return s.cfg }

// Current is the credential the tenant's window shows.
type Current struct {
	Status     Status
	Credential Credential // zero when Status is None
	// LeakURL, when the credential was found in public and is no longer
	// live-and-authenticating, is where the first report found it.
	LeakURL string
	// Uses are the latest uses of the credential, one per address, newest
	// first, at most RecentAddresses.
	Uses []CredentialUse
}

// Current returns the tenant's current credential and its status.
func (s *Service) Current(ctx context.Context, tenantID int64) (Current, error) {
	c, err := s.store.CurrentCredential(ctx, tenantID)
	if errors.Is(err, ErrNotFound) {
		return Current{Status: None}, nil
	}
	if err != nil {
		return Current{}, err
	}
	cur := Current{Status: c.Status, Credential: c}
	if !c.LastUsedAt.IsZero() {
		if cur.Uses, err = s.recentUses(ctx, c); err != nil {
			return Current{}, err
		}
	}
	// Only a credential past Deactivate can have been deactivated by a
	// report: the live ones cost no second query.
	if _, live := c.Status.On(OnDeactivate); !live && c.Status != ActivationFailed {
		if cur.LeakURL, err = s.store.LeakURL(ctx, c.ID); err != nil {
			return Current{}, err
		}
	}
	return cur, nil
}

// NewKeys is the answer to Generate: the only moment the full keys exist
// outside the client's hands.
type NewKeys struct {
	Credential Credential
	AccessKey  string
	SecretKey  string
}

// ErrAlreadyGenerated means the Generate request was carried out before:
// its form was sent again (a reload, or Back and resend). Nothing changed.
var ErrAlreadyGenerated = &Error{Code: Conflict, Message: "This Generate request was already carried out."}

// Current is the new credential as the tenant's current one.
func (k NewKeys) Current() Current {
	return Current{Status: k.Credential.Status, Credential: k.Credential}
}

// Generate creates a new credential in Pending Activation for the tenant,
// expiring after the default lifetime (see ExpiryOptions). It is refused
// (store.ErrConflict) unless the current status allows it; the database's
// one-live-credential index decides races between admins.
func (s *Service) Generate(ctx context.Context, tenantID int64, actor string) (NewKeys, error) {
	return s.generate(ctx, tenantID, actor, nil, "")
}

// GenerateOnce is Generate for one request of a Generate form. requestID,
// made at random with the form, is kept (hashed) with the credential it
// creates: once it has made a credential, the same request is answered
// ErrAlreadyGenerated and changes nothing, however often and however
// concurrently it is sent again. A different request that loses a race to
// another admin gets Generate's refusal, as before. expiry is the form's
// choice of lifetime (ExpiryOptions' values; "" the default): one the
// tenant's maximum does not offer is refused (Invalid) and nothing is
// generated.
func (s *Service) GenerateOnce(ctx context.Context, tenantID int64, actor, requestID, expiry string) (NewKeys, error) {
	if requestID == "" {
		return NewKeys{}, errors.New("lifecycle: Generate request without an id")
	}
	h := sha256.Sum256([]byte(requestID))
	return s.generate(ctx, tenantID, actor, h[:], expiry)
}

func (s *Service) generate(ctx context.Context, tenantID int64, actor string, request []byte, expiry string) (NewKeys, error) {
	if err := s.checkNewRequest(ctx, tenantID, request); err != nil {
		return NewKeys{}, err
	}
	lifetime, err := s.lifetime(ctx, tenantID, expiry)
	if err != nil {
		return NewKeys{}, err
	}
	_, tr, err := s.available(ctx, tenantID, OnGenerate, "Generate")
	if err != nil {
		return NewKeys{}, err
	}
	access, secret := NewAccessKey(), NewSecretKey()
	c := tr.newCredential(tenantID, s.now().UTC(), s.cfg)
	c.AccessKey, c.SecretHash = access, HashSecret(secret)
	c.AccessLast4, c.SecretLast4 = Last4(access), Last4(secret)
	c.GenerateRequest = request
	c.ExpiresAt = expiresAt(c.CreatedAt, lifetime)
	c, err = s.store.InsertCredential(ctx, c, actor, tr.Audit)
	if errors.Is(err, ErrConflict) {
		// The same request, sent twice at once, may have won the race.
		if err := s.checkNewRequest(ctx, tenantID, request); err != nil {
			return NewKeys{}, err
		}
		return NewKeys{}, refused("API credentials were generated by someone else at the same time; reopen the window to see them.")
	}
	if err != nil {
		return NewKeys{}, err
	}
	return NewKeys{Credential: c, AccessKey: access, SecretKey: secret}, nil
}

// available is the tenant's current credential and the transition the
// user's action (t, named button) makes of it; refused, naming the
// status, where the status does not offer the action.
func (s *Service) available(ctx context.Context, tenantID int64, t Trigger, button string) (Current, Transition, error) {
	cur, err := s.Current(ctx, tenantID)
	if err != nil {
		return Current{}, Transition{}, err
	}
	tr, ok := cur.Status.On(t)
	if !ok {
		return Current{}, Transition{}, refused(fmt.Sprintf("%s is not available while the status is %s.", button, cur.Status.Label()))
	}
	if s.afterCheck != nil {
		s.afterCheck(t)
	}
	return cur, tr, nil
}

// checkNewRequest answers ErrAlreadyGenerated when the Generate request
// (nil: none) has made one of the tenant's credentials already.
func (s *Service) checkNewRequest(ctx context.Context, tenantID int64, request []byte) error {
	if request == nil {
		return nil
	}
	done, err := s.store.GeneratedByRequest(ctx, tenantID, request)
	if err != nil {
		return err
	}
	if done {
		return ErrAlreadyGenerated
	}
	return nil
}

// Deactivate moves the tenant's current credential to Pending Deactivation.
// From that moment it no longer authenticates. The write applies only while
// the credential is still in a status Deactivate applies to: one that
// changed meanwhile (activated, say) is deactivated all the same.
func (s *Service) Deactivate(ctx context.Context, tenantID int64, actor string) (Credential, error) {
	cur, tr, err := s.available(ctx, tenantID, OnDeactivate, "Deactivate")
	if err != nil {
		return Credential{}, err
	}
	now := s.now().UTC()
	_, err = s.store.ApplyTransitions(ctx, []CredentialWrite{
		tr.write(cur.Credential.ID, OnDeactivate.From(), now, s.cfg, actor, ""),
	})
	if errors.Is(err, ErrConflict) {
		return Credential{}, refused("The credentials changed at the same time; reopen the window to see their status.")
	}
	if err != nil {
		return Credential{}, err
	}
	return s.store.CredentialByID(ctx, cur.Credential.ID)
}
