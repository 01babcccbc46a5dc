-- Reservations: the catalogue (establishments, units, periods, capacities), the read model of
-- families and children fed by the families events, reservations and their lines, the
-- waiting list's offers, the planning selections and the idempotency keys of submissions.

-- ---- catalogue ------------------------------------------------------------------------------
CREATE TABLE establishments (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('accueil_de_loisirs', 'periscolaire')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE units (
    id uuid PRIMARY KEY,
    establishment_id uuid NOT NULL REFERENCES establishments (id),
    code text NOT NULL,
    label text NOT NULL,
    position integer NOT NULL DEFAULT 0,
    active boolean NOT NULL DEFAULT true,
    UNIQUE (establishment_id, code)
);

-- Units that cannot be booked together on one day; stored in both directions (symmetric).
CREATE TABLE unit_exclusions (
    unit_id uuid NOT NULL REFERENCES units (id),
    excluded_id uuid NOT NULL REFERENCES units (id),
    PRIMARY KEY (unit_id, excluded_id),
    CHECK (unit_id <> excluded_id)
);

CREATE TABLE periods (
    id uuid PRIMARY KEY,
    establishment_id uuid NOT NULL REFERENCES establishments (id),
    name text NOT NULL,
    start_date date NOT NULL,
    end_date date NOT NULL,
    -- ISO weekdays (1 = Monday … 7 = Sunday) the establishment opens.
    weekdays smallint[] NOT NULL,
    closures date[] NOT NULL DEFAULT '{}',
    min_age smallint,
    max_age smallint,
    school_levels text[] NOT NULL DEFAULT '{}',
    opens_at timestamptz NOT NULL,
    closes_at timestamptz NOT NULL,
    auto_days integer NOT NULL,
    request_days integer NOT NULL,
    day_count text NOT NULL CHECK (day_count IN ('calendar', 'working')),
    bill_late_cancellations boolean NOT NULL DEFAULT false,
    allocation text NOT NULL DEFAULT 'fcfs' CHECK (allocation IN ('fcfs', 'lottery')),
    offer_hours integer NOT NULL DEFAULT 48,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (end_date >= start_date),
    CHECK (closes_at > opens_at),
    CHECK (0 <= request_days AND request_days <= auto_days)
);
CREATE INDEX periods_establishment ON periods (establishment_id, start_date);

-- The units a period offers and their default capacity per day.
CREATE TABLE period_units (
    period_id uuid NOT NULL REFERENCES periods (id),
    unit_id uuid NOT NULL REFERENCES units (id),
    capacity integer NOT NULL CHECK (capacity >= 0),
    capacity_under6 integer CHECK (capacity_under6 >= 0),
    capacity_over6 integer CHECK (capacity_over6 >= 0),
    PRIMARY KEY (period_id, unit_id)
);

-- One day's capacity when it differs from the period's default.
CREATE TABLE capacity_overrides (
    period_id uuid NOT NULL,
    unit_id uuid NOT NULL,
    day date NOT NULL,
    capacity integer NOT NULL CHECK (capacity >= 0),
    capacity_under6 integer CHECK (capacity_under6 >= 0),
    capacity_over6 integer CHECK (capacity_over6 >= 0),
    PRIMARY KEY (period_id, unit_id, day),
    FOREIGN KEY (period_id, unit_id) REFERENCES period_units (period_id, unit_id)
);

-- The place counter of one day × unit of a period: the only row every decision on that cell
-- locks, and updates conditionally (`taken < capacity`), so no concurrency can give more
-- places than it holds. `taken` counts the booking lines holding a place (accepted,
-- requested, offered); `queue_seq` numbers the waiting list's arrivals.
CREATE TABLE cells (
    period_id uuid NOT NULL REFERENCES periods (id),
    unit_id uuid NOT NULL REFERENCES units (id),
    day date NOT NULL,
    capacity integer NOT NULL CHECK (capacity >= 0),
    capacity_under6 integer,
    capacity_over6 integer,
    taken integer NOT NULL DEFAULT 0 CHECK (taken >= 0),
    taken_under6 integer NOT NULL DEFAULT 0 CHECK (taken_under6 >= 0),
    taken_over6 integer NOT NULL DEFAULT 0 CHECK (taken_over6 >= 0),
    queue_seq bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (period_id, unit_id, day)
);

-- ---- read model of the families service -----------------------------------------------------
-- Applied only when an event's entity_version is newer than the row's (version 0: demo seed).
CREATE TABLE families (
    id uuid PRIMARY KEY,
    name text NOT NULL DEFAULT '',
    email text NOT NULL DEFAULT '',
    version integer NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE children (
    id uuid PRIMARY KEY,
    first_name text NOT NULL,
    last_name text NOT NULL,
    birth_date date NOT NULL,
    school_level text,
    version integer NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Which households a child belongs to: a relation, since a child may belong to two.
CREATE TABLE memberships (
    family_id uuid NOT NULL,
    child_id uuid NOT NULL REFERENCES children (id),
    since timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (family_id, child_id)
);
CREATE INDEX memberships_child ON memberships (child_id);

-- ---- reservations ---------------------------------------------------------------------------
-- Numbers R-YYYY-NNNNNN: one counter row per year.
CREATE TABLE reservation_counters (
    year integer PRIMARY KEY,
    last integer NOT NULL
);

CREATE TABLE reservations (
    id uuid PRIMARY KEY,
    number text NOT NULL UNIQUE,
    -- The family that booked (the token's), never derived from the child.
    family_id uuid NOT NULL,
    child_id uuid NOT NULL REFERENCES children (id),
    period_id uuid NOT NULL REFERENCES periods (id),
    kind text NOT NULL CHECK (kind IN ('book', 'cancel')),
    state text NOT NULL CHECK (state IN ('accepted', 'pending', 'partial', 'refused',
                                         'cancel_requested', 'cancelled', 'waiting')),
    all_or_nothing boolean NOT NULL DEFAULT false,
    submitted_at timestamptz NOT NULL,
    submitted_by text NOT NULL,
    version integer NOT NULL DEFAULT 1
);
CREATE INDEX reservations_family ON reservations (family_id, submitted_at DESC, id DESC);

CREATE TABLE lines (
    id uuid PRIMARY KEY,
    -- Checked at commit: a submission writes its lines first and its reservation last, right
    -- after taking its number (see submissions.service).
    reservation_id uuid NOT NULL REFERENCES reservations (id) DEFERRABLE INITIALLY DEFERRED,
    family_id uuid NOT NULL,
    child_id uuid NOT NULL REFERENCES children (id),
    period_id uuid NOT NULL REFERENCES periods (id),
    unit_id uuid NOT NULL REFERENCES units (id),
    day date NOT NULL,
    kind text NOT NULL CHECK (kind IN ('book', 'cancel')),
    state text NOT NULL CHECK (state IN ('accepted', 'requested', 'waiting', 'offered',
                                         'refused', 'cancelled')),
    -- A cancel line names the booking line it cancels.
    cancels_line_id uuid REFERENCES lines (id),
    -- Which capacity pool the place comes from when the period splits under/over 6 years.
    under6 boolean NOT NULL DEFAULT false,
    -- A booking cancelled after the free-cancellation deadline (billed if the period says so).
    late boolean NOT NULL DEFAULT false,
    queue_seq bigint,
    queued_at timestamptz,
    offer_expires_at timestamptz,
    comment text,
    decided_at timestamptz,
    decided_by text,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    version integer NOT NULL DEFAULT 1,
    CHECK (kind = 'book' OR cancels_line_id IS NOT NULL)
);
-- A child holds at most one live booking per day and unit, whichever household booked it.
CREATE UNIQUE INDEX lines_one_live_booking ON lines (child_id, unit_id, day)
    WHERE kind = 'book' AND state IN ('accepted', 'requested', 'waiting', 'offered');
-- At most one cancellation awaiting staff per booking line.
CREATE UNIQUE INDEX lines_one_pending_cancel ON lines (cancels_line_id)
    WHERE kind = 'cancel' AND state = 'requested';
CREATE INDEX lines_reservation ON lines (reservation_id);
CREATE INDEX lines_child_period ON lines (child_id, period_id, day);
CREATE INDEX lines_cell ON lines (period_id, unit_id, day) WHERE kind = 'book';
CREATE INDEX lines_waiting ON lines (period_id, unit_id, day, queue_seq) WHERE state = 'waiting';
CREATE INDEX lines_requested ON lines (created_at, id) WHERE state = 'requested';
CREATE INDEX lines_offers_due ON lines (offer_expires_at) WHERE state = 'offered';

-- A waiting line's offer of a freed place; the e-mailed one-time token is kept hashed.
CREATE TABLE offers (
    id uuid PRIMARY KEY,
    line_id uuid NOT NULL REFERENCES lines (id),
    token_hash bytea NOT NULL UNIQUE,
    expires_at timestamptz NOT NULL,
    state text NOT NULL DEFAULT 'open'
        CHECK (state IN ('open', 'accepted', 'declined', 'expired', 'withdrawn')),
    created_at timestamptz NOT NULL DEFAULT now(),
    answered_at timestamptz
);
CREATE UNIQUE INDEX offers_one_open ON offers (line_id) WHERE state = 'open';

-- The planning's server-side selection (survives month changes and the recap).
CREATE TABLE selections (
    family_id uuid NOT NULL,
    child_id uuid NOT NULL,
    period_id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('book', 'cancel')),
    day date NOT NULL,
    unit_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (family_id, child_id, period_id, kind, day, unit_id)
);

-- Idempotency-Key of a submission: the same key returns the same reservation.
CREATE TABLE idempotency_keys (
    family_id uuid NOT NULL,
    key text NOT NULL,
    request_hash text NOT NULL,
    reservation_id uuid REFERENCES reservations (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (family_id, key)
);

-- Who changed the catalogue or decided a line (staff), and what.
CREATE TABLE audit_entries (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    actor_sub text NOT NULL,
    actor_role text NOT NULL,
    action text NOT NULL,
    target_type text NOT NULL,
    target_id uuid,
    details jsonb NOT NULL DEFAULT '{}'
);
