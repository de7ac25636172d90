-- Each tenant's allowed addresses: the ranges its API credentials may be
-- used from, normalised, one a line ('' for any address). The token
-- lookups read it with the tenant's feature flag on every request (the
-- read cache is off on PostgreSQL), so a change is seen by every replica
-- at its next request.
ALTER TABLE tenants ADD COLUMN allowed_ips text NOT NULL DEFAULT '';
