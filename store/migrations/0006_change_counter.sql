-- A database-wide change counter. Every change that can alter an answer
-- the web layer caches (a session's account, a tenant's current
-- credential, its plan list, a token's grant) bumps it in the same
-- transaction, by trigger, whichever process makes the change. A server
-- reads it once per request and trusts a cached answer only if it was read
-- at the same value (see store/readcache.go). Bookkeeping writes that hot
-- paths make (sessions.last_seen_at, credentials.last_used_at, new
-- tokens, plan rows) do not bump it: they would empty the cache on every
-- request.
CREATE TABLE change_counter (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
);
INSERT INTO change_counter (id, value) VALUES (1, 1);

CREATE TRIGGER change_counter_credentials_insert AFTER INSERT ON credentials
BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
-- Every column but last_used_at.
CREATE TRIGGER change_counter_credentials_update AFTER UPDATE OF
    id, tenant_id, status, access_key, secret_hash, access_last4, secret_last4,
    created_at, changed_at, due_at, deadline_at, attempts, deactivated_at ON credentials
BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER change_counter_credentials_delete AFTER DELETE ON credentials
BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;

CREATE TRIGGER change_counter_tenants_update AFTER UPDATE OF
    id, name, public_api, created_at, current_credential_id ON tenants
BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER change_counter_tenants_delete AFTER DELETE ON tenants
BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;

CREATE TRIGGER change_counter_users_update AFTER UPDATE OF
    id, tenant_id, username, password_hash, is_admin, created_at ON users
BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER change_counter_users_delete AFTER DELETE ON users
BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;

-- Every column but last_seen_at.
CREATE TRIGGER change_counter_sessions_update AFTER UPDATE OF
    id_hash, user_id, created_at ON sessions
BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER change_counter_sessions_delete AFTER DELETE ON sessions
BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;

CREATE TRIGGER change_counter_plans_insert AFTER INSERT ON plans
BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER change_counter_plans_update AFTER UPDATE ON plans
BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER change_counter_plans_delete AFTER DELETE ON plans
BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;

-- Every column: a token's row never changes once written.
CREATE TRIGGER change_counter_api_tokens_update AFTER UPDATE ON api_tokens
BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER change_counter_api_tokens_delete AFTER DELETE ON api_tokens
BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
