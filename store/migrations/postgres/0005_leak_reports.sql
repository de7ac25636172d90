-- Leak reports: each secret key or bearer token a secret scanner reported
-- found in public, once per token and credential. The key makes a report
-- idempotent: the same token reported again (the same report twice, or
-- another report naming it, however many at once) finds its row and
-- changes nothing. No foreign key: like the audit trail, a report outlives
-- its purged credential, so the token is still known as ESP's.
CREATE TABLE leak_reports (
    token_hash    bytea  NOT NULL CHECK (octet_length(token_hash) = 32),
    credential_id bigint NOT NULL,
    tenant_id     bigint NOT NULL,
    at            bigint NOT NULL,
    url           text   NOT NULL,
    PRIMARY KEY (token_hash, credential_id)
);
-- The window looks up the report of the tenant's current credential.
CREATE INDEX leak_reports_credential ON leak_reports (credential_id);
-- A reported secret key is found by its hash, the only form it is kept in.
CREATE INDEX credentials_secret_hash ON credentials (secret_hash);
