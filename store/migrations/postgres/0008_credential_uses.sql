-- The latest use of each credential from each address (a token exchange or
-- a bearer request): the client's User-Agent, shortened, and when. A use
-- is written at most once a minute per credential and address, by one
-- conditional upsert, and the trigger carries its time to the credential's
-- last_used_at, so that a use costs the request one statement, as the
-- last-used write alone did. Purging a credential deletes its uses.
CREATE TABLE credential_uses (
    credential_id bigint NOT NULL REFERENCES credentials (id) ON DELETE CASCADE,
    addr          text   NOT NULL,
    user_agent    text   NOT NULL,
    used_at       bigint NOT NULL,
    PRIMARY KEY (credential_id, addr)
);
-- The window lists a credential's latest addresses, newest first.
CREATE INDEX credential_uses_recent ON credential_uses (credential_id, used_at);

CREATE FUNCTION credential_uses_last_used() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE credentials SET last_used_at = NEW.used_at
    WHERE id = NEW.credential_id AND (last_used_at IS NULL OR last_used_at < NEW.used_at);
    RETURN NULL;
END
$$;
CREATE TRIGGER credential_uses_last_used AFTER INSERT OR UPDATE OF used_at ON credential_uses
    FOR EACH ROW EXECUTE FUNCTION credential_uses_last_used();
