-- Separated parents (issue 11): a child in up to two households, and how they share its days.
-- A household unlinked from a child keeps its membership row, ended: its past reservations
-- stay its own and visible, but it no longer opens the child's planning nor books or cancels.
-- The custody pattern is the families service's, carried by the child's events: under
-- alternate weeks, `even_weeks_family_id` has the even ISO weeks and the other household the
-- odd ones; « libre » (free) or none restricts nothing.
ALTER TABLE memberships ADD COLUMN ended_at timestamptz;

ALTER TABLE children
    ADD COLUMN custody_pattern text CHECK (custody_pattern IN ('free', 'alternate_weeks')),
    ADD COLUMN even_weeks_family_id uuid;
