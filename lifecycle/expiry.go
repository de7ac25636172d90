package lifecycle

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Expiry: a credential may carry an expiry, chosen at Generate among a few
// lifetimes and bounded by its tenant's maximum. From that instant on it
// no longer authenticates, whatever the scheduler has done yet; the
// scheduler then deactivates it, after reminders 30, 7 and 1 days before
// (expiry_scheduler.go).

// Day is 24 hours, the unit of lifetimes and reminders.
const Day = 24 * time.Hour

// expiryChoices are the lifetimes an admin may pick at Generate, shortest
// first; a zero lifetime never expires.
var expiryChoices = []struct {
	value, label string
	lifetime     time.Duration
}{
	{"30d", "30 days", 30 * Day},
	{"90d", "90 days", 90 * Day},
	{"1y", "1 year", 365 * Day},
	{"never", "No expiry", 0},
}

// defaultLifetime is the lifetime Generate picks when the admin does not
// (bounded by the tenant's maximum).
const defaultLifetime = 365 * Day

// MaxExpiryValue is the value of the choice "the tenant's maximum" when
// the maximum is none of the usual lifetimes.
const MaxExpiryValue = "max"

// ExpiryOption is one choice of lifetime at Generate.
type ExpiryOption struct {
	Value    string // the form's value: "30d", "90d", "1y", "never" or MaxExpiryValue
	Label    string // "30 days", ..., "45 days (the maximum)"
	Lifetime time.Duration
	Default  bool // the choice made when none is
}

// ExpiryOptions are the lifetimes offered at Generate under a tenant's
// maximum max (0: none): every usual one without a maximum; with one,
// those shorter than it and the maximum itself, never "no expiry". The
// default is 1 year or the maximum, whichever is shorter.
func ExpiryOptions(max time.Duration) []ExpiryOption {
	def := defaultLifetime
	if max > 0 {
		def = min(def, max)
	}
	var out []ExpiryOption
	for _, c := range expiryChoices {
		if max > 0 && (c.lifetime == 0 || c.lifetime > max) {
			continue
		}
		o := ExpiryOption{Value: c.value, Label: c.label, Lifetime: c.lifetime, Default: c.lifetime == def}
		if max > 0 && c.lifetime == max {
			o.Label += " (the maximum)"
		}
		out = append(out, o)
	}
	if max > 0 && (len(out) == 0 || out[len(out)-1].Lifetime != max) {
		out = append(out, ExpiryOption{Value: MaxExpiryValue, Label: FormatLifetime(max) + " (the maximum)",
			Lifetime: max, Default: max == def})
	}
	return out
}

// ExpiryLifetime is the lifetime the Generate form's value chooses under
// the maximum max ("": the default); a value not offered is refused.
func ExpiryLifetime(max time.Duration, value string) (time.Duration, error) {
	options := ExpiryOptions(max)
	for _, o := range options {
		if value == o.Value || (value == "" && o.Default) {
			return o.Lifetime, nil
		}
	}
	offered := make([]string, len(options))
	for i, o := range options {
		offered[i] = o.Value
	}
	return 0, Errorf(Invalid, "The expiry %q is not one of the choices (%s); nothing was generated.",
		shortValue(value), strings.Join(offered, ", "))
}

// shortValue keeps a refused form value short enough to quote.
func shortValue(v string) string {
	if len(v) > 20 {
		return strings.ToValidUTF8(v[:20], "") + "…"
	}
	return v
}

// expiresAt is when a credential created at at with lifetime expires, to
// the second (the instant its answers announce); zero when it never does.
func expiresAt(at time.Time, lifetime time.Duration) time.Time {
	if lifetime <= 0 {
		return time.Time{}
	}
	return at.Add(lifetime).Truncate(time.Second).UTC()
}

// Expired reports whether a credential expiring at expires (zero: never)
// no longer authenticates at now: from the instant of its expiry on.
func Expired(expires, now time.Time) bool {
	return !expires.IsZero() && !now.Before(expires)
}

// tokenLifetime is how long a token issued at now lives: ttl, cut so that
// it never outlives its credential's expiry.
func tokenLifetime(ttl time.Duration, now, expires time.Time) time.Duration {
	if expires.IsZero() {
		return ttl
	}
	return max(min(ttl, expires.Sub(now)), 0)
}

// errCredentialExpired is the refusal of an expired credential's keys or
// tokens.
func errCredentialExpired(expires time.Time) error {
	return Errorf(Unauthorized, "These API credentials expired at %s; generate new ones in the API Credentials window.",
		FormatExpiry(expires))
}

// FormatExpiry is an expiry as messages show it: "2027-03-01 09:14:02 UTC".
func FormatExpiry(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 MST") }

// FormatLifetime is a lifetime as people read it: "90 days", "1 day", or
// Go's form for one that is not whole days ("36h0m0s").
func FormatLifetime(d time.Duration) string {
	switch {
	case d == 365*Day:
		return "1 year"
	case d == Day:
		return "1 day"
	case d > 0 && d%Day == 0:
		return strconv.FormatInt(int64(d/Day), 10) + " days"
	}
	return d.String()
}

// ParseLifetime reads a maximum lifetime: whole days as "90d", or any Go
// duration ("36h", "20s"); it must be positive.
func ParseLifetime(s string) (time.Duration, error) {
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok && n != "" && strings.Trim(n, "0123456789") == "" {
		days, err := strconv.ParseInt(n, 10, 64)
		if err != nil || days > int64(1<<63-1)/int64(Day) {
			return 0, Errorf(Invalid, "lifetime %q is too long", s)
		}
		d = time.Duration(days) * Day
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, Errorf(Invalid, "lifetime %q is not a duration: use days as 90d, or a Go duration such as 36h", s)
		}
	}
	if d <= 0 {
		return 0, Errorf(Invalid, "lifetime %q must be longer than zero", s)
	}
	return d, nil
}

// ExpiryPolicy is what the window offers at Generate: the tenant's
// maximum lifetime (0: none) and the choices under it.
type ExpiryPolicy struct {
	Max     time.Duration
	Options []ExpiryOption
}

// ExpiryPolicy is the tenant's maximum lifetime and the choices it leaves.
func (s *Service) ExpiryPolicy(ctx context.Context, tenantID int64) (ExpiryPolicy, error) {
	max, err := s.store.MaxCredentialLifetime(ctx, tenantID)
	if err != nil {
		return ExpiryPolicy{}, err
	}
	return ExpiryPolicy{Max: max, Options: ExpiryOptions(max)}, nil
}

// Now is the service's clock, for what the window says of expiries.
func (s *Service) Now() time.Time { return s.now() }

// lifetime is the lifetime the Generate form's value chooses for the
// tenant's new credential; a value its maximum does not offer is refused.
func (s *Service) lifetime(ctx context.Context, tenantID int64, value string) (time.Duration, error) {
	max, err := s.store.MaxCredentialLifetime(ctx, tenantID)
	if err != nil {
		return 0, fmt.Errorf("lifecycle: expiry policy of tenant %d: %w", tenantID, err)
	}
	return ExpiryLifetime(max, value)
}

// SetMaxCredentialLifetime sets the tenant's maximum credential lifetime
// (0 removes it). It bounds the credentials generated from now on; live
// ones keep their expiry.
func (a *Accounts) SetMaxCredentialLifetime(ctx context.Context, tenant string, max time.Duration) error {
	if max < 0 {
		return Errorf(Invalid, "a maximum lifetime must be longer than zero")
	}
	return a.store.SetMaxCredentialLifetime(ctx, tenant, max)
}
