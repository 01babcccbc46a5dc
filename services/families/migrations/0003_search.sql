-- Staff search that stays fast at city scale (50,000 families, 100,000 children): one folded
-- search text per family (name, e-mail, postal code, city and its children's names), with a
-- trigram index, instead of unaccent() run on every family and child at each query.
-- pg_trgm and unaccent are trusted extensions (PostgreSQL 13+): the database's owner may
-- create them without being a superuser.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Case, accents and punctuation folded: « Clermont-l'Hérault » → « clermont l herault ».
-- unaccent() is only STABLE (its dictionary could be changed); naming the dictionary makes
-- the result depend on the argument alone, which is what IMMUTABLE promises (and what a
-- generated column needs). Should the unaccent rules ever change, recompute the folded
-- columns (UPDATE families SET name = name) after the change.
CREATE FUNCTION search_fold(text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN btrim(regexp_replace(lower(public.unaccent('public.unaccent'::regdictionary, $1)),
                            '[^[:alnum:]@._+]+', ' ', 'g'));

-- A LIKE pattern of a query: its text folded, its % _ \ taken literally, between `before` and
-- `after` (wildcards, spaces). IMMUTABLE, so the planner sees the pattern itself.
CREATE FUNCTION search_like(query text, before text, after text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN before || regexp_replace(search_fold(query), '([%_\\])', '\\\1', 'g') || after;

-- The folded texts are kept between spaces, so « a word starting with … » is LIKE '% …%' and
-- « the whole word » LIKE '% … %', patterns the trigram index serves as well as '%…%'. They
-- sort in byte order ("C"): sorting and comparing cursors need no locale.

-- The family's name, folded: the sort key of the lists (« Famille Écoffier » before
-- « Famille Zola ») and the first place a search looks.
ALTER TABLE families ADD COLUMN search_name text COLLATE "C"
    GENERATED ALWAYS AS (' ' || search_fold(name) || ' ') STORED;
CREATE INDEX families_by_name ON families (search_name, id);
CREATE INDEX families_name_trigrams ON families USING gin (search_name gin_trgm_ops)
    WITH (gin_pending_list_limit = 256);

-- Name, e-mail, postal code, city and the children's names, folded.
ALTER TABLE families ADD COLUMN search_text text COLLATE "C" NOT NULL DEFAULT '';
CREATE FUNCTION family_search_text(family uuid, name text, email text, postal_code text,
                                   city text) RETURNS text
LANGUAGE sql STABLE
RETURN ' ' || search_fold(concat_ws(' ', name, email, postal_code, city,
    (SELECT string_agg(c.first_name || ' ' || c.last_name, ' ' ORDER BY c.birth_date, c.id)
     FROM children c WHERE c.family_id = family))) || ' ';

-- The database keeps the search text, rather than each use case: every writer (the service,
-- the scale fixture's bulk SQL, a migration, an operator's fix) leaves it right, in the
-- writer's own transaction. A child's trigger updates its family's row, which every use case
-- has already locked (the family first, then its children), so no new lock order appears.
CREATE FUNCTION families_search_text() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN  -- no child yet: its row needs the family's
        NEW.search_text := ' ' || search_fold(concat_ws(' ', NEW.name, NEW.email,
                                                        NEW.postal_code, NEW.city)) || ' ';
    ELSE
        NEW.search_text := family_search_text(NEW.id, NEW.name, NEW.email, NEW.postal_code,
                                              NEW.city);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER families_search_text BEFORE INSERT OR UPDATE OF name, email, postal_code, city
    ON families FOR EACH ROW EXECUTE FUNCTION families_search_text();

-- Statement-level, with the changed rows as a table: a bulk insert of children refreshes each
-- family once, in one UPDATE.
CREATE FUNCTION children_search_text() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE families f
        SET search_text = family_search_text(f.id, f.name, f.email, f.postal_code, f.city)
        WHERE f.id IN (SELECT family_id FROM new_rows);
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE families f
        SET search_text = family_search_text(f.id, f.name, f.email, f.postal_code, f.city)
        WHERE f.id IN (SELECT family_id FROM old_rows);
    ELSE
        -- Only when a name or the family changed (not for a diet or a doctor's phone).
        UPDATE families f
        SET search_text = family_search_text(f.id, f.name, f.email, f.postal_code, f.city)
        WHERE f.id IN (
            SELECT unnest(ARRAY[n.family_id, o.family_id])
            FROM new_rows n JOIN old_rows o ON o.id = n.id
            WHERE (n.first_name, n.last_name, n.family_id)
                  IS DISTINCT FROM (o.first_name, o.last_name, o.family_id));
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER children_search_text_insert AFTER INSERT ON children
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION children_search_text();
CREATE TRIGGER children_search_text_update AFTER UPDATE ON children
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION children_search_text();
CREATE TRIGGER children_search_text_delete AFTER DELETE ON children
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION children_search_text();

UPDATE families f
SET search_text = family_search_text(f.id, f.name, f.email, f.postal_code, f.city);

CREATE INDEX families_text_trigrams ON families USING gin (search_text gin_trgm_ops)
    WITH (gin_pending_list_limit = 256);
