package lifecycle_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/store/storetest"
)

// Deactivate's write is conditional on the status it checked: whatever
// happened to the credential between the check and the write (another
// admin's Deactivate, the scheduler's confirmation or failure, a purge),
// only Pending Activation or Activated may become Pending Deactivation.
// Every other status is left exactly as it is, with no audit row, and the
// admin gets the conflict message.
func TestDeactivateWriteRequiresPendingActivationOrActivated(t *testing.T) {
	ctx := context.Background()
	for _, meanwhile := range lifecycle.Statuses {
		t.Run(string(meanwhile), func(t *testing.T) {
			f := newFixture(t, nil, lifecycle.Config{})
			f.toStatus(t, lifecycle.Activated)
			cur, err := f.svc.Current(ctx, f.tenant.ID)
			if err != nil {
				t.Fatal(err)
			}
			id := cur.Credential.ID
			var before lifecycle.Credential
			var auditBefore int
			lifecycle.SetAfterCheck(f.svc, func(on lifecycle.Trigger) {
				if on != lifecycle.OnDeactivate {
					t.Errorf("hook called for %q", on)
					return
				}
				var err error
				if meanwhile == lifecycle.None {
					_, err = f.store.DB.Exec(`DELETE FROM credentials WHERE id = $1`, id)
				} else {
					_, err = f.store.DB.Exec(`UPDATE credentials SET status = $1 WHERE id = $2`, string(meanwhile), id)
				}
				if err != nil {
					t.Fatal(err)
				}
				before, _ = f.store.CredentialByID(ctx, id)
				auditBefore = countAudit(t, f, id)
			})
			_, err = f.svc.Deactivate(ctx, f.tenant.ID, "user:alice")
			after, afterErr := f.store.CredentialByID(ctx, id)
			if meanwhile == lifecycle.PendingActivation || meanwhile == lifecycle.Activated {
				if err != nil {
					t.Fatalf("Deactivate from %s: %v", meanwhile, err)
				}
				if after.Status != lifecycle.PendingDeactivation {
					t.Fatalf("status=%s, want %s", after.Status, lifecycle.PendingDeactivation)
				}
				if got := countAudit(t, f, id); got != auditBefore+1 {
					t.Fatalf("audit rows %d → %d, want one more", auditBefore, got)
				}
				return
			}
			var le *lifecycle.Error
			if !errors.As(err, &le) || !errors.Is(err, lifecycle.ErrConflict) ||
				le.Message != "The credentials changed at the same time; reopen the window to see their status." {
				t.Fatalf("Deactivate from %s: err=%v, want the conflict message", meanwhile, err)
			}
			if meanwhile == lifecycle.None {
				if !errors.Is(afterErr, lifecycle.ErrNotFound) {
					t.Fatalf("purged credential: err=%v, want ErrNotFound", afterErr)
				}
			} else if afterErr != nil || !reflect.DeepEqual(after, before) {
				t.Fatalf("credential changed:\n before %+v\n after  %+v (err=%v)", before, after, afterErr)
			}
			if got := countAudit(t, f, id); got != auditBefore {
				t.Fatalf("audit rows %d → %d, want none added", auditBefore, got)
			}
		})
	}
}

func countAudit(t *testing.T, f *fixture, credentialID int64) int {
	t.Helper()
	var n int
	if err := f.store.DB.QueryRow(`SELECT count(*) FROM audit WHERE credential_id = $1`, credentialID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// On PostgreSQL a Deactivate may meet the scheduler's outcome written but
// not committed yet (Pending Activation becoming Activated): it waits for
// that transaction and deactivates the credential in the status committed,
// as it would have a moment later, instead of refusing the admin.
func TestDeactivateWaitsForAnUncommittedOutcomeAndDeactivates(t *testing.T) {
	if storetest.Backend(t) != storetest.Postgres {
		t.Skip("SQLite's one writer runs one transaction at a time: a Deactivate never meets an uncommitted outcome")
	}
	ctx := context.Background()
	f := newFixture(t, nil, lifecycle.Config{})
	k := f.generate(t)
	tx, err := f.store.DB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE credentials SET status = $1, due_at = NULL, deadline_at = NULL,
		pending_action = NULL WHERE id = $2`, string(lifecycle.Activated), k.Credential.ID); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := f.svc.Deactivate(ctx, f.tenant.ID, "user:alice")
		done <- err
	}()
	// Until the Deactivate waits for the outcome's row lock.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var waiting int
		if err := f.store.DB.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("Deactivate returned (%v) without waiting for the uncommitted outcome", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("Deactivate never waited for the outcome's row lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Deactivate after the outcome committed: %v", err)
	}
	if got := f.status(t); got != lifecycle.PendingDeactivation {
		t.Fatalf("status %s, want %s", got, lifecycle.PendingDeactivation)
	}
}
