-- Family file: families with their guardians and contacts, children, the change requests that
-- parents submit and staff decide, and the audit trail of decisions and applied changes.
-- Parents' edits never touch the file directly: they wait in change_requests until approved.
-- unaccent lets staff find « Hélène » by typing « helene » (a trusted extension since PG 13).
CREATE EXTENSION IF NOT EXISTS unaccent;

CREATE TABLE families (
    id uuid PRIMARY KEY,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- The parent's login: set at creation, then follows auth.email_changed.
    email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    address_line1 text NOT NULL,
    address_line2 text,
    postal_code text NOT NULL CHECK (postal_code ~ '^[0-9]{5}$'),
    city text NOT NULL,
    phone_home text,
    phone_mobile text,
    phone_work text,
    caf_number text CHECK (caf_number ~ '^[0-9]{1,10}$'),
    -- Quotient familial, set by staff from the CAF attestation; prices depend on it.
    qf integer CHECK (qf BETWEEN 0 AND 100000),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- Bumped by every change, for optimistic checks (If-Match).
    version integer NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX families_email ON families (lower(email));

-- Up to two legal guardians, in the order the family gave them.
CREATE TABLE guardians (
    family_id uuid NOT NULL REFERENCES families ON DELETE CASCADE,
    position smallint NOT NULL CHECK (position IN (1, 2)),
    civility text NOT NULL CHECK (civility IN ('Madame', 'Monsieur')),
    last_name text NOT NULL,
    first_name text NOT NULL,
    relationship text NOT NULL,
    phone_mobile text,
    phone_home text,
    phone_work text,
    email text,
    employer text,
    PRIMARY KEY (family_id, position)
);

-- People to call in an emergency, and people allowed to pick the children up.
CREATE TABLE contacts (
    family_id uuid NOT NULL REFERENCES families ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('emergency', 'pickup')),
    position smallint NOT NULL CHECK (position BETWEEN 1 AND 10),
    name text NOT NULL,
    relationship text NOT NULL,
    phone text NOT NULL,
    PRIMARY KEY (family_id, kind, position)
);

CREATE TABLE children (
    id uuid PRIMARY KEY,
    family_id uuid NOT NULL REFERENCES families ON DELETE CASCADE,
    last_name text NOT NULL,
    first_name text NOT NULL,
    birth_date date NOT NULL,
    sex text NOT NULL CHECK (sex IN ('F', 'M')),
    school text,
    school_level text,
    diet text NOT NULL DEFAULT 'none'
        CHECK (diet IN ('none', 'no_pork', 'vegetarian', 'no_meat', 'other')),
    diet_detail text,
    -- Health data (allergies, PAI, doctor): shown only to the family and staff.
    allergies text,
    pai boolean NOT NULL DEFAULT false,
    pai_details text,
    doctor_name text,
    doctor_phone text,
    image_rights_consent boolean NOT NULL DEFAULT false,
    allowed_to_leave_alone boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1
);
CREATE INDEX children_family ON children (family_id);

-- A parent's proposed change: `changes` is [{field, label, old, new}] against the values in
-- force at submission, so approval can tell when the base changed meanwhile (a conflict).
CREATE TABLE change_requests (
    id uuid PRIMARY KEY,
    family_id uuid NOT NULL REFERENCES families ON DELETE CASCADE,
    target text NOT NULL CHECK (target IN ('family', 'child', 'new_child')),
    -- The child changed, or the id the new child gets when approved.
    child_id uuid,
    changes jsonb NOT NULL,
    state text NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'approved', 'rejected', 'superseded')),
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    decided_by text,
    decided_at timestamptz,
    comment text,
    -- Deferred: the newer request is inserted after the older one stops being pending.
    superseded_by uuid REFERENCES change_requests DEFERRABLE INITIALLY DEFERRED,
    CHECK ((target = 'family') = (child_id IS NULL))
);
CREATE INDEX change_requests_family ON change_requests (family_id, created_at);
CREATE INDEX change_requests_queue ON change_requests (state, created_at);
-- At most one pending request per family file or child: a newer one supersedes it.
CREATE UNIQUE INDEX change_requests_one_pending
    ON change_requests (family_id, COALESCE(child_id, family_id))
    WHERE state = 'pending' AND target <> 'new_child';

-- Who did what, when: staff decisions, applied changes, QF changes, creations, e-mail updates.
-- No foreign key: the trail must outlive what it describes. Details may hold health fields:
-- only staff read this table through the API, and it is never logged.
CREATE TABLE audit_entries (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_sub text NOT NULL,
    actor_role text NOT NULL,
    action text NOT NULL,
    family_id uuid,
    target_type text NOT NULL,
    target_id uuid,
    details jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_entries_family ON audit_entries (family_id, at);
