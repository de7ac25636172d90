package lifecycle_test

import (
	"context"
	"io"
	"testing"

	"esp/lifecycle"
)

// The one name rule, for every kind of name, and every use case that
// creates a named thing applies it before anything is written.
func TestNamesRefuseControlAndFormatCharacters(t *testing.T) {
	cases := []struct {
		name string
		ok   bool
	}{
		{"adm\u202eni", false}, // right-to-left override (Cf)
		{"ad\u200bmin", false}, // zero-width space (Cf)
		{"ad\u2066min", false}, // left-to-right isolate (Cf)
		{"ad\x00min", false},
		{"ad\nmin", false},
		{"ad\tmin", false},
		{"ad\x7fmin", false},
		{"ad\u00a0min", false}, // no-break space
		{"", false},
		{" \t ", false},
		{" admin", false},
		{"ad\xffmin", false},
		{"Zoë", true},
		{"Ζωή 東京", true},
	}
	for _, kind := range []lifecycle.NameKind{lifecycle.TenantName, lifecycle.UserName, lifecycle.PlanName} {
		for _, c := range cases {
			err := lifecycle.CheckName(kind, c.name)
			if (err == nil) != c.ok {
				t.Errorf("%v %q: err=%v, want ok=%v", kind, c.name, err, c.ok)
			}
			if err != nil && lifecycle.ErrorCode(err) != lifecycle.Invalid {
				t.Errorf("%q: code %s, want invalid", c.name, lifecycle.ErrorCode(err))
			}
		}
	}
}

func TestUseCasesRefuseAnOverrideInANewName(t *testing.T) {
	f := newFixture(t, nil, lifecycle.Config{})
	ctx := context.Background()
	const bad = "adm\u202eni"
	if _, err := f.accounts.AddTenant(ctx, bad); lifecycle.ErrorCode(err) != lifecycle.Invalid {
		t.Errorf("AddTenant: %v, want invalid", err)
	}
	if _, err := f.accounts.AddUser(ctx, "acme", bad, "pw", true); lifecycle.ErrorCode(err) != lifecycle.Invalid {
		t.Errorf("AddUser: %v, want invalid", err)
	}
	noRows := func(*lifecycle.PlanRow) error { return io.EOF }
	if _, err := lifecycle.NewPlans(f.store, f.clock.Now).Import(ctx, "acme", bad, noRows); lifecycle.ErrorCode(err) != lifecycle.Invalid {
		t.Errorf("Import: %v, want invalid", err)
	}
	if _, err := f.store.TenantByName(ctx, bad); err == nil {
		t.Error("the tenant was stored")
	}
	if _, err := f.store.UserByUsername(ctx, bad); err == nil {
		t.Error("the user was stored")
	}
	if plans, err := f.store.Plans(ctx, f.tenant.ID); err != nil || len(plans) != 0 {
		t.Errorf("plans %v, %v; want none", plans, err)
	}
}
