"""Scale fixture: N generated families with 1–3 children each, in bulk SQL (generate_series).

For measuring the staff's search and lists at city scale (`bench/cases/staff_search.py`),
never for the demo: these families have no parent account, and no event is written for them
(auth would invite 50,000 parents, reservations and billing would copy them).
"""

import secrets
import time
from dataclasses import dataclass

from services.common.db import Conn

# A mild skew over the most common French surnames, so a common name (« Martin ») finds about
# a thousand families among 50,000, as a city's file would.
SURNAMES = [
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
    "Laurent", "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand", "Morel",
    "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent",
    "Müller", "Lefebvre", "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier",
    "Chevalier", "François", "Legrand", "Gauthier", "Garcia", "Perrin", "Robin", "Clément",
    "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson", "Marchand", "Duval",
    "Denis", "Dumont", "Marie", "Lemaire", "Noël", "Meyer", "Dufour", "Meunier", "Brun",
    "Blanchard", "Giraud", "Joly", "Rivière", "Lucas", "Brunet", "Gaillard", "Barbier",
    "Arnaud", "Martínez", "Gérard", "Roche", "Renard", "Schmitt", "Roy", "Leroux", "Colin",
    "Vidal", "Caron", "Picard", "Roger", "Fabre", "Aubert", "Lemoine", "Renaud", "Dumas",
    "Lacroix", "Olivier", "Philippe", "Bourgeois", "Pierre", "Benoît", "Rey", "Leclerc",
    "Payet", "Rolland", "Leclercq", "Guillaume", "Lecomte", "López", "Jean", "Dupuy",
    "Guillot", "Hubert", "Berger", "Carpentier", "Sánchez", "Dupuis", "Moulin", "Louis",
    "Deschamps", "Huet", "Vasseur", "Perez", "Boucher", "Fleury", "Royer", "Klein", "Jacquet",
    "Adam", "Paris", "Poirier", "Marty", "Aubry", "Guyot", "Carré", "Charles", "Renault",
    "Charpentier", "Ménard", "Maillard", "Baron", "Bertin", "Bailly", "Hervé", "Schneider",
    "Fernandez", "Le Gall", "Collet", "Léger", "Bouvier", "Julien", "Prévost", "Millet",
    "Perrot", "Daniel", "Le Roux", "Cousin", "Germain", "Breton", "Besson", "Langlois", "Rémy",
    "Le Goff", "Pelletier", "Lévêque", "Perrier", "Leblanc", "Barré", "Lebrun", "Marchal",
    "Weber", "Mallet", "Hamon", "Boulanger", "Jacob", "Monnier", "Michaud", "Rodriguez",
    "Étienne", "Grondin", "Poulain", "Tessier", "Chauvin", "Da Silva", "Bouchet", "Lemaître",
    "Bénard", "Maréchal", "Humbert", "Reynaud", "Hoarau", "Barthélemy", "Cordier", "Pichon",
    "Lejeune", "Delaunay", "Pasquier", "Laporte", "Ollivier", "Camus", "Bérard", "Vallée",
]
GIRLS = [
    "Léa", "Chloé", "Manon", "Emma", "Inès", "Jade", "Louise", "Zoé", "Lina", "Camille", "Léna",
    "Anaïs", "Clémence", "Maëlys", "Noémie", "Océane", "Éloïse", "Hélène", "Agathe", "Anaëlle",
    "Mathilde", "Juliette", "Rose", "Alice", "Ambre", "Romane", "Margaux", "Lou", "Jeanne",
    "Célia", "Salomé", "Héloïse", "Bérénice", "Maïwenn", "Apolline", "Capucine",
]
BOYS = [
    "Hugo", "Lucas", "Louis", "Gabriel", "Arthur", "Jules", "Raphaël", "Léo", "Nathan", "Théo",
    "Noé", "Timothée", "Maël", "Enzo", "Mathéo", "Adam", "Aurélien", "Joël", "Loïc", "Gaëtan",
    "Valentin", "Côme", "Éloi", "Noah", "Sacha", "Baptiste", "Benoît", "Clément", "Antoine",
    "Jérémie", "Gaël", "Anatole", "Célestin", "Térence", "Nolan", "Élie",
]
# Communes of the Clermontais and the rest of the Hérault, with their postal codes.
CITIES = [
    ("Clermont-l'Hérault", "34800"), ("Canet", "34800"), ("Ceyras", "34800"),
    ("Brignac", "34800"), ("Nébian", "34800"), ("Aspiran", "34800"), ("Lacoste", "34800"),
    ("Liausson", "34800"), ("Mourèze", "34800"), ("Octon", "34800"), ("Salasc", "34800"),
    ("Villeneuvette", "34800"), ("Cabrières", "34800"), ("Péret", "34800"),
    ("Paulhan", "34230"), ("Usclas-d'Hérault", "34230"), ("Saint-Félix-de-Lodez", "34725"),
    ("Saint-André-de-Sangonis", "34725"), ("Saint-Guiraud", "34725"), ("Gignac", "34150"),
    ("Aniane", "34150"), ("Lodève", "34700"), ("Le Bosc", "34700"), ("Fontès", "34320"),
    ("Montpellier", "34000"), ("Béziers", "34500"), ("Pézenas", "34120"), ("Sète", "34200"),
    ("Lunel", "34400"), ("Agde", "34300"), ("Lattes", "34970"), ("Frontignan", "34110"),
    ("Mèze", "34140"), ("Saint-Jean-de-Védas", "34430"), ("Castelnau-le-Lez", "34170"),
    ("Saint-Martin-de-Londres", "34380"), ("Saint-Pons-de-Thomières", "34220"),
    ("Bédarieux", "34600"), ("Clapiers", "34830"), ("Grabels", "34790"),
]
STREETS = [
    "rue des Oliviers", "avenue de la Gare", "place de la République", "chemin des Vignes",
    "rue Jean Jaurès", "impasse des Écoles", "boulevard Gambetta", "rue du Château",
    "allée des Platanes", "route de Lodève", "rue de l'Église", "avenue Frédéric Mistral",
]
LEVELS = ["PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2", "6e", "5e", "4e", "3e"]

