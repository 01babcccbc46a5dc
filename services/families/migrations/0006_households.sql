-- Separated parents (SPEC §7b, issue 11): a child belongs to one or two households. The link
-- lives in child_households (at most two per child, enforced here: a slot 1 or 2, unique per
-- child); children.family_id stays the child's first household (the one its events name first)
-- and is always one of its current households. Every query that finds a family's children goes
-- through child_households. Each household keeps its own address, phones, QF and contacts (on
-- families); the child's own file is one record both see.
CREATE TABLE child_households (
    child_id uuid NOT NULL REFERENCES children ON DELETE CASCADE,
    family_id uuid NOT NULL REFERENCES families ON DELETE CASCADE,
    -- Two slots per child: a third household, or two links racing for the second slot,
    -- break a constraint instead of slipping through.
    slot smallint NOT NULL CHECK (slot IN (1, 2)),
    linked_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (child_id, family_id),
    UNIQUE (child_id, slot)
);
CREATE INDEX child_households_family ON child_households (family_id, child_id);

INSERT INTO child_households (child_id, family_id, slot, linked_at)
SELECT id, family_id, 1, created_at FROM children;

-- The child's first household must be one of its households (checked at commit: a link and
-- the child it names are written in one transaction).
ALTER TABLE children ADD CONSTRAINT children_first_household
    FOREIGN KEY (id, family_id) REFERENCES child_households (child_id, family_id)
    DEFERRABLE INITIALLY DEFERRED;

-- Custody (optional): « libre », or alternate weeks where `even_weeks_family_id` (one of the
-- child's households, by the foreign key) has the even ISO weeks and the other the odd ones.
ALTER TABLE children
    ADD COLUMN custody_pattern text NOT NULL DEFAULT 'free'
        CHECK (custody_pattern IN ('free', 'alternate_weeks')),
    ADD COLUMN even_weeks_family_id uuid,
    ADD CONSTRAINT children_custody_even_weeks
        CHECK ((custody_pattern = 'alternate_weeks') = (even_weeks_family_id IS NOT NULL)),
    ADD CONSTRAINT children_even_weeks_household
        FOREIGN KEY (id, even_weeks_family_id) REFERENCES child_households (child_id, family_id);

-- Who linked or unlinked a child to or from a household, when and why. No foreign key: the
-- history outlives the link (unlinking keeps it). Staff only read it.
CREATE TABLE household_links (
    id bigserial PRIMARY KEY,
    child_id uuid NOT NULL,
    family_id uuid NOT NULL,
    action text NOT NULL CHECK (action IN ('linked', 'unlinked')),
    reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    actor_sub text NOT NULL,
    actor_role text NOT NULL,
    at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX household_links_child ON household_links (child_id, at, id);

-- Staff find a child to link by its exact identity (names folded, birth date exact).
CREATE INDEX children_identity ON children (birth_date, search_fold(last_name));

-- A household's search text holds the names of all its children, linked ones included.
CREATE OR REPLACE FUNCTION family_search_text(family uuid, name text, email text,
                                              postal_code text, city text) RETURNS text
LANGUAGE sql STABLE
RETURN ' ' || search_fold(concat_ws(' ', name, email, postal_code, city,
    (SELECT string_agg(c.first_name || ' ' || c.last_name, ' ' ORDER BY c.birth_date, c.id)
     FROM child_households h JOIN children c ON c.id = h.child_id
     WHERE h.family_id = family))) || ' ';

-- Children's rows: a renamed child refreshes every household it belongs to. Inserts and
-- deletes are followed by child_households (a child's household row comes with it, and goes
-- with it by cascade).
CREATE OR REPLACE FUNCTION children_search_text() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        UPDATE families f
        SET search_text = family_search_text(f.id, f.name, f.email, f.postal_code, f.city)
        WHERE f.id IN (
            SELECT h.family_id
            FROM new_rows n JOIN old_rows o ON o.id = n.id
            JOIN child_households h ON h.child_id = n.id
            WHERE (n.first_name, n.last_name) IS DISTINCT FROM (o.first_name, o.last_name));
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION child_households_search_text() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE families f
        SET search_text = family_search_text(f.id, f.name, f.email, f.postal_code, f.city)
        WHERE f.id IN (SELECT family_id FROM new_rows);
    ELSE
        UPDATE families f
        SET search_text = family_search_text(f.id, f.name, f.email, f.postal_code, f.city)
        WHERE f.id IN (SELECT family_id FROM old_rows);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER child_households_search_text_insert AFTER INSERT ON child_households
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION child_households_search_text();
CREATE TRIGGER child_households_search_text_delete AFTER DELETE ON child_households
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION child_households_search_text();
