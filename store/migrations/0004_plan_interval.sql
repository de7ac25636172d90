-- A plan's interval, kept with its summary so that listing plans never scans
-- their rows: 'day', 'week' or 'month' when every row has it, 'mixed' when
-- rows differ, '' for a plan without rows.
ALTER TABLE plans ADD COLUMN interval TEXT NOT NULL DEFAULT ''
    CHECK (interval IN ('', 'day', 'week', 'month', 'mixed'));

UPDATE plans SET interval = coalesce((
    SELECT CASE WHEN count(DISTINCT r.interval) = 1 THEN min(r.interval) ELSE 'mixed' END
    FROM plan_rows r WHERE r.plan_id = plans.id HAVING count(*) > 0), '');
