-- Billing: read models fed by events (families, reservation lines), tariffs by QF bracket,
-- issued invoices and credit notes (immutable, enforced here), payments and their
-- allocations, the gapless numbering counters and the cache of rendered documents.

-- ---- read models (events; apply only a newer entity_version) -----------------------------
-- What billing knows of a family: from families.family_updated (entity_version > 0), or, until
-- that event arrives, the name and e-mail the reservation events carry (entity_version 0).
CREATE TABLE families (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    email text NOT NULL,
    address_line1 text,
    address_line2 text,
    postal_code text,
    city text,
    qf integer,
    entity_version integer NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Reservation lines (one day × unit of a child), as the reservations service last described
-- them. `billable` is that service's rule applied: accepted, or cancelled late when billed.
CREATE TABLE lines (
    id uuid PRIMARY KEY,
    reservation_id uuid NOT NULL,
    reservation_number text NOT NULL,
    family_id uuid NOT NULL,
    child_id uuid NOT NULL,
    child_first_name text NOT NULL,
    child_last_name text NOT NULL,
    child_birth_date date NOT NULL,
    date date NOT NULL,
    unit_id uuid NOT NULL,
    unit_label text NOT NULL,
    establishment_id uuid NOT NULL,
    establishment_name text NOT NULL,
    kind text NOT NULL,
    state text NOT NULL,
    late boolean NOT NULL DEFAULT false,
    billable boolean NOT NULL,
    entity_version integer NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lines_billable_by_date ON lines (date, family_id) WHERE billable AND kind = 'book';

-- ---- tariffs ---------------------------------------------------------------------------
-- A price per establishment and unit, by QF bracket, in force from `valid_from` (the tariff
-- of a day is the latest one in force that day). The establishment and unit are the
-- reservations catalogue's, their names kept for documents.
CREATE TABLE tariffs (
    id uuid PRIMARY KEY,
    establishment_id uuid NOT NULL,
    establishment_name text NOT NULL,
    unit_id uuid NOT NULL,
    unit_label text NOT NULL,
    valid_from date NOT NULL,
    -- Percentage off for the second child and the following ones (0: none).
    sibling_reduction_percent integer NOT NULL DEFAULT 0
        CHECK (sibling_reduction_percent BETWEEN 0 AND 100),
    -- Childcare (« frais de garde ») counts for the tax certificate; meals do not.
    childcare boolean NOT NULL DEFAULT true,
    -- Brackets: [{"qf_max": 450 | null, "price_cents": 850}, …], ascending, the last open.
    brackets jsonb NOT NULL,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (unit_id, valid_from)
);
CREATE INDEX tariffs_establishment ON tariffs (establishment_name, unit_label, valid_from);

-- ---- numbering -------------------------------------------------------------------------
-- One counter row per kind and year. It is incremented in the transaction that inserts the
-- document: the row lock makes concurrent issuers wait for each other, and a rollback undoes
-- the increment with the document, so numbers have no gap and no duplicate (a SEQUENCE would
-- leave a gap on every rollback).
CREATE TABLE number_counters (
    kind text NOT NULL CHECK (kind IN ('F', 'A')),
    year integer NOT NULL,
    last integer NOT NULL CHECK (last >= 0),
    PRIMARY KEY (kind, year)
);

-- ---- invoices and credit notes (immutable once issued) ----------------------------------
CREATE TABLE invoicing_runs (
    id uuid PRIMARY KEY,
    month date NOT NULL CHECK (extract(day FROM month) = 1),
    started_by text NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    invoices integer NOT NULL,
    credit_notes integer NOT NULL,
    total_cents bigint NOT NULL
);

CREATE TABLE invoices (
    id uuid PRIMARY KEY,
    number text NOT NULL UNIQUE CHECK (number ~ '^F-[0-9]{4}-[0-9]{6}$'),
    year integer NOT NULL,
    seq integer NOT NULL CHECK (seq > 0),
    family_id uuid NOT NULL,
    month date NOT NULL CHECK (extract(day FROM month) = 1),
    run_id uuid REFERENCES invoicing_runs,
    issued_at timestamptz NOT NULL,
    due_date date NOT NULL,
    total_cents integer NOT NULL CHECK (total_cents >= 0),
    -- The family as it was at issue (the document never changes afterwards).
    family_name text NOT NULL,
    email text NOT NULL,
    address_line1 text,
    address_line2 text,
    postal_code text,
    city text,
    qf integer,
    UNIQUE (year, seq)
);
CREATE INDEX invoices_family ON invoices (family_id, issued_at DESC, id DESC);
CREATE INDEX invoices_issued ON invoices (issued_at DESC, id DESC);

-- One billed reservation line: a line is billed once (UNIQUE line_id).
CREATE TABLE invoice_items (
    id uuid PRIMARY KEY,
    invoice_id uuid NOT NULL REFERENCES invoices,
    line_id uuid NOT NULL UNIQUE,
    child_id uuid NOT NULL,
    child_first_name text NOT NULL,
    child_last_name text NOT NULL,
    child_birth_date date NOT NULL,
    date date NOT NULL,
    establishment_id uuid NOT NULL,
    establishment_name text NOT NULL,
    unit_id uuid NOT NULL,
    unit_label text NOT NULL,
    -- Bracket price, then the price after the sibling reduction.
    base_price_cents integer NOT NULL CHECK (base_price_cents >= 0),
    reduction_percent integer NOT NULL CHECK (reduction_percent BETWEEN 0 AND 100),
    price_cents integer NOT NULL CHECK (price_cents >= 0),
    childcare boolean NOT NULL,
    late_cancellation boolean NOT NULL
);
CREATE INDEX invoice_items_invoice ON invoice_items (invoice_id, child_last_name,
                                                     child_first_name, unit_label, date);

CREATE TABLE credit_notes (
    id uuid PRIMARY KEY,
    number text NOT NULL UNIQUE CHECK (number ~ '^A-[0-9]{4}-[0-9]{6}$'),
    year integer NOT NULL,
    seq integer NOT NULL CHECK (seq > 0),
    invoice_id uuid NOT NULL REFERENCES invoices,
    family_id uuid NOT NULL,
    run_id uuid REFERENCES invoicing_runs,
    issued_at timestamptz NOT NULL,
    issued_by text NOT NULL,
    reason text NOT NULL,
    total_cents integer NOT NULL CHECK (total_cents > 0),
    UNIQUE (year, seq)
);
CREATE INDEX credit_notes_invoice ON credit_notes (invoice_id);
CREATE INDEX credit_notes_family ON credit_notes (family_id, issued_at DESC);

-- An invoice item credited (whole: an item is credited at most once).
CREATE TABLE credit_note_items (
    credit_note_id uuid NOT NULL REFERENCES credit_notes,
    invoice_item_id uuid NOT NULL UNIQUE REFERENCES invoice_items,
    amount_cents integer NOT NULL CHECK (amount_cents >= 0),
    PRIMARY KEY (credit_note_id, invoice_item_id)
);

-- Issued documents never change: corrections are credit notes. Enforced here too, so no code
-- path (nor a hand-typed UPDATE) can alter or remove one.
CREATE FUNCTION refuse_change_of_issued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are immutable once issued', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;
CREATE TRIGGER invoices_immutable BEFORE UPDATE OR DELETE ON invoices
    FOR EACH ROW EXECUTE FUNCTION refuse_change_of_issued();
CREATE TRIGGER invoice_items_immutable BEFORE UPDATE OR DELETE ON invoice_items
    FOR EACH ROW EXECUTE FUNCTION refuse_change_of_issued();
CREATE TRIGGER credit_notes_immutable BEFORE UPDATE OR DELETE ON credit_notes
    FOR EACH ROW EXECUTE FUNCTION refuse_change_of_issued();
CREATE TRIGGER credit_note_items_immutable BEFORE UPDATE OR DELETE ON credit_note_items
    FOR EACH ROW EXECUTE FUNCTION refuse_change_of_issued();
CREATE TRIGGER invoices_no_truncate BEFORE TRUNCATE ON invoices
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_of_issued();
CREATE TRIGGER invoice_items_no_truncate BEFORE TRUNCATE ON invoice_items
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_of_issued();
CREATE TRIGGER credit_notes_no_truncate BEFORE TRUNCATE ON credit_notes
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_of_issued();
CREATE TRIGGER credit_note_items_no_truncate BEFORE TRUNCATE ON credit_note_items
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_of_issued();

-- ---- payments --------------------------------------------------------------------------
-- State: pending (en cours), validated (validé), refused (refusé), cancelled (annulé: abandoned
-- or expired), refunded (remboursé). Only a validated payment counts towards invoices.
CREATE TABLE payments (
    id uuid PRIMARY KEY,
    family_id uuid NOT NULL,
    method text NOT NULL CHECK (method IN ('online', 'cheque', 'cash', 'cesu',
                                           'holiday_vouchers', 'direct_debit')),
    amount_cents integer NOT NULL CHECK (amount_cents > 0),
    state text NOT NULL CHECK (state IN ('pending', 'validated', 'refused', 'cancelled',
                                         'refunded')),
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text NOT NULL,
    settled_at timestamptz,
    -- Why it ended as it did (provider result, expiry, refund), for staff.
    outcome text,
    -- Offline: the cheque number or voucher reference, the day it was received.
    reference text,
    received_on date,
    -- Online (provider PayFiP): our debt reference, the provider's operation id.
    provider text,
    refdet text UNIQUE,
    operation_id text UNIQUE,
    payer_email text,
    provider_result text,
    authorisation text,
    -- Background checks of unfinished online payments.
    next_check_at timestamptz,
    checks integer NOT NULL DEFAULT 0,
    version integer NOT NULL DEFAULT 1,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (method <> 'online' OR (provider IS NOT NULL AND refdet IS NOT NULL))
);
CREATE INDEX payments_family ON payments (family_id, created_at DESC, id DESC);
CREATE INDEX payments_to_check ON payments (next_check_at) WHERE state = 'pending';

-- Which invoices a payment settles, and how much of each (set when the payment is made).
CREATE TABLE payment_allocations (
    payment_id uuid NOT NULL REFERENCES payments,
    invoice_id uuid NOT NULL REFERENCES invoices,
    amount_cents integer NOT NULL CHECK (amount_cents > 0),
    PRIMARY KEY (payment_id, invoice_id)
);
CREATE INDEX payment_allocations_invoice ON payment_allocations (invoice_id);

-- ---- rendered documents ----------------------------------------------------------------
-- A PDF is rendered once per content: `content_hash` covers everything printed (invoice,
-- payments allocated, credit notes, letterhead), so a new payment gives a new version and
-- the same one is never rendered twice. In the database rather than on disk: every replica
-- sees it, it is backed up with the invoices it shows, and it needs no shared volume.
CREATE TABLE documents (
    owner_id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('invoice', 'credit_note', 'tax_certificate')),
    content_hash text NOT NULL,
    pdf bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (owner_id, kind, content_hash)
);
