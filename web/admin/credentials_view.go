package admin

import (
	"time"

	"esp/lifecycle"
	"esp/views"
)

// Times in the window are UTC with the zone spelled out.
const displayTime = "2006-01-02 15:04:05 MST"

func formatTime(t time.Time) string { return t.UTC().Format(displayTime) }

// credentialFields is what the window and the live status show of the
// tenant's current credential, keys aside.
type credentialFields struct {
	StatusCode    string   `json:"status"`
	StatusLabel   string   `json:"label"`
	Description   []string `json:"description"`
	CanGenerate   bool     `json:"canGenerate"`
	CanDeactivate bool     `json:"canDeactivate"`
	Pending       bool     `json:"pending"`
	LastUsed      string   `json:"lastUsed"`
	LastUsedISO   string   `json:"lastUsedISO"`
	LastUsedFrom  string   `json:"lastUsedFrom"` // address and client of the last use ("" when not known)
	Created       string   `json:"created"`
	CreatedISO    string   `json:"createdISO"`
	Expires       string   `json:"expires"`
	ExpiresISO    string   `json:"expiresISO"`
	ExpiresSoon   bool     `json:"expiresSoon"`
	// expiresAt and now are what Expires was worded from.
	expiresAt, now time.Time
}

// fieldsOf is what the window shows of cur at now.
func fieldsOf(cur lifecycle.Current, now time.Time) credentialFields {
	f := credentialFields{
		StatusCode:    string(cur.Status),
		StatusLabel:   cur.Status.Label(),
		Description:   cur.Status.Description(),
		CanGenerate:   cur.Status.CanGenerate(),
		CanDeactivate: cur.Status.CanDeactivate(),
		Pending:       cur.Status.Pending(),
	}
	if cur.Status == lifecycle.None {
		return f
	}
	c := cur.Credential
	f.Created, f.CreatedISO = formatTime(c.CreatedAt), c.CreatedAt.UTC().Format(time.RFC3339)
	f.LastUsed = "Never"
	if !c.LastUsedAt.IsZero() {
		f.LastUsed, f.LastUsedISO = formatTime(c.LastUsedAt), c.LastUsedAt.UTC().Format(time.RFC3339)
	}
	f.Expires, f.ExpiresSoon = expiresText(c.ExpiresAt, now), expiresSoon(cur, now)
	f.expiresAt, f.now = c.ExpiresAt, now
	if !c.ExpiresAt.IsZero() {
		f.ExpiresISO = c.ExpiresAt.UTC().Format(time.RFC3339)
	}
	if len(cur.Uses) > 0 {
		u := recentAddress(cur.Uses[0])
		f.LastUsedFrom = u.Addr
		if u.Client != "" {
			f.LastUsedFrom += " · " + u.Client
		}
	}
	return f
}

// recentAddress is one use as the window lists it.
func recentAddress(u lifecycle.CredentialUse) views.RecentAddress {
	addr := "unknown address"
	if u.Addr.IsValid() {
		addr = u.Addr.String()
	}
	return views.RecentAddress{Addr: addr, Client: u.Client, When: formatTime(u.At), WhenISO: u.At.UTC().Format(time.RFC3339)}
}

// recentAddresses are the uses as the window lists them.
func recentAddresses(uses []lifecycle.CredentialUse) []views.RecentAddress {
	out := make([]views.RecentAddress, len(uses))
	for i, u := range uses {
		out[i] = recentAddress(u)
	}
	return out
}
