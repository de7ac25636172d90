package lifecycle

import (
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Accounts validates and creates tenants and users.
type Accounts struct {
	store AccountStore
	now   func() time.Time
	// BcryptCost is the password hashing cost; tests lower it.
	BcryptCost int

	dummyOnce sync.Once
	dummy     []byte
}

// NewAccounts returns Accounts over st.
func NewAccounts(st AccountStore, now func() time.Time) *Accounts {
	return &Accounts{store: st, now: now, BcryptCost: bcrypt.DefaultCost}
}

// AddTenant creates a tenant with the public API feature off.
func (a *Accounts) AddTenant(ctx context.Context, name string) (Tenant, error) {
	if err := CheckName(TenantName, name); err != nil {
		return Tenant{}, err
	}
	t, err := a.store.CreateTenant(ctx, name, false, a.now())
	return t, err
}

// SetPublicAPI turns the tenant's public API feature on or off.
func (a *Accounts) SetPublicAPI(ctx context.Context, tenant string, on bool) error {
	return a.store.SetPublicAPI(ctx, tenant, on)
}

// HashPassword hashes a password with bcrypt.
func (a *Accounts) HashPassword(password string) (string, error) {
	if password == "" {
		return "", Errorf(Invalid, "password must not be empty")
	}
	if len(password) > 72 {
		return "", Errorf(Invalid, "password must be at most 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), a.BcryptCost)
	return string(h), err
}

// dummyHash is compared against when the user does not exist, so that a
// wrong username costs as much time as a wrong password. It is made at the
// accounts' own cost the first time it is needed.
func (a *Accounts) dummyHash() []byte {
	a.dummyOnce.Do(func() {
		a.dummy, _ = bcrypt.GenerateFromPassword([]byte("no such user"), a.BcryptCost)
	})
	return a.dummy
}

// ErrBadLogin means the username or the password is wrong (never which).
var ErrBadLogin = &Error{Code: Unauthorized, Message: "Wrong username or password."}

// Authenticate checks a username and password.
func (a *Accounts) Authenticate(ctx context.Context, username, password string) (User, error) {
	u, err := a.store.UserByUsername(ctx, username)
	if errors.Is(err, ErrNotFound) {
		bcrypt.CompareHashAndPassword(a.dummyHash(), []byte(password))
		return User{}, ErrBadLogin
	}
	if err != nil {
		return User{}, err
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
		return User{}, ErrBadLogin
	}
	return u, nil
}
