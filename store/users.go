package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"esp/lifecycle"
)

// UsersOfTenant lists a tenant's users by username.
func (s *Store) UsersOfTenant(ctx context.Context, tenantID int64) ([]lifecycle.User, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+userColumns+` FROM users WHERE tenant_id = $1 ORDER BY username`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("store: users of tenant %d: %w", tenantID, err)
	}
	defer rows.Close()
	var users []lifecycle.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("store: users of tenant %d: %w", tenantID, err)
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: users of tenant %d: %w", tenantID, err)
	}
	return users, nil
}

// SetUserPassword stores a user's new password hash and ends every session
// of theirs, in one transaction: the next request of any of them, on any
// server, finds no session. An unknown user is ErrNotFound.
func (s *Store) SetUserPassword(ctx context.Context, userID int64, passwordHash string) error {
	return s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2`, passwordHash, userID)
		if err != nil {
			return fmt.Errorf("store: set password of user %d: %w", userID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("store: user %d: %w", userID, lifecycle.ErrNotFound)
		}
		return deleteUserSessions(ctx, tx, userID)
	})
}

// UpdateUser applies ch to the user's row. Sessions stay: each request
// reads the user again, so a lost admin flag closes the window at once.
// An unknown user is ErrNotFound.
func (s *Store) UpdateUser(ctx context.Context, userID int64, ch lifecycle.UserChange) error {
	var set []string
	var args []any
	if ch.Admin != nil {
		args = append(args, *ch.Admin)
		set = append(set, fmt.Sprintf("is_admin = $%d", len(args)))
	}
	if ch.Email != nil {
		args = append(args, nullText(*ch.Email))
		set = append(set, fmt.Sprintf("email = $%d", len(args)))
	}
	if len(set) == 0 {
		set = append(set, "id = id")
	}
	args = append(args, userID)
	res, err := s.DB.ExecContext(ctx, fmt.Sprintf(`UPDATE users SET %s WHERE id = $%d`, strings.Join(set, ", "), len(args)), args...)
	if err != nil {
		return writeErr(err, "update user", "update user")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: user %d: %w", userID, lifecycle.ErrNotFound)
	}
	return nil
}

// DeleteUser removes a user and their sessions. The audit trail keeps the
// user's name: its rows name their actor in text and reference no user.
// An unknown user is ErrNotFound.
func (s *Store) DeleteUser(ctx context.Context, userID int64) error {
	return s.Tx(ctx, func(tx *sql.Tx) error {
		if err := deleteUserSessions(ctx, tx, userID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = $1`, userID)
		if err != nil {
			return fmt.Errorf("store: delete user %d: %w", userID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("store: user %d: %w", userID, lifecycle.ErrNotFound)
		}
		return nil
	})
}

func deleteUserSessions(ctx context.Context, tx *sql.Tx, userID int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("store: end sessions of user %d: %w", userID, err)
	}
	return nil
}