# One row per family to generate, drawn once so every table agrees. `tag` keeps the e-mails
# of two runs apart (they are unique).
DRAW = """
CREATE TEMP TABLE scale_families ON COMMIT DROP AS
SELECT i, gen_random_uuid() AS id,
       ($2::text[])[1 + floor(array_length($2::text[], 1) * random() ^ 1.4)::int] AS surname,
       1 + floor(random() * array_length($3::text[], 1))::int AS city,
       now() - random() * interval '3 years' AS created_at,
       1 + floor(random() * 3)::int AS children,
       random() < 0.6 AS two_guardians
FROM generate_series(1, $1::int) AS i
"""
SEED = "SELECT setseed($1::float8)"
FAMILIES = """
INSERT INTO families (id, name, email, address_line1, postal_code, city, phone_mobile, qf,
                      created_at, updated_at)
SELECT s.id, 'Famille ' || s.surname,
       replace(search_fold(($3::text[])[1 + s.i % array_length($3::text[], 1)]), ' ', '-')
           || '.' || replace(search_fold(s.surname), ' ', '-') || '.' || s.i || '.' || $4
           || '@example.org',
       (1 + s.i % 97) || ' ' || ($5::text[])[1 + s.i % array_length($5::text[], 1)],
       ($1::text[])[s.city], ($2::text[])[s.city],
       '06 ' || lpad((s.i % 100)::text, 2, '0') || ' ' || lpad((s.i / 100 % 100)::text, 2, '0')
           || ' ' || lpad((s.i / 10000 % 100)::text, 2, '0') || ' 00',
       CASE WHEN s.i % 5 = 0 THEN NULL ELSE 200 + (s.i * 37) % 1800 END,
       s.created_at, s.created_at
FROM scale_families s
"""
GUARDIANS = """
INSERT INTO guardians (family_id, position, civility, last_name, first_name, relationship)
SELECT s.id, g.position, CASE g.position WHEN 1 THEN 'Madame' ELSE 'Monsieur' END, s.surname,
       CASE g.position WHEN 1 THEN ($1::text[])[1 + s.i % array_length($1::text[], 1)]
            ELSE ($2::text[])[1 + s.i % array_length($2::text[], 1)] END,
       CASE g.position WHEN 1 THEN 'mère' ELSE 'père' END
FROM scale_families s
CROSS JOIN LATERAL generate_series(1, CASE WHEN s.two_guardians THEN 2 ELSE 1 END)
    AS g(position)
"""
CHILDREN = """
INSERT INTO children (id, family_id, last_name, first_name, birth_date, sex, school_level,
                      created_at, updated_at)
SELECT gen_random_uuid(), s.id, s.surname,
       CASE WHEN c.sex = 'F'
            THEN ($1::text[])[1 + floor(random() * array_length($1::text[], 1))::int]
            ELSE ($2::text[])[1 + floor(random() * array_length($2::text[], 1))::int] END,
       c.birth_date, c.sex,
       ($3::text[])[least(12, greatest(1, extract(year FROM age(c.birth_date))::int - 2))],
       s.created_at, s.created_at
FROM scale_families s
CROSS JOIN LATERAL (
    SELECT n, CASE WHEN random() < 0.5 THEN 'F' ELSE 'M' END AS sex,
           (current_date - 365 * 3 - floor(random() * 365 * 12)::int) AS birth_date
    FROM generate_series(1, s.children) AS n) AS c
"""
# Each child in its family's household (the search text follows, in one statement).
HOUSEHOLDS = """
INSERT INTO child_households (child_id, family_id, slot, linked_at)
SELECT c.id, c.family_id, 1, c.created_at
FROM children c JOIN scale_families s ON s.id = c.family_id
"""
# Every other family has a change awaiting validation: a queue deep enough to page through.
REQUESTS = """
INSERT INTO change_requests (id, family_id, target, child_id, changes, created_by, created_at)
SELECT gen_random_uuid(), s.id, 'family', NULL,
       jsonb_build_array(jsonb_build_object(
           'field', 'phone_home', 'label', 'Téléphone du domicile', 'old', NULL,
           'new', '04 67 ' || lpad((s.i % 100)::text, 2, '0') || ' '
                  || lpad((s.i / 100 % 100)::text, 2, '0') || ' 00')),
       'seed-scale', now() - (s.i || ' seconds')::interval
FROM scale_families s
WHERE s.i % 2 = 0
"""
# The journal: each opening and each request submitted (75,000 entries for 50,000 families, so
# its page 2,000 exists).
AUDIT = """
INSERT INTO audit_entries (at, actor_sub, actor_role, action, family_id, target_type,
                           target_id, details)
SELECT s.created_at, 'seed-scale', 'system', 'family.created', s.id, 'family', s.id,
       jsonb_build_object('values', jsonb_build_object('name', 'Famille ' || s.surname))
FROM scale_families s
UNION ALL
SELECT r.created_at, 'seed-scale', 'parent', 'change_request.submitted', r.family_id,
       'change_request', r.id, jsonb_build_object('target', 'family', 'changes', r.changes)
FROM change_requests r JOIN scale_families s ON s.id = r.family_id
"""
VACUUM = ("VACUUM (ANALYZE) families, guardians, children, child_households, change_requests, "
          "audit_entries")
