-- Kernel tables present in every service's database.
-- outbox: events written in the same transaction as the change they describe; the relay
-- publishes them to RabbitMQ and marks them sent.
-- processed_events: the events a consumer has already handled, so a redelivery has no effect.
CREATE TABLE outbox (
    id uuid PRIMARY KEY,
    type text NOT NULL,
    version integer NOT NULL,
    occurred_at timestamptz NOT NULL,
    producer text NOT NULL,
    data jsonb NOT NULL,
    request_id text,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    published_at timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (created_at) WHERE published_at IS NULL;

CREATE TABLE processed_events (
    consumer text NOT NULL,
    event_id uuid NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
