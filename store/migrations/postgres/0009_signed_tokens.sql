-- Bearer tokens are signed, not stored: a token carries its credential's
-- id and its expiry under an HMAC of a key kept here (lifecycle/token.go),
-- so an exchange writes no row and nothing needs deleting when tokens
-- expire. The tokens issued before stop working (they lived an hour).
DROP TABLE api_tokens;

-- The keys that sign tokens, shared by every replica. The first replica
-- to start keeps key 1 (INSERT ... ON CONFLICT DO NOTHING: replicas
-- starting together keep one); `esp token-key rotate` adds the next, which
-- signs from signs_from (Unix nanoseconds) on, a little after every
-- replica has read it. A key goes on verifying the tokens it signed until
-- they expire.
CREATE TABLE token_keys (
    id         bigint PRIMARY KEY CHECK (id > 0),
    mac_key    bytea  NOT NULL CHECK (octet_length(mac_key) = 32),
    signs_from bigint NOT NULL
);
