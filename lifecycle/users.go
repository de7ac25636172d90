package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
)

// MaxSessionsPerUser is how many signed-in browsers one user may have: a
// new sign-in beyond it ends the user's oldest other session.
const MaxSessionsPerUser = 10

// NewUser is a user to add: a password, and an optional email address.
type NewUser struct {
	Tenant, Username, Password, Email string
	Admin                             bool
}

// UserChange is what SetUser changes of a user; a nil field stays as it
// is, and an Email of "" clears the address.
type UserChange struct {
	Admin *bool
	Email *string
}

// UserStore is the storage of the users' management.
type UserStore interface {
	UsersOfTenant(ctx context.Context, tenantID int64) ([]User, error)
	// SetUserPassword ends every session of the user with the change.
	SetUserPassword(ctx context.Context, userID int64, passwordHash string) error
	UpdateUser(ctx context.Context, userID int64, ch UserChange) error
	// DeleteUser ends the user's sessions; the audit trail keeps the
	// user's name.
	DeleteUser(ctx context.Context, userID int64) error
}

// AddUser creates a user in the named tenant.
func (a *Accounts) AddUser(ctx context.Context, tenant, username, password string, admin bool) (User, error) {
	return a.CreateUser(ctx, NewUser{Tenant: tenant, Username: username, Password: password, Admin: admin})
}

// CreateUser creates nu. A bad name, password or email is Invalid, an
// unknown tenant NotFound, a taken username Conflict.
func (a *Accounts) CreateUser(ctx context.Context, nu NewUser) (User, error) {
	if err := CheckName(UserName, nu.Username); err != nil {
		return User{}, err
	}
	if strings.ContainsRune(nu.Username, ' ') {
		return User{}, Errorf(Invalid, "user name must not contain spaces")
	}
	if err := CheckEmail(nu.Email); err != nil {
		return User{}, err
	}
	t, err := a.tenant(ctx, nu.Tenant)
	if err != nil {
		return User{}, err
	}
	hash, err := a.HashPassword(nu.Password)
	if err != nil {
		return User{}, err
	}
	return a.store.CreateUser(ctx, User{TenantID: t.ID, Username: nu.Username, PasswordHash: hash,
		IsAdmin: nu.Admin, Email: nu.Email, CreatedAt: a.now()})
}

// Users lists the named tenant's users by username.
func (a *Accounts) Users(ctx context.Context, tenant string) ([]User, error) {
	t, err := a.tenant(ctx, tenant)
	if err != nil {
		return nil, err
	}
	return a.store.UsersOfTenant(ctx, t.ID)
}

// SetPassword gives a user a new password (the rules of AddUser) and ends
// every session of theirs.
func (a *Accounts) SetPassword(ctx context.Context, tenant, username, password string) error {
	u, err := a.user(ctx, tenant, username)
	if err != nil {
		return err
	}
	hash, err := a.HashPassword(password)
	if err != nil {
		return err
	}
	return a.notFound(a.store.SetUserPassword(ctx, u.ID, hash), tenant, username)
}

// SetUser changes a user's admin flag or email address. Losing the admin
// flag closes the API Credentials window at the user's next request.
func (a *Accounts) SetUser(ctx context.Context, tenant, username string, ch UserChange) error {
	if ch.Admin == nil && ch.Email == nil {
		return Errorf(Invalid, "nothing to change: neither the admin flag nor the email given")
	}
	if ch.Email != nil {
		if err := CheckEmail(*ch.Email); err != nil {
			return err
		}
	}
	u, err := a.user(ctx, tenant, username)
	if err != nil {
		return err
	}
	return a.notFound(a.store.UpdateUser(ctx, u.ID, ch), tenant, username)
}

// RemoveUser deletes a user and ends their sessions. The history keeps
// naming them as the actor of what they did.
func (a *Accounts) RemoveUser(ctx context.Context, tenant, username string) error {
	u, err := a.user(ctx, tenant, username)
	if err != nil {
		return err
	}
	return a.notFound(a.store.DeleteUser(ctx, u.ID), tenant, username)
}

// CheckEmail accepts "" (no address) or one plain address (name@domain, no
// display name, no angle brackets), at most 254 bytes.
func CheckEmail(email string) error {
	if email == "" {
		return nil
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Name != "" || addr.Address != email || len(email) > 254 {
		return Errorf(Invalid, "email %q must be one plain address such as name@example.com", email)
	}
	return nil
}

// tenant finds the named tenant; an unknown one is NotFound.
func (a *Accounts) tenant(ctx context.Context, name string) (Tenant, error) {
	t, err := a.store.TenantByName(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return Tenant{}, &Error{Code: NotFound, Message: fmt.Sprintf("unknown tenant %q", name), Err: err}
	}
	return t, err
}

// user finds the named user of the named tenant; a user of another tenant
// is as unknown as one that does not exist.
func (a *Accounts) user(ctx context.Context, tenant, username string) (User, error) {
	t, err := a.tenant(ctx, tenant)
	if err != nil {
		return User{}, err
	}
	u, err := a.store.UserByUsername(ctx, username)
	if errors.Is(err, ErrNotFound) || err == nil && u.TenantID != t.ID {
		return User{}, unknownUser(tenant, username)
	}
	return u, err
}

// notFound words a user that went away between lookup and change.
func (a *Accounts) notFound(err error, tenant, username string) error {
	if errors.Is(err, ErrNotFound) {
		return unknownUser(tenant, username)
	}
	return err
}

func unknownUser(tenant, username string) *Error {
	return &Error{Code: NotFound, Message: fmt.Sprintf("unknown user %q in tenant %q", username, tenant), Err: ErrNotFound}
}
