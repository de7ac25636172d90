package lifecycle_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"

	"esp/lifecycle"
	"esp/store"
)

// The seed's status table, literally: label, description, Generate, Deactivate.
var seedTable = []struct {
	status        lifecycle.Status
	label         string
	description   []string
	canGenerate   bool
	canDeactivate bool
}{
	{lifecycle.None, "No Credentials", []string{
		"No API credentials are active or pending activation.",
		"The Access Key and Secret Key are blank.",
		"Click Generate to generate the API credentials. The Deactivate button is not available."}, true, false},
	{lifecycle.PendingActivation, "Pending Activation", []string{
		"Waiting for ESP to activate the access key and secret key.",
		"Click Deactivate to deactivate the API credentials. The Generate button is not available.",
		"If the API credentials remain in Pending Activation status for more than 24 hours, the status will automatically change to Activation Failed."}, false, true},
	{lifecycle.Activated, "Activated", []string{
		"The API credentials are active.",
		"Click Deactivate to deactivate the API credentials. The Generate button is not available."}, false, true},
	{lifecycle.ActivationFailed, "Activation Failed", []string{
		"ESP is unable to create the API credentials.",
		"Click Generate to re-generate the API credentials. The Deactivate button is not available."}, true, false},
	{lifecycle.PendingDeactivation, "Pending Deactivation", []string{
		"Waiting for ESP to deactivate the access key and secret key.",
		"The Deactivate and Generate buttons are not available."}, false, false},
	{lifecycle.Deactivated, "Deactivated", []string{
		"The API credentials are not active.",
		"ESP removes credentials deactivated for 24 hours or more weekly from the ESP tenant database.",
		"Click Generate to re-generate the API credentials. The Deactivate button is not available."}, true, false},
	{lifecycle.DeactivationFailed, "Deactivation Failed", []string{
		"ESP is unable to delete the API credentials.",
		"Click Generate to re-generate the API credentials.",
		"The Deactivate button is not available."}, true, false},
}

func TestStatusTableMatchesSeed(t *testing.T) {
	if got, want := len(lifecycle.Statuses), len(seedTable); got != want {
		t.Fatalf("len(Statuses)=%d, want %d", got, want)
	}
	for i, row := range seedTable {
		s := row.status
		if got := lifecycle.Statuses[i]; got != s {
			t.Errorf("Statuses[%d]=%s, want %s", i, got, s)
		}
		if got := s.Label(); got != row.label {
			t.Errorf("%s: Label=%q, want %q", s, got, row.label)
		}
		if got := s.Description(); !slices.Equal(got, row.description) {
			t.Errorf("%s: Description=%q, want %q", s, got, row.description)
		}
		if got := s.CanGenerate(); got != row.canGenerate {
			t.Errorf("%s: CanGenerate=%v, want %v", s, got, row.canGenerate)
		}
		if got := s.CanDeactivate(); got != row.canDeactivate {
			t.Errorf("%s: CanDeactivate=%v, want %v", s, got, row.canDeactivate)
		}
	}
}

// Every (status, action) pair the seed forbids is refused and changes
// nothing; every pair it allows goes where the spec says.
func TestActionsFollowSeedTable(t *testing.T) {
	for _, row := range seedTable {
		t.Run(string(row.status), func(t *testing.T) {
			for _, action := range []string{"generate", "deactivate"} {
				t.Run(action, func(t *testing.T) {
					f := newFixture(t, nil, lifecycle.Config{})
					f.toStatus(t, row.status)
					ctx := context.Background()
					before, _ := f.svc.Current(ctx, f.tenant.ID)
					auditBefore, err := f.store.Audit(ctx, 0)
					if err != nil {
						t.Fatal(err)
					}
					allowed := row.canGenerate
					if action == "deactivate" {
						allowed = row.canDeactivate
						_, err = f.svc.Deactivate(ctx, f.tenant.ID, "user:alice")
					} else {
						_, err = f.svc.Generate(ctx, f.tenant.ID, "user:alice")
					}
					after, _ := f.svc.Current(ctx, f.tenant.ID)
					if !allowed {
						if !errors.Is(err, store.ErrConflict) {
							t.Fatalf("%s from %s: err=%v, want ErrConflict", action, row.status, err)
						}
						if !reflect.DeepEqual(after, before) {
							t.Fatalf("%s from %s changed the credential: %+v -> %+v", action, row.status, before.Credential, after.Credential)
						}
						auditAfter, _ := f.store.Audit(ctx, 0)
						if len(auditAfter) != len(auditBefore) {
							t.Fatalf("refused %s wrote %d audit rows", action, len(auditAfter)-len(auditBefore))
						}
						return
					}
					if err != nil {
						t.Fatalf("%s from %s: %v", action, row.status, err)
					}
					want := lifecycle.PendingActivation
					if action == "deactivate" {
						want = lifecycle.PendingDeactivation
					}
					if after.Status != want {
						t.Fatalf("%s from %s: status=%s, want %s", action, row.status, after.Status, want)
					}
					if action == "generate" && after.Credential.ID == before.Credential.ID {
						t.Fatalf("generate from %s reused credential %d", row.status, before.Credential.ID)
					}
				})
			}
		})
	}
}

func TestOnlyActivatedAuthenticates(t *testing.T) {
	for _, s := range lifecycle.Statuses {
		if got, want := s.Authenticates(), s == lifecycle.Activated; got != want {
			t.Errorf("%s.Authenticates()=%v, want %v", s, got, want)
		}
	}
}
