-- PES V2 ORMC exports to the public accountant (Hélios): one batch (bordereau) of a month's
-- issued invoices per file, numbered per budget and year without gap (Hélios checks that
-- IdBord follows the previous one and rejects a duplicate). A draft may be rebuilt or dropped; once
-- marked as sent, the batch, its file and its invoices never change (enforced here), and an
-- invoice is in one batch at most (UNIQUE invoice_id).

CREATE TABLE pes_batches (
    id uuid PRIMARY KEY,
    month date NOT NULL CHECK (extract(day FROM month) = 1),
    budget_code text NOT NULL,
    year integer NOT NULL,
    seq integer NOT NULL CHECK (seq BETWEEN 1 AND 9999999),
    status text NOT NULL CHECK (status IN ('draft', 'sent')),
    filename text NOT NULL,
    -- The file exactly as downloaded: what was sent is what was built, byte for byte.
    xml bytea NOT NULL,
    pieces integer NOT NULL CHECK (pieces > 0),
    total_cents bigint NOT NULL CHECK (total_cents > 0),
    built_by text NOT NULL,
    built_at timestamptz NOT NULL,
    sent_by text,
    sent_at timestamptz,
    CHECK ((status = 'sent') = (sent_at IS NOT NULL AND sent_by IS NOT NULL)),
    UNIQUE (budget_code, year, seq)
);
-- One draft per budget at most: it holds the next number, so sending or abandoning it before
-- preparing another leaves no gap in the sequence.
CREATE UNIQUE INDEX pes_batches_one_draft ON pes_batches (budget_code) WHERE status = 'draft';
CREATE INDEX pes_batches_month ON pes_batches (month, seq);

-- One piece (titre ORMC) per invoice; its amount is what the invoice still claims (total less
-- the credit notes issued before the batch was built).
CREATE TABLE pes_batch_invoices (
    batch_id uuid NOT NULL REFERENCES pes_batches ON DELETE CASCADE,
    invoice_id uuid NOT NULL UNIQUE REFERENCES invoices,
    piece integer NOT NULL CHECK (piece > 0),
    amount_cents integer NOT NULL CHECK (amount_cents > 0),
    PRIMARY KEY (batch_id, invoice_id),
    UNIQUE (batch_id, piece)
);

-- A sent batch is frozen: no update, no deletion, no invoice added or taken out.
CREATE FUNCTION refuse_change_of_sent_pes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    batch uuid;
BEGIN
    IF TG_TABLE_NAME = 'pes_batches' THEN
        batch := OLD.id;
    ELSIF TG_OP = 'INSERT' THEN
        batch := NEW.batch_id;
    ELSE
        batch := OLD.batch_id;
    END IF;
    IF EXISTS (SELECT 1 FROM pes_batches WHERE id = batch AND status = 'sent') THEN
        RAISE EXCEPTION 'PES batch % was sent: it never changes', batch
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER pes_batches_frozen BEFORE UPDATE OR DELETE ON pes_batches
    FOR EACH ROW EXECUTE FUNCTION refuse_change_of_sent_pes();
CREATE TRIGGER pes_batch_invoices_frozen BEFORE INSERT OR UPDATE OR DELETE ON pes_batch_invoices
    FOR EACH ROW EXECUTE FUNCTION refuse_change_of_sent_pes();
