-- SEPA direct debit (issue 14): mandates signed online with a one-time code e-mailed to the
-- family, the debits planned on new invoices, the monthly batches (pain.008 files) and the
-- bank's returns. The full IBAN is stored (the bank file needs it) and shown nowhere else:
-- every other reader takes `iban_masked`.

-- A mandate: pending until its code is entered (signed_at), active until revoked or replaced.
CREATE TABLE mandates (
    id uuid PRIMARY KEY,
    -- Référence unique du mandat, generated (« PF-… »): at most 35 characters, [A-Z0-9-].
    rum text NOT NULL UNIQUE CHECK (rum ~ '^[A-Z0-9-]{1,35}$'),
    family_id uuid NOT NULL,
    holder text NOT NULL,
    iban text NOT NULL,
    iban_masked text NOT NULL,
    bic text,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text NOT NULL,
    signed_at timestamptz,
    revoked_at timestamptz,
    revoked_by text,
    -- The mandate that took this one's place (a new account), when replaced.
    replaced_by uuid REFERENCES mandates,
    version integer NOT NULL DEFAULT 1,
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- At most one active (signed, not revoked) mandate per family, enforced under concurrency.
CREATE UNIQUE INDEX mandates_one_active ON mandates (family_id)
    WHERE signed_at IS NOT NULL AND revoked_at IS NULL;
CREATE INDEX mandates_family ON mandates (family_id, created_at DESC);

-- The one-time code that signs a pending mandate: stored hashed, expiring, a few attempts;
-- a newer code replaces the older one (one row per mandate).
CREATE TABLE mandate_codes (
    mandate_id uuid PRIMARY KEY REFERENCES mandates,
    code_hash text NOT NULL,
    expires_at timestamptz NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    sent_at timestamptz NOT NULL DEFAULT now(),
    -- How many codes were sent for this mandate (resends are throttled).
    sends integer NOT NULL DEFAULT 1
);

-- Debit batches: one file per month and sequence (a month may have several batches).
CREATE TABLE debit_batches (
    id uuid PRIMARY KEY,
    month date NOT NULL CHECK (extract(day FROM month) = 1),
    seq integer NOT NULL CHECK (seq > 0),
    -- The pain.008 message id (GrpHdr/MsgId).
    message_id text NOT NULL UNIQUE,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    debits integer NOT NULL,
    total_cents bigint NOT NULL,
    file bytea NOT NULL,
    UNIQUE (month, seq)
);

-- One invoice to debit: planned when the invoice is issued to a family with an active
-- mandate; in a batch; paid (a validated payment settles the invoice) or rejected by the
-- bank (with its R-code: the invoice is to pay again); cancelled when the mandate is revoked
-- before the batch.
CREATE TABLE debits (
    id uuid PRIMARY KEY,
    invoice_id uuid NOT NULL UNIQUE REFERENCES invoices,
    family_id uuid NOT NULL,
    mandate_id uuid NOT NULL REFERENCES mandates,
    amount_cents integer NOT NULL CHECK (amount_cents > 0),
    planned_on date NOT NULL,
    state text NOT NULL CHECK (state IN ('planned', 'batched', 'paid', 'rejected',
                                         'cancelled')),
    prenotified_at timestamptz,
    batch_id uuid REFERENCES debit_batches,
    sequence_type text CHECK (sequence_type IN ('FRST', 'RCUR')),
    payment_id uuid REFERENCES payments,
    return_code text,
    returned_at timestamptz,
    returned_by text,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX debits_family ON debits (family_id);
CREATE INDEX debits_to_prenotify ON debits (planned_on) WHERE prenotified_at IS NULL
    AND state = 'planned';
CREATE INDEX debits_batch ON debits (batch_id);
CREATE INDEX debits_to_settle ON debits (planned_on) WHERE state = 'batched';
