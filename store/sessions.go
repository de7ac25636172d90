package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Session is one signed-in browser of the web admin. IDHash is the SHA-256
// of the random id the session cookie carries; the id itself is never stored.
type Session struct {
	IDHash     []byte
	UserID     int64
	CreatedAt  time.Time
	LastSeenAt time.Time
}

// CreateSession records a new session.
func (s *Store) CreateSession(ctx context.Context, sess Session) error {
	_, err := s.DB.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at) VALUES (?, ?, ?, ?)`,
		sess.IDHash, sess.UserID, sess.CreatedAt.UnixNano(), sess.LastSeenAt.UnixNano())
	if err != nil {
		if IsConstraint(err) {
			return fmt.Errorf("store: create session: %w", ErrConflict)
		}
		return fmt.Errorf("store: create session: %w", err)
	}
	return nil
}

// SessionByHash finds a session by the hash of its id.
func (s *Store) SessionByHash(ctx context.Context, idHash []byte) (Session, error) {
	sess := Session{IDHash: idHash}
	var created, seen int64
	err := s.DB.QueryRowContext(ctx, `SELECT user_id, created_at, last_seen_at FROM sessions WHERE id_hash = ?`, idHash).
		Scan(&sess.UserID, &created, &seen)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, fmt.Errorf("store: session: %w", ErrNotFound)
	}
	if err != nil {
		return Session{}, fmt.Errorf("store: session: %w", err)
	}
	sess.CreatedAt, sess.LastSeenAt = fromNanos(created), fromNanos(seen)
	return sess, nil
}

// TouchSession moves a session's last-seen time forward to now (never back).
func (s *Store) TouchSession(ctx context.Context, idHash []byte, now time.Time) error {
	_, err := s.DB.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id_hash = ? AND last_seen_at < ?`,
		now.UnixNano(), idHash, now.UnixNano())
	if err != nil {
		return fmt.Errorf("store: touch session: %w", err)
	}
	return nil
}

// DeleteSession ends a session; deleting one that is already gone is not an
// error.
func (s *Store) DeleteSession(ctx context.Context, idHash []byte) error {
	if _, err := s.DB.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes sessions last seen before idleCutoff or
// created before maxCutoff, and reports how many.
func (s *Store) DeleteExpiredSessions(ctx context.Context, idleCutoff, maxCutoff time.Time) (int, error) {
	res, err := s.DB.ExecContext(ctx, `DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?`,
		idleCutoff.UnixNano(), maxCutoff.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("store: delete expired sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
