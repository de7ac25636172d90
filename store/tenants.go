package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Tenant is one customer of ESP.
type Tenant struct {
	ID        int64
	Name      string
	PublicAPI bool
	CreatedAt time.Time
}

// User is a person who logs in to the web admin.
type User struct {
	ID           int64
	TenantID     int64
	Username     string
	PasswordHash string
	IsAdmin      bool
	CreatedAt    time.Time
}

// CreateTenant adds a tenant; a taken name is ErrConflict.
func (s *Store) CreateTenant(ctx context.Context, name string, publicAPI bool, now time.Time) (Tenant, error) {
	t := Tenant{Name: name, PublicAPI: publicAPI, CreatedAt: now}
	err := s.DB.QueryRowContext(ctx, `INSERT INTO tenants (name, public_api, created_at) VALUES (?, ?, ?) RETURNING id`,
		name, publicAPI, now.UnixNano()).Scan(&t.ID)
	if err != nil {
		if IsConstraint(err) {
			return Tenant{}, fmt.Errorf("store: tenant %q already exists: %w", name, ErrConflict)
		}
		return Tenant{}, fmt.Errorf("store: create tenant: %w", err)
	}
	return t, nil
}

const tenantColumns = `id, name, public_api, created_at`

func scanTenant(row interface{ Scan(...any) error }) (Tenant, error) {
	var t Tenant
	var created int64
	if err := row.Scan(&t.ID, &t.Name, &t.PublicAPI, &created); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Tenant{}, ErrNotFound
		}
		return Tenant{}, err
	}
	t.CreatedAt = fromNanos(created)
	return t, nil
}

// TenantByName finds a tenant by its name.
func (s *Store) TenantByName(ctx context.Context, name string) (Tenant, error) {
	t, err := scanTenant(s.read.QueryRowContext(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE name = ?`, name))
	if err != nil {
		return Tenant{}, fmt.Errorf("store: tenant %q: %w", name, err)
	}
	return t, nil
}

// TenantByID finds a tenant by id.
func (s *Store) TenantByID(ctx context.Context, id int64) (Tenant, error) {
	t, err := scanTenant(s.read.QueryRowContext(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE id = ?`, id))
	if err != nil {
		return Tenant{}, fmt.Errorf("store: tenant %d: %w", id, err)
	}
	return t, nil
}

// SetPublicAPI turns a tenant's public API feature on or off.
func (s *Store) SetPublicAPI(ctx context.Context, name string, on bool) error {
	res, err := s.DB.ExecContext(ctx, `UPDATE tenants SET public_api = ? WHERE name = ?`, on, name)
	if err != nil {
		return fmt.Errorf("store: set public API of %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: tenant %q: %w", name, ErrNotFound)
	}
	return nil
}

// CreateUser adds a user to a tenant; a taken username is ErrConflict.
func (s *Store) CreateUser(ctx context.Context, tenantID int64, username, passwordHash string, admin bool, now time.Time) (User, error) {
	var id int64
	err := s.DB.QueryRowContext(ctx, `INSERT INTO users (tenant_id, username, password_hash, is_admin, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		tenantID, username, passwordHash, admin, now.UnixNano()).Scan(&id)
	if err != nil {
		if IsConstraint(err) {
			return User{}, fmt.Errorf("store: user %q already exists: %w", username, ErrConflict)
		}
		return User{}, fmt.Errorf("store: create user: %w", err)
	}
	return User{ID: id, TenantID: tenantID, Username: username, PasswordHash: passwordHash, IsAdmin: admin, CreatedAt: now}, nil
}

const userColumns = `id, tenant_id, username, password_hash, is_admin, created_at`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	var created int64
	if err := row.Scan(&u.ID, &u.TenantID, &u.Username, &u.PasswordHash, &u.IsAdmin, &created); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return User{}, ErrNotFound
		}
		return User{}, err
	}
	u.CreatedAt = fromNanos(created)
	return u, nil
}

// UserByUsername finds a user by username.
func (s *Store) UserByUsername(ctx context.Context, username string) (User, error) {
	u, err := scanUser(s.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE username = ?`, username))
	if err != nil {
		return User{}, fmt.Errorf("store: user %q: %w", username, err)
	}
	return u, nil
}

// UserByID finds a user by id.
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(s.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if err != nil {
		return User{}, fmt.Errorf("store: user %d: %w", id, err)
	}
	return u, nil
}

// CountUsers counts every user of every tenant (zero means a first run).
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n)
	return n, err
}

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
