-- Each claim of a due credential by a scheduler takes the next claim
-- number. Its holder renews the lease (moves due_at on) and writes its
-- outcome only while the row still carries its number and status, so a
-- holder whose lease lapsed and was taken over learns it and changes
-- nothing. Not in the change counter's column list: every claim also
-- moves due_at, which is.
ALTER TABLE credentials ADD COLUMN claim INTEGER NOT NULL DEFAULT 0;
