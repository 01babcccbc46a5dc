-- Sent-mail log: one row per mail handed to the SMTP server, keyed by the event and the
-- recipient's role in it (an e-mail change sends two mails), so that no mail of an event is
-- sent twice, even when another mail of the same event failed and the event is retried.
-- Only the recipient's domain is kept: the address itself is not needed here.
CREATE TABLE sent_mails (
    event_id uuid NOT NULL,
    recipient_kind text NOT NULL,
    event_type text NOT NULL,
    template text NOT NULL,
    recipient_domain text NOT NULL,
    message_id text NOT NULL,
    sent_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, recipient_kind)
);
CREATE INDEX sent_mails_sent_at ON sent_mails (sent_at);
