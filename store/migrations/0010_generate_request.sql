-- Generate is done once per form. Each rendering of the window's Generate
-- form carries a random request id; the credential it created keeps the
-- id's SHA-256, so a browser sending that form again (a reload or Back
-- that resubmits it) is answered with the window as it now is rather than
-- a second Generate. The id is no secret; the hash keeps the column one
-- size. NULL for credentials made without a form (tests, older rows).
ALTER TABLE credentials ADD COLUMN generate_request BLOB
    CHECK (generate_request IS NULL OR length(generate_request) = 32);
CREATE UNIQUE INDEX credentials_generate_request ON credentials (tenant_id, generate_request)
    WHERE generate_request IS NOT NULL;
