-- The schema of ESP on PostgreSQL: the SQLite schema as its migrations
-- 0001 to 0011 leave it, in PostgreSQL's terms, so that the store's SQL
-- runs unchanged on both. Ids are identity columns (never given twice),
-- times are Unix nanoseconds in bigint, flags are boolean, hashes bytea.
-- SQLite's change counter and its triggers (migration 0006) are not here:
-- the read cache they serve is off on PostgreSQL.

-- Tenants: each one a customer of ESP. public_api is the feature flag that
-- gates the API Credentials window and the public API.
CREATE TABLE tenants (
    id         bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text    NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    public_api boolean NOT NULL DEFAULT false,
    created_at bigint  NOT NULL,
    -- The credential the API Credentials window shows: the newest one
    -- generated. Purging it leaves NULL (No Credentials) even when older
    -- failed credentials remain as history. Its foreign key follows the
    -- credentials table below.
    current_credential_id bigint
);

CREATE TABLE users (
    id            bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id     bigint  NOT NULL REFERENCES tenants (id),
    username      text    NOT NULL UNIQUE CHECK (length(username) BETWEEN 1 AND 100),
    password_hash text    NOT NULL,
    is_admin      boolean NOT NULL DEFAULT false,
    created_at    bigint  NOT NULL
);

-- Credentials: one row per generated access key. Times are Unix nanoseconds.
-- due_at is when the scheduler should next act on the row (NULL: nothing to
-- do) and pending_action the activator work it waits for (every write sets
-- both or clears both); deadline_at is when a pending row times out. Each
-- claim of a due row by a scheduler takes the next claim number, which its
-- holder's writes must still find. generate_request is the SHA-256 of the
-- request id of the Generate form that made the credential.
CREATE TABLE credentials (
    id               bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id        bigint  NOT NULL REFERENCES tenants (id),
    status           text    NOT NULL CHECK (status IN (
                         'pending_activation', 'activated', 'activation_failed',
                         'pending_deactivation', 'deactivated', 'deactivation_failed')),
    access_key       text    NOT NULL UNIQUE,
    secret_hash      bytea   NOT NULL CHECK (octet_length(secret_hash) = 32),
    access_last4     text    NOT NULL,
    secret_last4     text    NOT NULL,
    created_at       bigint  NOT NULL,
    changed_at       bigint  NOT NULL,
    due_at           bigint,
    deadline_at      bigint,
    attempts         integer NOT NULL DEFAULT 0,
    deactivated_at   bigint,
    last_used_at     bigint,
    claim            bigint  NOT NULL DEFAULT 0,
    generate_request bytea
        CHECK (generate_request IS NULL OR octet_length(generate_request) = 32),
    pending_action   text
        CHECK (pending_action IN ('activate', 'deactivate', 'remove_failed_activation'))
);

ALTER TABLE tenants ADD FOREIGN KEY (current_credential_id)
    REFERENCES credentials (id) ON DELETE SET NULL;
-- Purging a credential looks for the tenant showing it.
CREATE INDEX tenants_current_credential ON tenants (current_credential_id);

-- At most one live credential per tenant, guaranteed by the database.
CREATE UNIQUE INDEX credentials_one_live ON credentials (tenant_id)
    WHERE status IN ('pending_activation', 'activated', 'pending_deactivation');
-- One credential per Generate form.
CREATE UNIQUE INDEX credentials_generate_request ON credentials (tenant_id, generate_request)
    WHERE generate_request IS NOT NULL;
CREATE INDEX credentials_tenant ON credentials (tenant_id, id);
CREATE INDEX credentials_due ON credentials (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX credentials_purge ON credentials (deactivated_at) WHERE status = 'deactivated';

-- The audit trail. No foreign keys: it outlives purged credentials, and
-- keeps the last 4 characters of each credential's access key for that.
CREATE TABLE audit (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            bigint NOT NULL,
    tenant_id     bigint NOT NULL,
    credential_id bigint,
    actor         text   NOT NULL,
    action        text   NOT NULL,
    from_status   text,
    to_status     text,
    detail        text   NOT NULL DEFAULT '',
    access_last4  text   NOT NULL DEFAULT ''
);
CREATE INDEX audit_credential ON audit (credential_id);
-- The history page walks one tenant's rows newest first, by id.
CREATE INDEX audit_tenant ON audit (tenant_id, id);

-- Small persistent scheduler facts, such as when the last purge ran.
CREATE TABLE scheduler_state (
    name  text   PRIMARY KEY,
    value bigint NOT NULL
);

-- Plans: each tenant's staffing plans, as loaded by `esp plan import`.
-- row_count, first_start, last_start and interval summarise plan_rows
-- (interval: 'day', 'week' or 'month' when every row has it, 'mixed' when
-- rows differ, '' without rows); a plan's rows are written once, in the
-- transaction that creates the plan.
CREATE TABLE plans (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   bigint NOT NULL REFERENCES tenants (id),
    name        text   NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  bigint NOT NULL,
    row_count   bigint NOT NULL DEFAULT 0,
    first_start text,
    last_start  text,
    interval    text   NOT NULL DEFAULT ''
        CHECK (interval IN ('', 'day', 'week', 'month', 'mixed')),
    UNIQUE (tenant_id, name)
);
CREATE INDEX plans_tenant ON plans (tenant_id, id);

-- Plan data: one row per interval, skill and scheduling unit, stored as one
-- line: the row's canonical CSV record, exactly as the CSV export writes it
-- without the line end (store/planline.go).
CREATE TABLE plan_rows (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plan_id bigint NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    line    text   NOT NULL
);
-- Paging and export walk one plan's rows in id order.
CREATE INDEX plan_rows_plan ON plan_rows (plan_id, id);

-- Bearer tokens of the public API. Only the SHA-256 of a token is kept.
-- Deleting (purging) a credential deletes its tokens.
CREATE TABLE api_tokens (
    hash          bytea  PRIMARY KEY CHECK (octet_length(hash) = 32),
    credential_id bigint NOT NULL REFERENCES credentials (id) ON DELETE CASCADE,
    tenant_id     bigint NOT NULL REFERENCES tenants (id),
    created_at    bigint NOT NULL,
    expires_at    bigint NOT NULL
);
CREATE INDEX api_tokens_expiry ON api_tokens (expires_at);
CREATE INDEX api_tokens_credential ON api_tokens (credential_id);

-- Web admin sessions. The cookie carries a random session id; only its
-- SHA-256 is kept here. Logging out deletes the row, which ends the session
-- even for a copy of the old cookie.
CREATE TABLE sessions (
    id_hash      bytea  PRIMARY KEY CHECK (octet_length(id_hash) = 32),
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   bigint NOT NULL,
    last_seen_at bigint NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);
