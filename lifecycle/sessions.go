package lifecycle

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
)

// SessionStore is the storage of the web admin's sessions.
type SessionStore interface {
	// CreateSession stores a new session of a user whose password hash is
	// still passwordHash (ErrConflict otherwise), ending the user's oldest
	// others beyond MaxSessionsPerUser.
	CreateSession(ctx context.Context, s Session, passwordHash string) error
	// SessionAccount is the session with its user (zero when removed) and
	// the user's tenant. Its last-seen time may be a copy older than the
	// database's, but never one before seenSince.
	SessionAccount(ctx context.Context, idHash []byte, seenSince time.Time) (Session, User, Tenant, error)
	TouchSession(ctx context.Context, idHash []byte, now time.Time) error
	DeleteSession(ctx context.Context, idHash []byte) error
}

// Sessions are the web admin's signed-in browsers. A session's id is
// random and lives only in the browser's cookie; the database keeps its
// SHA-256. A session ends when logged out, unused for Config.SessionIdle
// or older than Config.SessionMax (by this clock); the scheduler's
// housekeeping deletes the rows of ended ones by the same two.
type Sessions struct {
	store     SessionStore
	now       func() time.Time
	idle, max time.Duration
}

// NewSessions returns Sessions over st with cfg's timeouts; now is the
// clock (time.Now in production).
func NewSessions(st SessionStore, now func() time.Time, cfg Config) *Sessions {
	cfg = cfg.withDefaults()
	return &Sessions{store: st, now: now, idle: cfg.SessionIdle, max: cfg.SessionMax}
}

// SignedIn is who a live session signs in: the user and their tenant.
type SignedIn struct {
	User   User
	Tenant Tenant
}

// ErrNoSession means the session id names no live session: never made,
// logged out, expired, or its user removed.
var ErrNoSession = errors.New("lifecycle: no live session")

// MaxAge is how long any session lives at most.
func (s *Sessions) MaxAge() time.Duration { return s.max }

// Start signs user in with a new session and returns its id. A user whose
// password changed, or who was removed, since user was read gets none
// (ErrConflict); a user at MaxSessionsPerUser loses their oldest other
// session.
func (s *Sessions) Start(ctx context.Context, user User) (string, error) {
	b := make([]byte, 32)
	rand.Read(b)
	id := base64.RawURLEncoding.EncodeToString(b)
	now := s.now()
	err := s.store.CreateSession(ctx, Session{IDHash: hashSessionID(id), UserID: user.ID, CreatedAt: now, LastSeenAt: now}, user.PasswordHash)
	if err != nil {
		return "", err
	}
	return id, nil
}

// Load is who the session id signs in, or ErrNoSession. It records the
// use, at most once per touchEvery, which keeps the idle timeout exact to
// within touchEvery without making every request a database write. An
// ended session's row stays until the housekeeping deletes it: no request
// deletes rows that the requests of every server could race for.
func (s *Sessions) Load(ctx context.Context, id string) (SignedIn, error) {
	idHash, now := hashSessionID(id), s.now()
	row, user, tenant, err := s.store.SessionAccount(ctx, idHash, now.Add(-s.idle))
	if errors.Is(err, ErrNotFound) {
		return SignedIn{}, ErrNoSession
	}
	if err != nil {
		return SignedIn{}, err
	}
	if now.Sub(row.LastSeenAt) >= s.idle || now.Sub(row.CreatedAt) >= s.max || user.ID == 0 {
		return SignedIn{}, ErrNoSession
	}
	if tenant.ID == 0 {
		return SignedIn{}, fmt.Errorf("lifecycle: tenant %d of user %d: %w", user.TenantID, user.ID, ErrNotFound)
	}
	if now.Sub(row.LastSeenAt) >= s.touchEvery() {
		if err := s.store.TouchSession(ctx, idHash, now); err != nil {
			return SignedIn{}, err
		}
	}
	return SignedIn{User: user, Tenant: tenant}, nil
}

// touchEvery is how stale a session's last-seen time may get before a
// request records it again: a minute, or a thirtieth of the idle timeout
// when that is shorter.
func (s *Sessions) touchEvery() time.Duration {
	return min(time.Minute, s.idle/30)
}

// End logs the session out; ending one that is gone already is no error.
func (s *Sessions) End(ctx context.Context, id string) error {
	return s.store.DeleteSession(ctx, hashSessionID(id))
}

func hashSessionID(id string) []byte {
	h := sha256.Sum256([]byte(id))
	return h[:]
}
