-- Tenants: each one a customer of ESP. public_api is the feature flag that
-- gates the API Credentials window and the public API.
CREATE TABLE tenants (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    public_api INTEGER NOT NULL DEFAULT 0 CHECK (public_api IN (0, 1)),
    created_at INTEGER NOT NULL,
    -- The credential the API Credentials window shows: the newest one
    -- generated. Purging it leaves NULL (No Credentials) even when older
    -- failed credentials remain as history.
    current_credential_id INTEGER REFERENCES credentials (id) ON DELETE SET NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    tenant_id     INTEGER NOT NULL REFERENCES tenants (id),
    username      TEXT    NOT NULL UNIQUE CHECK (length(username) BETWEEN 1 AND 100),
    password_hash TEXT    NOT NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
    created_at    INTEGER NOT NULL
);

-- Credentials: one row per generated access key. Times are Unix nanoseconds.
-- due_at is when the scheduler should next act on the row (NULL: nothing to do);
-- deadline_at is when a pending row times out.
CREATE TABLE credentials (
    id             INTEGER PRIMARY KEY,
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

-- At most one live credential per tenant, guaranteed by the database.
CREATE UNIQUE INDEX credentials_one_live ON credentials (tenant_id)
    WHERE status IN ('pending_activation', 'activated', 'pending_deactivation');
CREATE INDEX credentials_tenant ON credentials (tenant_id, id);
CREATE INDEX credentials_due ON credentials (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX credentials_purge ON credentials (deactivated_at) WHERE status = 'deactivated';

-- The audit trail. No foreign keys: it outlives purged credentials.
CREATE TABLE audit (
    id            INTEGER PRIMARY KEY,
    at            INTEGER NOT NULL,
    tenant_id     INTEGER NOT NULL,
    credential_id INTEGER,
    actor         TEXT    NOT NULL,
    action        TEXT    NOT NULL,
    from_status   TEXT,
    to_status     TEXT,
    detail        TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_credential ON audit (credential_id);

-- Small persistent scheduler facts, such as when the last purge ran.
CREATE TABLE scheduler_state (
    name  TEXT    PRIMARY KEY,
    value INTEGER NOT NULL
);
