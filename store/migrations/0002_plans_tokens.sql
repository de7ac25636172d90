-- Plans: each tenant's staffing plans, as loaded by `esp plan import`.
-- row_count, first_start and last_start summarise plan_rows; a plan's rows
-- are written once, in the transaction that creates the plan.
CREATE TABLE plans (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    name        TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  INTEGER NOT NULL,
    row_count   INTEGER NOT NULL DEFAULT 0,
    first_start TEXT,
    last_start  TEXT,
    UNIQUE (tenant_id, name)
);

-- Plan data: one row per interval, skill and scheduling unit. The numeric
-- columns are TEXT on purpose: they hold the number exactly as imported (a
-- valid JSON number, checked on import), so that "12.50" is exported as
-- "12.50" and export -> import -> export gives the same bytes.
CREATE TABLE plan_rows (
    id                INTEGER PRIMARY KEY,
    plan_id           INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    interval_start    TEXT    NOT NULL CHECK (length(interval_start) = 10),
    interval          TEXT    NOT NULL CHECK (interval IN ('day', 'week', 'month')),
    skill             TEXT    NOT NULL CHECK (skill <> ''),
    scheduling_unit   TEXT    NOT NULL CHECK (scheduling_unit <> ''),
    volume            TEXT    NOT NULL,
    aht_seconds       TEXT    NOT NULL,
    fte_required      TEXT    NOT NULL,
    fte_planned       TEXT    NOT NULL,
    service_level_pct TEXT    NOT NULL,
    asa_seconds       TEXT    NOT NULL,
    occupancy_pct     TEXT    NOT NULL
);
-- Paging and export walk one plan's rows in id order.
CREATE INDEX plan_rows_plan ON plan_rows (plan_id, id);
CREATE INDEX plans_tenant ON plans (tenant_id, id);

-- Bearer tokens of the public API. Only the SHA-256 of a token is kept.
-- Deleting (purging) a credential deletes its tokens.
CREATE TABLE api_tokens (
    hash          BLOB    PRIMARY KEY CHECK (length(hash) = 32),
    credential_id INTEGER NOT NULL REFERENCES credentials (id) ON DELETE CASCADE,
    tenant_id     INTEGER NOT NULL REFERENCES tenants (id),
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX api_tokens_expiry ON api_tokens (expires_at);
CREATE INDEX api_tokens_credential ON api_tokens (credential_id);
