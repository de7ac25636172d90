-- Expiry. A credential may carry an expiry (expires_at, Unix nanoseconds;
-- NULL: it never expires), fixed at Generate and never changed: past it
-- the credential no longer authenticates, and the scheduler deactivates it.
-- A tenant may carry a maximum lifetime for its new credentials
-- (max_credential_lifetime, nanoseconds; NULL: none), which `esp tenant
-- policy` sets; a maximum set later does not shorten live credentials.
ALTER TABLE credentials ADD COLUMN expires_at bigint;
ALTER TABLE tenants ADD COLUMN max_credential_lifetime bigint CHECK (max_credential_lifetime > 0);

-- The scheduler looks for live credentials expiring soon: those with an
-- expiry, by it.
CREATE INDEX credentials_expires ON credentials (expires_at) WHERE expires_at IS NOT NULL;

-- The expiry reminders sent: one row per credential and reminder (days
-- before the expiry), written in the transaction that queues the
-- reminder's messages. The key makes each reminder once-only, across
-- schedulers and restarts. No foreign key: like the audit trail it
-- outlives a purged credential, whose id is never given again.
CREATE TABLE expiry_reminders (
    credential_id bigint NOT NULL,
    days          integer NOT NULL CHECK (days > 0),
    at            bigint NOT NULL,
    PRIMARY KEY (credential_id, days)
);
