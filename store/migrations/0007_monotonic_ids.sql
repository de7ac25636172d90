-- Ids that leave the process (credentials, audit rows, users, tenants,
-- plans) are never given again. Without AUTOINCREMENT, SQLite hands the id
-- of a deleted highest row to the next insert, so a credential purged while
-- it was the newest lent its id, and the gateway events and audit trail
-- that name it, to the next one. SQLite cannot add AUTOINCREMENT to a
-- table: each is rebuilt (create new, copy, drop old, rename new) with its
-- CHECKs, UNIQUEs, foreign keys, indexes and the triggers of migration 0006.
-- The migration runs with foreign-key enforcement off (so that dropping a
-- parent deletes no child rows) and the keys are checked before it commits
-- (store.go).

CREATE TABLE tenants_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    public_api INTEGER NOT NULL DEFAULT 0 CHECK (public_api IN (0, 1)),
    created_at INTEGER NOT NULL,
    -- The credential the API Credentials window shows: the newest one
    -- generated. Purging it leaves NULL (No Credentials) even when older
    -- failed credentials remain as history.
    current_credential_id INTEGER REFERENCES credentials (id) ON DELETE SET NULL
);
INSERT INTO tenants_new (id, name, public_api, created_at, current_credential_id)
SELECT id, name, public_api, created_at, current_credential_id FROM tenants;

CREATE TABLE users_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id     INTEGER NOT NULL REFERENCES tenants (id),
    username      TEXT    NOT NULL UNIQUE CHECK (length(username) BETWEEN 1 AND 100),
    password_hash TEXT    NOT NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
    created_at    INTEGER NOT NULL
);
INSERT INTO users_new (id, tenant_id, username, password_hash, is_admin, created_at)
SELECT id, tenant_id, username, password_hash, is_admin, created_at FROM users;

-- Credentials: one row per generated access key. Times are Unix nanoseconds.
-- due_at is when the scheduler should next act on the row (NULL: nothing to do);
-- deadline_at is when a pending row times out.
CREATE TABLE credentials_new (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id      INTEGER NOT NULL REFERENCES tenants (id),
    status         TEXT    NOT NULL CHECK (status IN (
                       'pending_activation', 'activated', 'activation_failed',
                       'pending_deactivation', 'deactivated', 'deactivation_failed')),
    access_key     TEXT    NOT NULL UNIQUE,
    secret_hash    BLOB    NOT NULL CHECK (length(secret_hash) = 32),
    access_last4   TEXT    NOT NULL,
    secret_last4   TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    changed_at     INTEGER NOT NULL,
    due_at         INTEGER,
    deadline_at    INTEGER,
    attempts       INTEGER NOT NULL DEFAULT 0,
    deactivated_at INTEGER,
    last_used_at   INTEGER
);
INSERT INTO credentials_new (id, tenant_id, status, access_key, secret_hash, access_last4, secret_last4,
    created_at, changed_at, due_at, deadline_at, attempts, deactivated_at, last_used_at)
SELECT id, tenant_id, status, access_key, secret_hash, access_last4, secret_last4,
    created_at, changed_at, due_at, deadline_at, attempts, deactivated_at, last_used_at FROM credentials;

-- The audit trail. No foreign keys: it outlives purged credentials.
CREATE TABLE audit_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at            INTEGER NOT NULL,
    tenant_id     INTEGER NOT NULL,
    credential_id INTEGER,
    actor         TEXT    NOT NULL,
    action        TEXT    NOT NULL,
    from_status   TEXT,
    to_status     TEXT,
    detail        TEXT    NOT NULL DEFAULT ''
);
INSERT INTO audit_new (id, at, tenant_id, credential_id, actor, action, from_status, to_status, detail)
SELECT id, at, tenant_id, credential_id, actor, action, from_status, to_status, detail FROM audit;

CREATE TABLE plans_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    name        TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  INTEGER NOT NULL,
    row_count   INTEGER NOT NULL DEFAULT 0,
    first_start TEXT,
    last_start  TEXT,
    interval    TEXT    NOT NULL DEFAULT ''
        CHECK (interval IN ('', 'day', 'week', 'month', 'mixed')),
    UNIQUE (tenant_id, name)
);
INSERT INTO plans_new (id, tenant_id, name, created_at, row_count, first_start, last_start, interval)
SELECT id, tenant_id, name, created_at, row_count, first_start, last_start, interval FROM plans;

-- Dropping a table drops its indexes and triggers; the other tables'
-- foreign keys name the tables, so they point at the new ones once these
-- are renamed.
DROP TABLE tenants;
DROP TABLE users;
DROP TABLE credentials;
DROP TABLE audit;
DROP TABLE plans;
ALTER TABLE tenants_new RENAME TO tenants;
ALTER TABLE users_new RENAME TO users;
ALTER TABLE credentials_new RENAME TO credentials;
ALTER TABLE audit_new RENAME TO audit;
ALTER TABLE plans_new RENAME TO plans;

-- At most one live credential per tenant, guaranteed by the database.
CREATE UNIQUE INDEX credentials_one_live ON credentials (tenant_id)
    WHERE status IN ('pending_activation', 'activated', 'pending_deactivation');
CREATE INDEX credentials_tenant ON credentials (tenant_id, id);
CREATE INDEX credentials_due ON credentials (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX credentials_purge ON credentials (deactivated_at) WHERE status = 'deactivated';
CREATE INDEX audit_credential ON audit (credential_id);
CREATE INDEX plans_tenant ON plans (tenant_id, id);

-- The next id of each table follows the highest it ever gave, as far as
-- the rows still tell: a purged credential's id lives on in the audit
-- trail (and in a tenant's or token's reference), a tenant's in the audit
-- trail, a plan's in its rows.
DELETE FROM sqlite_sequence WHERE name IN ('tenants', 'users', 'credentials', 'audit', 'plans');
INSERT INTO sqlite_sequence (name, seq) VALUES
    ('tenants', max(
        coalesce((SELECT max(id) FROM tenants), 0),
        coalesce((SELECT max(tenant_id) FROM audit), 0))),
    ('users', coalesce((SELECT max(id) FROM users), 0)),
    ('credentials', max(
        coalesce((SELECT max(id) FROM credentials), 0),
        coalesce((SELECT max(credential_id) FROM audit), 0),
        coalesce((SELECT max(current_credential_id) FROM tenants), 0),
        coalesce((SELECT max(credential_id) FROM api_tokens), 0))),
    ('audit', coalesce((SELECT max(id) FROM audit), 0)),
    ('plans', max(
        coalesce((SELECT max(id) FROM plans), 0),
        coalesce((SELECT max(plan_id) FROM plan_rows), 0)));

-- The change counter's triggers on the rebuilt tables, as in 0006.
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

CREATE TRIGGER change_counter_plans_insert AFTER INSERT ON plans
BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER change_counter_plans_update AFTER UPDATE ON plans
BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER change_counter_plans_delete AFTER DELETE ON plans
BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
