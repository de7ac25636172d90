-- Each tenant's allowed addresses: the ranges its API credentials may be
-- used from, normalised, one a line ('' for any address). The token
-- lookups read it with the tenant's feature flag; a change bumps the
-- change counter (the tenants' update trigger now watches it too), so
-- that every process's cached grants see it at the next request.
ALTER TABLE tenants ADD COLUMN allowed_ips TEXT NOT NULL DEFAULT '';

DROP TRIGGER change_counter_tenants_update;
CREATE TRIGGER change_counter_tenants_update AFTER UPDATE OF
    id, name, public_api, created_at, current_credential_id, allowed_ips ON tenants
BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
