-- The lottery (issue 13, point 3): a period allotted by « tirage au sort » takes requests
-- until `draw_at` as lines « en attente du tirage » (state `drawing`, holding no place), then
-- one draw — recorded with its seed, algorithm, inputs and order, so it can be replayed and
-- audited — decides them line by line with the same rules and counters as first-come.
ALTER TABLE periods ADD COLUMN draw_at timestamptz;

ALTER TABLE lines DROP CONSTRAINT lines_state_check;
ALTER TABLE lines ADD CONSTRAINT lines_state_check
    CHECK (state IN ('accepted', 'requested', 'waiting', 'offered', 'refused', 'cancelled',
                     'drawing'));
ALTER TABLE reservations DROP CONSTRAINT reservations_state_check;
ALTER TABLE reservations ADD CONSTRAINT reservations_state_check
    CHECK (state IN ('accepted', 'pending', 'partial', 'refused', 'cancel_requested',
                     'cancelled', 'waiting', 'drawing'));

-- A line awaiting the draw is a live booking: a child still holds one per day and unit.
DROP INDEX lines_one_live_booking;
CREATE UNIQUE INDEX lines_one_live_booking ON lines (child_id, unit_id, day)
    WHERE kind = 'book' AND state IN ('accepted', 'requested', 'waiting', 'offered', 'drawing');
CREATE INDEX lines_drawing ON lines (period_id) WHERE state = 'drawing';

-- One draw per period (the primary key): a second click finds it made. `entries` are the
-- inputs in draw order (reservation, family, submitted_at, entered the draw or came after
-- the deadline), `results` the counts per unit: with `seed` and `algorithm`, what an auditor
-- needs to replay the order.
CREATE TABLE draws (
    period_id uuid PRIMARY KEY REFERENCES periods (id),
    deadline timestamptz NOT NULL,
    seed text NOT NULL,
    algorithm text NOT NULL,
    drawn_at timestamptz NOT NULL,
    drawn_by text NOT NULL,
    drawn_by_role text NOT NULL,
    entries jsonb NOT NULL,
    results jsonb NOT NULL
);
