package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"esp/lifecycle"
	"esp/store"
)

// cmdTokenKeyRotate adds a new key for signing bearer tokens. Servers
// read it within a minute and sign with it from two minutes on; tokens the
// current key signed keep working until they expire.
func cmdTokenKeyRotate(ctx context.Context, e env, args []string) error {
	fs, db := newFlags(e, "token-key rotate")
	if _, err := parse(fs, args, 0, "token-key rotate"); err != nil {
		return err
	}
	st, err := openExistingStore(ctx, db)
	if errors.Is(err, store.ErrNoDatabase) {
		return errors.New("no database here: a server makes the first token key when it starts")
	}
	if err != nil {
		return err
	}
	defer st.Close()
	k, err := lifecycle.RotateTokenKey(ctx, st, e.now())
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "token key %d signs from %s; tokens signed before keep working until they expire\n",
		k.ID, k.SignsFrom.Format(time.RFC3339))
	return nil
}
