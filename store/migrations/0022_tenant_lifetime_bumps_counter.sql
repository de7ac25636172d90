-- A tenant's maximum credential lifetime is read through the read cache
-- (the window asks it on every rendering), so a change of it bumps the
-- change counter too: the tenants' update trigger now watches it.
DROP TRIGGER change_counter_tenants_update;
CREATE TRIGGER change_counter_tenants_update AFTER UPDATE OF
    id, name, public_api, created_at, current_credential_id, allowed_ips, max_credential_lifetime ON tenants
BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
