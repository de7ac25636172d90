-- The activator work a credential waits for, named in its row instead of
-- read from its status: 'activate' (Pending Activation), 'deactivate'
-- (Pending Deactivation) or 'remove_failed_activation' (Activation Failed
-- whose key a remote gateway may still hold and is asked to remove). NULL:
-- nothing to do. The scheduler acts on a row while due_at is set, and
-- every write sets both or clears both. Not in the change counter's column
-- list: every change of it also changes due_at, which is.
ALTER TABLE credentials ADD COLUMN pending_action TEXT
    CHECK (pending_action IN ('activate', 'deactivate', 'remove_failed_activation'));

-- The rows an older ESP left due: their work followed from their status.
UPDATE credentials SET pending_action = CASE status
        WHEN 'pending_activation' THEN 'activate'
        WHEN 'pending_deactivation' THEN 'deactivate'
        WHEN 'activation_failed' THEN 'remove_failed_activation'
    END
    WHERE due_at IS NOT NULL;
