-- The latest use of each credential from each address (a token exchange or
-- a bearer request): the client's User-Agent, shortened, and when. A use
-- is written at most once a minute per credential and address, by one
-- conditional upsert, and the trigger carries its time to the credential's
-- last_used_at (which bumps no change counter), so that a use costs the
-- request one statement, as the last-used write alone did. Purging a
-- credential deletes its uses.
CREATE TABLE credential_uses (
    credential_id INTEGER NOT NULL REFERENCES credentials (id) ON DELETE CASCADE,
    addr          TEXT    NOT NULL,
    user_agent    TEXT    NOT NULL,
    used_at       INTEGER NOT NULL,
    PRIMARY KEY (credential_id, addr)
);
-- The window lists a credential's latest addresses, newest first.
CREATE INDEX credential_uses_recent ON credential_uses (credential_id, used_at);

CREATE TRIGGER credential_uses_insert AFTER INSERT ON credential_uses
BEGIN
    UPDATE credentials SET last_used_at = NEW.used_at
    WHERE id = NEW.credential_id AND (last_used_at IS NULL OR last_used_at < NEW.used_at);
END;
CREATE TRIGGER credential_uses_update AFTER UPDATE OF used_at ON credential_uses
BEGIN
    UPDATE credentials SET last_used_at = NEW.used_at
    WHERE id = NEW.credential_id AND (last_used_at IS NULL OR last_used_at < NEW.used_at);
END;
