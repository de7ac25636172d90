package main

import (
	"context"
	"fmt"
	"time"

	"esp/lifecycle"
)

const tokenKeyUsage = `usage: esp token-key <command> [flags]

commands:
  rotate    add a new key for signing bearer tokens: servers sign with it from two minutes on,
            and tokens the current key signed keep working until they expire`

// cmdTokenKeyRotate adds a new key for signing bearer tokens. Servers
// read it within a minute and sign with it from two minutes on; tokens the
// current key signed keep working until they expire.
func cmdTokenKeyRotate(ctx context.Context, e env, args []string) error {
	fs, db := newFlags(e, "token-key rotate")
	if _, err := parse(fs, args, 0, "token-key rotate"); err != nil {
		return err
	}
	st, err := openExisting(ctx, db)
	if err != nil {
		return err
	}
	defer st.Close()
	k, err := lifecycle.RotateTokenKey(ctx, st, e.now())
	if err != nil {
		return err
	}
	if !k.SignsFrom.After(e.now()) {
		fmt.Fprintf(e.stdout, "token key %d signs from now (the first)\n", k.ID)
		return nil
	}
	fmt.Fprintf(e.stdout, "token key %d signs from %s; tokens signed before keep working until they expire\n",
		k.ID, k.SignsFrom.UTC().Format(time.RFC3339))
	return nil
}
