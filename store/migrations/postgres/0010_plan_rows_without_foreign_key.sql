-- plan_rows.plan_id loses its foreign key on PostgreSQL. PostgreSQL checks
-- a foreign key with a trigger per row: in an import's COPY of a million
-- rows that check took three quarters of the time (about 15 s of 20 s on a
-- loaded 2-core machine, against 5 s with the primary key and the
-- (plan_id, id) index alone). A plan's rows are written only by the import
-- that creates the plan, in the same transaction, with the id that INSERT
-- returned, and no plan is ever deleted, so the key guarded nothing the
-- store does not already. SQLite keeps its key: it checks it in the
-- process, at a cost its import does not notice.
ALTER TABLE plan_rows DROP CONSTRAINT plan_rows_plan_id_fkey;
