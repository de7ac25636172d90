-- Purging a credential looks for the tenant showing it (the foreign key's
-- ON DELETE SET NULL): without an index that is a scan of every tenant for
-- each credential deleted. PostgreSQL's schema has had this index from
-- its baseline.
CREATE INDEX tenants_current_credential ON tenants (current_credential_id);
