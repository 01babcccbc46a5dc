-- Keyset pages (services.common.pagination): each list reads its page along an index in its
-- own order, from the cursor's key on, so page 2,000 costs what page 1 does. The key ends with
-- the id, which makes it unique.
DROP INDEX change_requests_queue;
CREATE INDEX change_requests_queue ON change_requests (state, created_at, id);
CREATE INDEX audit_entries_at ON audit_entries (at, id);
DROP INDEX audit_entries_family;
CREATE INDEX audit_entries_family ON audit_entries (family_id, at, id);
