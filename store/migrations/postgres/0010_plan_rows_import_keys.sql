-- plan_rows keeps on PostgreSQL only what its reads need, so that an
-- import's COPY writes one index a row and checks nothing by trigger.
--
-- Its foreign key goes: PostgreSQL checks a foreign key with a trigger per
-- row, and in an import's COPY of a million rows that check took three
-- quarters of the time (about 15 s of 20 s on a loaded 2-core machine,
-- against 5 s without it). A plan's rows are written only by the import
-- that creates the plan, in the same transaction, with the id that INSERT
-- returned, and no plan is ever deleted, so the key guarded nothing the
-- store does not already.
--
-- The primary key on id and the (plan_id, id) index become one primary key
-- (plan_id, id): every read of plan_rows (paging, export) walks one plan's
-- rows in id order, and id alone is unique anyway (an identity). Writing
-- one index instead of two took an import's inserts from 8.6 s to 4.5 s
-- on the same machine.
--
-- SQLite keeps its key and its rowid table: it checks the key in the
-- process, at a cost its import does not notice.
ALTER TABLE plan_rows DROP CONSTRAINT plan_rows_plan_id_fkey;
ALTER TABLE plan_rows DROP CONSTRAINT plan_rows_pkey;
DROP INDEX plan_rows_plan;
ALTER TABLE plan_rows ADD CONSTRAINT plan_rows_pkey PRIMARY KEY (plan_id, id);
