-- The outbox: one row per email still to send, written in the same
-- transaction as the audit row it tells of (audit_id), one per recipient
-- (user_id, rcpt: the address the user had then). The message is composed
-- at send time from the audit row. due_at is when the next attempt may
-- start (a claim moves it to its lease's end); claim grows with each
-- claim, so only the holder of the latest one deletes or reschedules the
-- row. A row is deleted once sent or given up.
CREATE TABLE outbox (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    audit_id   bigint NOT NULL REFERENCES audit (id),
    user_id    bigint NOT NULL,
    rcpt       text   NOT NULL,
    created_at bigint NOT NULL,
    due_at     bigint NOT NULL,
    attempts   integer NOT NULL DEFAULT 0,
    claim      bigint NOT NULL DEFAULT 0
);
CREATE INDEX outbox_due ON outbox (due_at);
