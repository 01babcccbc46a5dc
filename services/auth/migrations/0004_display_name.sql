-- Agents have a name the journal shows (« Sophie Durand »), not only their login.
ALTER TABLE accounts ADD COLUMN display_name text
    CHECK (display_name IS NULL OR (length(display_name) BETWEEN 1 AND 100));
