-- The credential history names each credential by the last 4 characters of
-- its access key. Purging a credential deletes its row, so the audit row
-- keeps them itself: the history outlives the purge. Rows written before
-- this migration take them from their credential where it still exists
-- ('' where it was already purged).
ALTER TABLE audit ADD COLUMN access_last4 TEXT NOT NULL DEFAULT '';

UPDATE audit SET access_last4 = coalesce(
    (SELECT c.access_last4 FROM credentials c WHERE c.id = audit.credential_id), '');

-- The history page walks one tenant's rows newest first, by id.
CREATE INDEX audit_tenant ON audit (tenant_id, id);
