package main

import (
	"context"
	"fmt"
	"time"

	"esp/lifecycle"
)

// cmdTenantPolicy is `esp tenant policy NAME --max-credential-lifetime
// DURATION|off`: the tenant's maximum lifetime of new credentials.
func cmdTenantPolicy(ctx context.Context, e env, args []string) error {
	const shape = "tenant policy NAME --max-credential-lifetime DURATION|off"
	fs, db := newFlags(e, "tenant policy")
	lifetime := fs.String("max-credential-lifetime", "", "the longest lifetime new credentials may have: days as 90d, a Go duration such as 36h, or off")
	pos, err := parse(fs, args, 1, shape)
	if err != nil {
		return err
	}
	max, err := maxLifetimeFlag(*lifetime, shape)
	if err != nil {
		return err
	}
	st, err := openExisting(ctx, db)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := lifecycle.NewAccounts(st, time.Now).SetMaxCredentialLifetime(ctx, pos[0], max); err != nil {
		return friendly(err, fmt.Sprintf("tenant %q", pos[0]))
	}
	if max == 0 {
		fmt.Fprintf(e.stdout, "tenant %q: no maximum credential lifetime\n", pos[0])
		return nil
	}
	fmt.Fprintf(e.stdout, "tenant %q: new credentials live at most %s (live ones keep their expiry)\n", pos[0], lifecycle.FormatLifetime(max))
	return nil
}

// maxLifetimeFlag reads --max-credential-lifetime: off is 0 (no maximum).
func maxLifetimeFlag(v, shape string) (time.Duration, error) {
	switch v {
	case "":
		return 0, usageError{fmt.Sprintf("tenant policy: --max-credential-lifetime is required (usage: esp %s)", shape)}
	case "off":
		return 0, nil
	}
	d, err := lifecycle.ParseLifetime(v)
	if err != nil {
		return 0, usageError{"tenant policy: --max-credential-lifetime: " + lifecycle.ErrorMessage(err)}
	}
	return d, nil
}
