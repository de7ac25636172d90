package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"esp/lifecycle"
	"esp/store/storetest"
)

func TestSessionAccountReadsSessionUserAndTenantTogether(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	tn, err := st.CreateTenant(ctx, "acme", true, now)
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.CreateUser(ctx, lifecycle.User{TenantID: tn.ID, Username: "alice", PasswordHash: "hash", IsAdmin: true, CreatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	id := []byte("0123456789abcdef0123456789abcdef")
	if err := st.CreateSession(ctx, lifecycle.Session{IDHash: id, UserID: u.ID, CreatedAt: now, LastSeenAt: now.Add(time.Minute)}, "hash"); err != nil {
		t.Fatal(err)
	}
	sess, gotU, gotT, err := st.SessionAccount(ctx, id, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if !sess.LastSeenAt.Equal(now.Add(time.Minute)) || sess.UserID != u.ID {
		t.Fatalf("session = %+v", sess)
	}
	if gotU != u {
		t.Fatalf("user = %+v, want %+v", gotU, u)
	}
	if gotT != tn {
		t.Fatalf("tenant = %+v, want %+v", gotT, tn)
	}
	if _, _, _, err := st.SessionAccount(ctx, []byte("no such session, 32 bytes long.."), time.Time{}); !errors.Is(err, lifecycle.ErrNotFound) {
		t.Fatalf("unknown session: err = %v, want ErrNotFound", err)
	}
}
