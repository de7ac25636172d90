-- A user's optional email address (NULL: none), as `esp user add --email`
-- and `esp user set --email` give it.
ALTER TABLE users ADD COLUMN email text CHECK (length(email) BETWEEN 3 AND 254);
