package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"esp/store"
)

// Accounts validates and creates tenants and users.
type Accounts struct {
	store *store.Store
	now   func() time.Time
	// BcryptCost is the password hashing cost; tests lower it.
	BcryptCost int

	dummyOnce sync.Once
	dummy     []byte
}

// NewAccounts returns Accounts over st.
func NewAccounts(st *store.Store, now func() time.Time) *Accounts {
	return &Accounts{store: st, now: now, BcryptCost: bcrypt.DefaultCost}
}

// ErrInvalid means input broke a naming or password rule.
var ErrInvalid = errors.New("invalid")

func checkName(kind, name string) error {
	if name == "" {
		return fmt.Errorf("%s name must not be empty: %w", kind, ErrInvalid)
	}
	if len(name) > 100 || !utf8.ValidString(name) {
		return fmt.Errorf("%s name must be valid text of at most 100 bytes: %w", kind, ErrInvalid)
	}
	for _, r := range name {
		if unicode.IsControl(r) || unicode.IsSpace(r) && r != ' ' {
			return fmt.Errorf("%s name must not contain control characters: %w", kind, ErrInvalid)
		}
	}
	if strings.TrimSpace(name) != name {
		return fmt.Errorf("%s name must not start or end with spaces: %w", kind, ErrInvalid)
	}
	return nil
}

// AddTenant creates a tenant with the public API feature off.
func (a *Accounts) AddTenant(ctx context.Context, name string) (store.Tenant, error) {
	if err := checkName("tenant", name); err != nil {
		return store.Tenant{}, err
	}
	return a.store.CreateTenant(ctx, name, false, a.now())
}

// SetPublicAPI turns the tenant's public API feature on or off.
func (a *Accounts) SetPublicAPI(ctx context.Context, tenant string, on bool) error {
	return a.store.SetPublicAPI(ctx, tenant, on)
}

// HashPassword hashes a password with bcrypt.
func (a *Accounts) HashPassword(password string) (string, error) {
	if password == "" {
		return "", fmt.Errorf("password must not be empty: %w", ErrInvalid)
	}
	if len(password) > 72 {
		return "", fmt.Errorf("password must be at most 72 bytes: %w", ErrInvalid)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), a.BcryptCost)
	return string(h), err
}

// AddUser creates a user in the named tenant.
func (a *Accounts) AddUser(ctx context.Context, tenant, username, password string, admin bool) (store.User, error) {
	if err := checkName("user", username); err != nil {
		return store.User{}, err
	}
	if strings.ContainsRune(username, ' ') {
		return store.User{}, fmt.Errorf("user name must not contain spaces: %w", ErrInvalid)
	}
	t, err := a.store.TenantByName(ctx, tenant)
	if err != nil {
		return store.User{}, err
	}
	hash, err := a.HashPassword(password)
	if err != nil {
		return store.User{}, err
	}
	return a.store.CreateUser(ctx, t.ID, username, hash, admin, a.now())
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
var ErrBadLogin = errors.New("wrong username or password")

// Authenticate checks a username and password.
func (a *Accounts) Authenticate(ctx context.Context, username, password string) (store.User, error) {
	u, err := a.store.UserByUsername(ctx, username)
	if errors.Is(err, store.ErrNotFound) {
		bcrypt.CompareHashAndPassword(a.dummyHash(), []byte(password))
		return store.User{}, ErrBadLogin
	}
	if err != nil {
		return store.User{}, err
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
		return store.User{}, ErrBadLogin
	}
	return u, nil
}
