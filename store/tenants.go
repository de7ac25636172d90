package store

import (
	"context"
	"database/sql"
	"errors"
	"esp/lifecycle"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// CreateTenant adds a tenant; a taken name is ErrConflict.
func (s *Store) CreateTenant(ctx context.Context, name string, publicAPI bool, now time.Time) (lifecycle.Tenant, error) {
	t := lifecycle.Tenant{Name: name, PublicAPI: publicAPI, CreatedAt: now}
	err := s.DB.QueryRowContext(ctx, `INSERT INTO tenants (name, public_api, created_at) VALUES ($1, $2, $3) RETURNING id`,
		name, publicAPI, now.UnixNano()).Scan(&t.ID)
	if err != nil {
		return lifecycle.Tenant{}, writeErr(err, "create tenant", fmt.Sprintf("tenant %q already exists", name))
	}
	return t, nil
}

const tenantColumns = `id, name, public_api, created_at`

func scanTenant(row interface{ Scan(...any) error }) (lifecycle.Tenant, error) {
	var t lifecycle.Tenant
	var created int64
	if err := row.Scan(&t.ID, &t.Name, &t.PublicAPI, &created); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return lifecycle.Tenant{}, lifecycle.ErrNotFound
		}
		return lifecycle.Tenant{}, err
	}
	t.CreatedAt = fromNanos(created)
	return t, nil
}

// TenantByName finds a tenant by its name.
func (s *Store) TenantByName(ctx context.Context, name string) (lifecycle.Tenant, error) {
	if !storableText(name) {
		return lifecycle.Tenant{}, fmt.Errorf("store: tenant %q: %w", name, lifecycle.ErrNotFound)
	}
	t, err := scanTenant(s.read.QueryRowContext(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE name = $1`, name))
	if err != nil {
		return lifecycle.Tenant{}, fmt.Errorf("store: tenant %q: %w", name, err)
	}
	return t, nil
}

// SetPublicAPI turns a tenant's public API feature on or off.
func (s *Store) SetPublicAPI(ctx context.Context, name string, on bool) error {
	return s.updateTenant(ctx, name, "public API", `UPDATE tenants SET public_api = $1 WHERE name = $2`, on)
}

// updateTenant sets one setting (what) of the tenant name by query, whose
// $1 is value and $2 the name; an unknown tenant is ErrNotFound.
func (s *Store) updateTenant(ctx context.Context, name, what, query string, value any) error {
	if !storableText(name) {
		return fmt.Errorf("store: tenant %q: %w", name, lifecycle.ErrNotFound)
	}
	res, err := s.DB.ExecContext(ctx, query, value, name)
	if err != nil {
		return fmt.Errorf("store: set %s of %q: %w", what, name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: tenant %q: %w", name, lifecycle.ErrNotFound)
	}
	return nil
}

// CreateUser adds u (its tenant, username, password hash, admin flag,
// email and creation time) and returns it with its id; a taken username
// is ErrConflict.
func (s *Store) CreateUser(ctx context.Context, u lifecycle.User) (lifecycle.User, error) {
	err := s.DB.QueryRowContext(ctx, `INSERT INTO users (tenant_id, username, password_hash, is_admin, created_at, email)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		u.TenantID, u.Username, u.PasswordHash, u.IsAdmin, u.CreatedAt.UnixNano(), nullText(u.Email)).Scan(&u.ID)
	if err != nil {
		return lifecycle.User{}, writeErr(err, "create user", fmt.Sprintf("user %q already exists", u.Username))
	}
	return u, nil
}

const userColumns = `id, tenant_id, username, password_hash, is_admin, created_at, email`

func scanUser(row interface{ Scan(...any) error }) (lifecycle.User, error) {
	var u lifecycle.User
	var created int64
	var email sql.NullString
	if err := row.Scan(&u.ID, &u.TenantID, &u.Username, &u.PasswordHash, &u.IsAdmin, &created, &email); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return lifecycle.User{}, lifecycle.ErrNotFound
		}
		return lifecycle.User{}, err
	}
	u.CreatedAt, u.Email = fromNanos(created), email.String
	return u, nil
}

// UserByUsername finds a user by username.
func (s *Store) UserByUsername(ctx context.Context, username string) (lifecycle.User, error) {
	if !storableText(username) {
		return lifecycle.User{}, fmt.Errorf("store: user %q: %w", username, lifecycle.ErrNotFound)
	}
	u, err := scanUser(s.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE username = $1`, username))
	if err != nil {
		return lifecycle.User{}, fmt.Errorf("store: user %q: %w", username, err)
	}
	return u, nil
}

// CountUsers counts every user of every tenant (zero means a first run).
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n)
	return n, err
}

// storableText reports whether s can be a value of a text column on both
// backends: valid UTF-8 without NUL (PostgreSQL refuses anything else,
// SQLite would keep it). The names and keys ESP stores are such text, so
// a lookup by anything else finds nothing, on either backend, rather than
// failing on PostgreSQL.
func storableText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// nullText stores "" as NULL: an optional text column that is not set.
func nullText(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

func nullNanos(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromNanos(v.Int64)
}

func toNull(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixNano(), Valid: true}
}
