-- Bearer tokens are signed, not stored: a token carries its credential's
-- id and its expiry under an HMAC of a key kept here (lifecycle/token.go),
-- so an exchange writes no row and nothing needs deleting when tokens
-- expire. The tokens issued before stop working (they lived an hour).
DROP TABLE api_tokens;

-- The keys that sign tokens, shared by every server on the database. The
-- first server to start keeps key 1 (INSERT ... ON CONFLICT DO NOTHING);
-- `esp token-key rotate` adds the next, which signs from signs_from (Unix
-- nanoseconds) on, a little after every server has read it. A key goes on
-- verifying the tokens it signed until they expire.
CREATE TABLE token_keys (
    id         INTEGER PRIMARY KEY CHECK (id > 0),
    mac_key    BLOB    NOT NULL CHECK (length(mac_key) = 32),
    signs_from INTEGER NOT NULL
);
