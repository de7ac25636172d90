package lifecycle_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"

	"esp/lifecycle"
	"esp/store/storetest"
)

// The status table as the product specifies it, written out literally
// (label, description, Generate, Deactivate), apart from the code it checks.
var specTable = []struct {
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
		"The old keys stopped working when Deactivate was clicked: no client program can use them any more.",
		"Click Generate to re-generate the API credentials, and give the new keys to the client programs that used the old ones.",
		"The Deactivate button is not available."}, true, false},
}

func TestStatusTableMatchesTheSpecification(t *testing.T) {
	if got, want := len(lifecycle.Statuses), len(specTable); got != want {
		t.Fatalf("len(Statuses)=%d, want %d", got, want)
	}
	for i, row := range specTable {
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

// Every (status, action) pair the specified table forbids is refused and changes
// nothing; every pair it allows goes where the spec says.
func TestActionsFollowTheSpecifiedTable(t *testing.T) {
	for _, row := range specTable {
		t.Run(string(row.status), func(t *testing.T) {
			for _, action := range []string{"generate", "deactivate"} {
				t.Run(action, func(t *testing.T) {
					f := newFixture(t, nil, lifecycle.Config{})
					f.toStatus(t, row.status)
					ctx := context.Background()
					before, _ := f.svc.Current(ctx, f.tenant.ID)
					auditBefore := storetest.AuditTrail(t, f.store, f.tenant.ID, 0)
					var err error
					allowed := row.canGenerate
					if action == "deactivate" {
						allowed = row.canDeactivate
						_, err = f.svc.Deactivate(ctx, f.tenant.ID, "user:alice")
					} else {
						_, err = f.svc.Generate(ctx, f.tenant.ID, "user:alice")
					}
					after, _ := f.svc.Current(ctx, f.tenant.ID)
					if !allowed {
						if !errors.Is(err, lifecycle.ErrConflict) {
							t.Fatalf("%s from %s: err=%v, want ErrConflict", action, row.status, err)
						}
						if !reflect.DeepEqual(after, before) {
							t.Fatalf("%s from %s changed the credential: %+v -> %+v", action, row.status, before.Credential, after.Credential)
						}
						auditAfter := storetest.AuditTrail(t, f.store, f.tenant.ID, 0)
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

// The state machine as the product specifies it, status by status: where each trigger takes a
// credential, what the audit trail records, and what the activator must
// do next. A trigger a status does not list does not apply to it.
var specMachine = []struct {
	from   lifecycle.Status
	on     lifecycle.Trigger
	to     lifecycle.Status
	audit  lifecycle.AuditEvent
	action lifecycle.Action
}{
	// No Credentials: click Generate.
	{lifecycle.None, lifecycle.OnGenerate, lifecycle.PendingActivation, "generate", lifecycle.ActionActivate},

	// Pending Activation: click Deactivate; ESP activates, or fails to
	// (for good, or after 24 hours), and then asks a remote gateway to
	// remove the key it may hold.
	{lifecycle.PendingActivation, lifecycle.OnDeactivate, lifecycle.PendingDeactivation, "deactivate", lifecycle.ActionDeactivate},
	{lifecycle.PendingActivation, lifecycle.OnActivatorSucceeded, lifecycle.Activated, "activate", lifecycle.ActionNone},
	{lifecycle.PendingActivation, lifecycle.OnActivatorFailed, lifecycle.ActivationFailed, "fail_activation", lifecycle.ActionRemoveFailedActivation},
	{lifecycle.PendingActivation, lifecycle.OnTimeout, lifecycle.ActivationFailed, "fail_activation", lifecycle.ActionRemoveFailedActivation},

	// Activated: click Deactivate.
	{lifecycle.Activated, lifecycle.OnDeactivate, lifecycle.PendingDeactivation, "deactivate", lifecycle.ActionDeactivate},

	// Activation Failed: click Generate; the removal of the key from a
	// remote gateway succeeds, or is given up, and the status stays.
	{lifecycle.ActivationFailed, lifecycle.OnGenerate, lifecycle.PendingActivation, "generate", lifecycle.ActionActivate},
	{lifecycle.ActivationFailed, lifecycle.OnActivatorSucceeded, lifecycle.ActivationFailed, "remove_failed_activation", lifecycle.ActionNone},
	{lifecycle.ActivationFailed, lifecycle.OnActivatorFailed, lifecycle.ActivationFailed, "abandon_removal", lifecycle.ActionNone},
	{lifecycle.ActivationFailed, lifecycle.OnTimeout, lifecycle.ActivationFailed, "abandon_removal", lifecycle.ActionNone},

	// Pending Deactivation: no buttons; ESP deactivates, or fails to.
	{lifecycle.PendingDeactivation, lifecycle.OnActivatorSucceeded, lifecycle.Deactivated, "confirm_deactivation", lifecycle.ActionNone},
	{lifecycle.PendingDeactivation, lifecycle.OnActivatorFailed, lifecycle.DeactivationFailed, "fail_deactivation", lifecycle.ActionNone},
	{lifecycle.PendingDeactivation, lifecycle.OnTimeout, lifecycle.DeactivationFailed, "fail_deactivation", lifecycle.ActionNone},

	// Deactivated: click Generate; removed from the database after 24 hours.
	{lifecycle.Deactivated, lifecycle.OnGenerate, lifecycle.PendingActivation, "generate", lifecycle.ActionActivate},
	{lifecycle.Deactivated, lifecycle.OnPurge, lifecycle.None, "purge", lifecycle.ActionNone},

	// Deactivation Failed: click Generate.
	{lifecycle.DeactivationFailed, lifecycle.OnGenerate, lifecycle.PendingActivation, "generate", lifecycle.ActionActivate},
}

// Every status × every trigger goes where the specified machine says, or
// does not apply.
func TestTransitionTableMatchesTheSpecification(t *testing.T) {
	want := map[[2]string]lifecycle.Transition{}
	for _, m := range specMachine {
		want[[2]string{string(m.from), string(m.on)}] = lifecycle.Transition{To: m.to, Audit: m.audit, Action: m.action}
	}
	if got, want := len(lifecycle.Triggers), 6; got != want {
		t.Fatalf("len(Triggers)=%d, want %d", got, want)
	}
	for _, s := range lifecycle.Statuses {
		for _, on := range lifecycle.Triggers {
			w, applies := want[[2]string{string(s), string(on)}]
			got, ok := s.On(on)
			switch {
			case ok != applies:
				t.Errorf("%s on %s: applies=%v, want %v", s, on, ok, applies)
			case got != w:
				t.Errorf("%s on %s: %+v, want %+v", s, on, got, w)
			}
		}
	}
}

// The buttons the specified table offers are exactly the admin's triggers the
// machine applies, and each admin trigger leads to one place from every
// status it applies to: Deactivate's write applies from any of them,
// whichever the credential has reached meanwhile.
func TestButtonsAreTheAdminsTriggers(t *testing.T) {
	for _, row := range specTable {
		if _, ok := row.status.On(lifecycle.OnGenerate); ok != row.canGenerate {
			t.Errorf("%s: Generate applies=%v, the specified table says available=%v", row.status, ok, row.canGenerate)
		}
		if _, ok := row.status.On(lifecycle.OnDeactivate); ok != row.canDeactivate {
			t.Errorf("%s: Deactivate applies=%v, the specified table says available=%v", row.status, ok, row.canDeactivate)
		}
	}
	for _, on := range []lifecycle.Trigger{lifecycle.OnGenerate, lifecycle.OnDeactivate} {
		from := on.From()
		first, _ := from[0].On(on)
		for _, s := range from[1:] {
			if got, _ := s.On(on); got != first {
				t.Errorf("%s from %s: %+v, from %s: %+v", on, s, got, from[0], first)
			}
		}
	}
}

// The activator's answers and the timeout apply exactly where a credential
// can be waiting for activator work: in a status some transition enters
// with an action to do.
func TestSchedulerTriggersApplyWhereActivatorWorkCanBePending(t *testing.T) {
	awaits := map[lifecycle.Status]bool{}
	for _, s := range lifecycle.Statuses {
		for _, on := range lifecycle.Triggers {
			if tr, ok := s.On(on); ok && tr.Action != lifecycle.ActionNone {
				awaits[tr.To] = true
			}
		}
	}
	for _, s := range lifecycle.Statuses {
		for _, on := range []lifecycle.Trigger{lifecycle.OnActivatorSucceeded, lifecycle.OnActivatorFailed, lifecycle.OnTimeout} {
			if _, ok := s.On(on); ok != awaits[s] {
				t.Errorf("%s on %s: applies=%v, activator work can be pending=%v", s, on, ok, awaits[s])
			}
		}
	}
}

func TestLiveAndPendingStatuses(t *testing.T) {
	live := []lifecycle.Status{lifecycle.PendingActivation, lifecycle.Activated, lifecycle.PendingDeactivation}
	pending := []lifecycle.Status{lifecycle.PendingActivation, lifecycle.PendingDeactivation}
	for _, s := range lifecycle.Statuses {
		if got, want := s.Live(), slices.Contains(live, s); got != want {
			t.Errorf("%s.Live()=%v, want %v", s, got, want)
		}
		if got, want := s.Pending(), slices.Contains(pending, s); got != want {
			t.Errorf("%s.Pending()=%v, want %v", s, got, want)
		}
	}
}
