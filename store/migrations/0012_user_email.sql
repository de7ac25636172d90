-- A user's optional email address (NULL: none), as `esp user add --email`
-- and `esp user set --email` give it.
ALTER TABLE users ADD COLUMN email TEXT CHECK (length(email) BETWEEN 3 AND 254);

-- The change counter's trigger watches the new column too: the session's
-- account, which the read cache keeps, carries the user's email.
DROP TRIGGER change_counter_users_update;
CREATE TRIGGER change_counter_users_update AFTER UPDATE OF
    id, tenant_id, username, password_hash, is_admin, created_at, email ON users
BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