# Bulk loading, as PostgreSQL's manual advises (« Populating a Database »): the trigram indexes
# are dropped for the load and built again after it, from their own definitions — much faster
# than updating them row by row. The triggers stay: the database still writes the search text.
TRIGRAM_INDEXES = """
SELECT indexname, indexdef FROM pg_indexes
WHERE schemaname = current_schema() AND tablename = 'families' AND indexdef LIKE '%gin_trgm_ops%'
"""


@dataclass(frozen=True)
class Seeded:
    families: int
    children: int
    requests: int
    audit_entries: int
    seconds: float


async def seed_scale(conn: Conn, *, families: int, seed: float = 0.42,
                     tag: str | None = None) -> Seeded:
    """Add `families` generated families (1–3 children each, every other one with a pending
    change request, their audit entries) in one transaction, then vacuum and analyse: the
    state of a database in service (statistics, visibility map). The families table is locked
    while it runs: a database of its own, never one in use."""
    started = time.perf_counter()
    tag = tag or secrets.token_hex(3)  # a second run's e-mails differ from the first's
    async with conn.transaction():
        indexes = await conn.fetch(TRIGRAM_INDEXES)
        for index in indexes:
            await conn.execute(f'DROP INDEX "{index["indexname"]}"')
        await conn.execute(SEED, seed)
        cities = [c for c, _ in CITIES]
        codes = [p for _, p in CITIES]
        await conn.execute(DRAW, families, SURNAMES, cities)
        await conn.execute(FAMILIES, codes, cities, GIRLS + BOYS, tag, STREETS)
        await conn.execute(GUARDIANS, GIRLS, BOYS)
        children = _count(await conn.execute(CHILDREN, GIRLS, BOYS, LEVELS))
        await conn.execute(HOUSEHOLDS)
        requests = _count(await conn.execute(REQUESTS))
        audit = _count(await conn.execute(AUDIT))
        for index in indexes:
            await conn.execute(index["indexdef"])
    await conn.execute(VACUUM)
    return Seeded(families=families, children=children, requests=requests,
                  audit_entries=audit, seconds=round(time.perf_counter() - started, 1))


def _count(status: str) -> int:
    """Rows of an `INSERT 0 n` status."""
    return int(status.rsplit(" ", 1)[-1])
