package store

import (
	"context"
	"database/sql"
	"errors"
	"esp/lifecycle"
	"fmt"
	"time"
)

// CreateSession records a new session of a user whose password hash is
// still passwordHash (the one the sign-in checked): a password changed or a
// user removed since is ErrConflict, and no session is made with the old
// password. The user then holds at most lifecycle.MaxSessionsPerUser
// sessions: the oldest others end. The user's row is locked first
// (SQLite: the one writer), so simultaneous sign-ins of one user queue and
// never leave more than the cap, and a password change waits for, or is
// waited for by, the new session.
func (s *Store) CreateSession(ctx context.Context, sess lifecycle.Session, passwordHash string) error {
	return s.Tx(ctx, func(tx *sql.Tx) error {
		var hash string
		err := tx.QueryRowContext(ctx, s.dialect.lockRows(lockUserQuery), sess.UserID).Scan(&hash)
		if errors.Is(err, sql.ErrNoRows) || err == nil && hash != passwordHash {
			return fmt.Errorf("store: create session: the user changed since the sign-in: %w", lifecycle.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("store: create session: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at) VALUES ($1, $2, $3, $4)`,
			sess.IDHash, sess.UserID, sess.CreatedAt.UnixNano(), sess.LastSeenAt.UnixNano()); err != nil {
			return writeErr(err, "create session", "create session")
		}
		if _, err := tx.ExecContext(ctx, endOldestSessionsQuery, sess.UserID, sess.IDHash, lifecycle.MaxSessionsPerUser-1); err != nil {
			return fmt.Errorf("store: end oldest sessions: %w", err)
		}
		return nil
	})
}

const lockUserQuery = `SELECT password_hash FROM users WHERE id = $1`

// endOldestSessionsQuery ends the user's ($1) sessions but the new one ($2)
// and the $3 newest others.
const endOldestSessionsQuery = `DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2
	AND id_hash NOT IN (SELECT id_hash FROM sessions WHERE user_id = $1 AND id_hash <> $2
		ORDER BY created_at DESC, last_seen_at DESC, id_hash LIMIT $3)`

const touchSessionQuery = `UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2 AND last_seen_at < $3`

// TouchSession moves a session's last-seen time forward to now (never back).
func (s *Store) TouchSession(ctx context.Context, idHash []byte, now time.Time) error {
	_, err := s.stmts.touchSession.ExecContext(ctx, now.UnixNano(), idHash, now.UnixNano())
	if err != nil {
		return fmt.Errorf("store: touch session: %w", err)
	}
	s.cache.touchedSession(idHash, now)
	return nil
}

// DeleteSession ends a session; deleting one that is already gone is not an
// error.
func (s *Store) DeleteSession(ctx context.Context, idHash []byte) error {
	if _, err := s.DB.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes sessions last seen before idleCutoff or
// created before maxCutoff, and reports how many.
func (s *Store) DeleteExpiredSessions(ctx context.Context, idleCutoff, maxCutoff time.Time) (int, error) {
	res, err := s.DB.ExecContext(ctx, `DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2`,
		idleCutoff.UnixNano(), maxCutoff.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("store: delete expired sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// SessionAccount is a session with its user and the user's tenant, read in
// one query because the web admin needs all three on every request. A
// session whose user no longer exists comes back with a zero User (ID 0); a
// session that does not exist is ErrNotFound. The answer may come from the
// read cache (readcache.go), whose last-seen time may be older than another
// process's touch: one last seen before seenSince is read again from the
// database, so that a session is never taken for idle on a stale copy.
func (s *Store) SessionAccount(ctx context.Context, idHash []byte, seenSince time.Time) (lifecycle.Session, lifecycle.User, lifecycle.Tenant, error) {
	sess, u, t, err := s.cachedSessionAccount(ctx, idHash)
	if err != nil || !sess.LastSeenAt.Before(seenSince) || s.cache.off {
		return sess, u, t, err
	}
	return s.sessionAccount(ctx, idHash)
}

const sessionAccountQuery = `SELECT s.user_id, s.created_at, s.last_seen_at,
		u.id, u.tenant_id, u.username, u.password_hash, u.is_admin, u.created_at, u.email,
		t.id, t.name, t.public_api, t.created_at
	FROM sessions s
	LEFT JOIN users u ON u.id = s.user_id
	LEFT JOIN tenants t ON t.id = u.tenant_id
	WHERE s.id_hash = $1`

func (s *Store) sessionAccount(ctx context.Context, idHash []byte) (lifecycle.Session, lifecycle.User, lifecycle.Tenant, error) {
	sess := lifecycle.Session{IDHash: idHash}
	var created, seen int64
	var uid, utenant, ucreated, tid, tcreated sql.NullInt64
	var uname, uhash, uemail, tname sql.NullString
	var uadmin, tapi sql.NullBool
	err := s.stmts.sessionAccount.QueryRowContext(ctx, idHash).
		Scan(&sess.UserID, &created, &seen, &uid, &utenant, &uname, &uhash, &uadmin, &ucreated, &uemail, &tid, &tname, &tapi, &tcreated)
	if errors.Is(err, sql.ErrNoRows) {
		return lifecycle.Session{}, lifecycle.User{}, lifecycle.Tenant{}, fmt.Errorf("store: session: %w", lifecycle.ErrNotFound)
	}
	if err != nil {
		return lifecycle.Session{}, lifecycle.User{}, lifecycle.Tenant{}, fmt.Errorf("store: session: %w", err)
	}
	sess.CreatedAt, sess.LastSeenAt = fromNanos(created), fromNanos(seen)
	var u lifecycle.User
	var t lifecycle.Tenant
	if uid.Valid {
		u = lifecycle.User{ID: uid.Int64, TenantID: utenant.Int64, Username: uname.String, PasswordHash: uhash.String,
			IsAdmin: uadmin.Bool, Email: uemail.String, CreatedAt: fromNanos(ucreated.Int64)}
	}
	if tid.Valid {
		t = lifecycle.Tenant{ID: tid.Int64, Name: tname.String, PublicAPI: tapi.Bool, CreatedAt: fromNanos(tcreated.Int64)}
	}
	return sess, u, t, nil
}
