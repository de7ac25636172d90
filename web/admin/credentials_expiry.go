package admin

import (
	"context"
	"strconv"
	"time"

	"esp/lifecycle"
	"esp/views"
)

// expiresSoonWithin is how close to its expiry a live credential is shown
// amber.
const expiresSoonWithin = 7 * lifecycle.Day

// expiresText is an expiry as the window shows it at now: "2027-03-01
// 09:14 UTC, in 84 days", "Never" when there is none. The days left are
// rounded, so that keys generated for 30 days say 30 days, not 29 and a
// fraction.
func expiresText(expires, now time.Time) string {
	if expires.IsZero() {
		return "Never"
	}
	at := expires.UTC().Format("2006-01-02 15:04 MST")
	left := expires.Sub(now)
	switch days := int64(left.Round(lifecycle.Day) / lifecycle.Day); {
	case left <= 0:
		return at + ", expired"
	case left < lifecycle.Day:
		return at + ", in less than a day"
	case days == 1:
		return at + ", in 1 day"
	default:
		return at + ", in " + strconv.FormatInt(days, 10) + " days"
	}
}

// expiresSoon reports whether cur is live (Deactivate applies to it) and
// expires within expiresSoonWithin of now, or has expired.
func expiresSoon(cur lifecycle.Current, now time.Time) bool {
	e := cur.Credential.ExpiresAt
	return cur.Status.CanDeactivate() && !e.IsZero() && e.Sub(now) < expiresSoonWithin
}

// expiryFields fills in vm's expiry: the credential's (from f) and the
// Generate form's choices under the tenant's maximum lifetime.
func (h *Handlers) expiryFields(ctx context.Context, vm *views.CredentialsVM, tenantID int64, f credentialFields) error {
	vm.Expires, vm.ExpiresISO, vm.ExpiresSoon = f.Expires, f.ExpiresISO, f.ExpiresSoon
	p, err := h.lc.ExpiryPolicy(ctx, tenantID)
	if err != nil {
		return err
	}
	for _, o := range p.Options {
		vm.ExpiryOptions = append(vm.ExpiryOptions, views.ExpiryOption{Value: o.Value, Label: o.Label, Selected: o.Default})
	}
	if p.Max > 0 {
		vm.ExpiryPolicy = "This tenant's credentials live at most " + lifecycle.FormatLifetime(p.Max) +
			". A maximum set later does not shorten credentials already generated."
	}
	return nil
}
