-- What the replicas of the server share beyond the rows of the baseline.

-- The web admin's cookie and CSRF keys: one row, created by the first
-- replica to start (INSERT ... ON CONFLICT DO NOTHING) and read by all.
-- Deleting it signs everybody out at the next start.
CREATE TABLE session_keys (
	id smallint PRIMARY KEY CHECK (id = 1),
	hash_key bytea NOT NULL CHECK (length(hash_key) = 64),
	block_key bytea NOT NULL CHECK (length(block_key) = 32),
	csrf_key bytea NOT NULL CHECK (length(csrf_key) = 32)
);

-- The rate limits (failed logins, failed API authentications) per client
-- address: full_at is when the address's allowance is whole again (Unix
-- nanoseconds; a time at or before now means whole), taken whether its
-- latest attempt was taken. Rows whose full_at has passed are housekeeping's
-- to delete.
CREATE TABLE rate_limits (
	limit_name text NOT NULL,
	addr text NOT NULL,
	full_at bigint NOT NULL,
	taken boolean NOT NULL,
	PRIMARY KEY (limit_name, addr)
);
CREATE INDEX rate_limits_full_at ON rate_limits (full_at);
