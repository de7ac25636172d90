package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"esp/lifecycle"
	"esp/store"
)

// openStore opens the command's database, creating it if needed (esp
// serve, esp tenant add).
func openStore(ctx context.Context, db *dbFlags) (*store.Store, error) {
	if err := db.check(); err != nil {
		return nil, err
	}
	if db.postgres() {
		st, err := store.OpenPostgres(ctx, db.url)
		if err != nil {
			return nil, fmt.Errorf("cannot open the PostgreSQL database of --database-url: %w", err)
		}
		return st, nil
	}
	st, err := store.Open(ctx, db.data)
	if err != nil {
		return nil, fmt.Errorf("cannot open data folder %s: %w", db.data, err)
	}
	return st, nil
}

// openExisting opens the command's database for a command that only
// changes what is there: a folder or PostgreSQL database without ESP's is
// an error, left untouched.
func openExisting(ctx context.Context, db *dbFlags) (*store.Store, error) {
	st, err := openExistingStore(ctx, db)
	if errors.Is(err, store.ErrNoDatabase) {
		if db.postgres() {
			return nil, errors.New("no ESP database at --database-url (run esp serve or esp tenant add first, or check the URL)")
		}
		return nil, fmt.Errorf("no ESP database in %s (run esp serve or esp tenant add first, or check --data)", db.data)
	}
	return st, err
}

// openExistingStore is openExisting with the store's ErrNoDatabase.
func openExistingStore(ctx context.Context, db *dbFlags) (*store.Store, error) {
	if err := db.check(); err != nil {
		return nil, err
	}
	if db.postgres() {
		st, err := store.OpenPostgresExisting(ctx, db.url)
		if err != nil && !errors.Is(err, store.ErrNoDatabase) {
			return nil, fmt.Errorf("cannot open the PostgreSQL database of --database-url: %w", err)
		}
		return st, err
	}
	st, err := store.OpenExisting(ctx, db.data)
	if err != nil && !errors.Is(err, store.ErrNoDatabase) {
		return nil, fmt.Errorf("cannot open data folder %s: %w", db.data, err)
	}
	return st, err
}

// friendly turns store and lifecycle errors into the CLI's one-line wording.
func friendly(err error, what string) error {
	switch lifecycle.ErrorCode(err) {
	case lifecycle.NotFound:
		return fmt.Errorf("unknown %s", what)
	case lifecycle.Conflict:
		return fmt.Errorf("%s already exists", what)
	case lifecycle.Invalid:
		return errors.New(lifecycle.ErrorMessage(err))
	}
	return err
}

const tenantUsage = `usage: esp tenant <command> [flags]

commands:
  add NAME                          add a tenant
  feature NAME public-api on|off    turn a tenant's public API on or off
  policy NAME --max-credential-lifetime DURATION|off
                                    bound the lifetime of the tenant's new credentials
                                    (days as 90d, or a Go duration such as 36h; off: no bound)`

func cmdTenantAdd(ctx context.Context, e env, args []string) error {
	const shape = "tenant add NAME"
	fs, db := newFlags(e, "tenant add")
	pos, err := parse(fs, args, 1, shape)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, db)
	if err != nil {
		return err
	}
	defer st.Close()
	t, err := lifecycle.NewAccounts(st, time.Now).AddTenant(ctx, pos[0])
	if err != nil {
		return friendly(err, fmt.Sprintf("tenant %q", pos[0]))
	}
	fmt.Fprintf(e.stdout, "added tenant %q (public API off)\n", t.Name)
	return nil
}

func cmdTenantFeature(ctx context.Context, e env, args []string) error {
	const shape = "tenant feature NAME public-api on|off"
	fs, db := newFlags(e, "tenant feature")
	pos, err := parse(fs, args, 3, shape)
	if err != nil {
		return err
	}
	if pos[1] != "public-api" {
		return usageError{fmt.Sprintf("tenant feature: unknown feature %q (the only feature is public-api)", pos[1])}
	}
	var on bool
	switch pos[2] {
	case "on":
		on = true
	case "off":
	default:
		return usageError{fmt.Sprintf("tenant feature: expected on or off, got %q", pos[2])}
	}
	st, err := openExisting(ctx, db)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := lifecycle.NewAccounts(st, time.Now).SetPublicAPI(ctx, pos[0], on); err != nil {
		return friendly(err, fmt.Sprintf("tenant %q", pos[0]))
	}
	fmt.Fprintf(e.stdout, "tenant %q: public API %s\n", pos[0], pos[2])
	return nil
}

func cmdPurge(ctx context.Context, e env, args []string) error {
	fs, db := newFlags(e, "purge")
	def, err := durationEnv(e, "ESP_PURGE_AFTER", lifecycle.DefaultConfig().PurgeAfter)
	if err != nil {
		return err
	}
	after := fs.Duration("purge-after", def, "purge credentials deactivated at least this long ago (env ESP_PURGE_AFTER)")
	if _, err := parse(fs, args, 0, "purge [--purge-after 24h]"); err != nil {
		return err
	}
	if err := positiveDurations(map[string]time.Duration{"purge-after": *after}); err != nil {
		return err
	}
	st, err := openExistingStore(ctx, db)
	if errors.Is(err, store.ErrNoDatabase) {
		// Nothing was ever deactivated here; nothing is created either.
		fmt.Fprintln(e.stdout, "purged 0 deactivated credential(s)")
		return nil
	}
	if err != nil {
		return err
	}
	defer st.Close()
	sch := lifecycle.NewScheduler(st, lifecycle.LocalActivator{}, lifecycle.Config{PurgeAfter: *after}, nil, e.now)
	sch.Actor = "cli"
	n, err := sch.Purge(ctx, e.now())
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "purged %d deactivated credential(s)\n", n)
	return nil
}
