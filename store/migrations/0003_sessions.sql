-- Web admin sessions. The cookie carries a random session id; only its
-- SHA-256 is kept here, so a copy of this table cannot be replayed as a
-- cookie. Logging out deletes the row, which ends the session even for a
-- copy of the old cookie. Times are Unix nanoseconds.
CREATE TABLE sessions (
    id_hash      BLOB    PRIMARY KEY CHECK (length(id_hash) = 32),
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);
