-- A parent may withdraw a change request before staff decide it: state 'withdrawn'.
ALTER TABLE change_requests DROP CONSTRAINT change_requests_state_check;
ALTER TABLE change_requests ADD CONSTRAINT change_requests_state_check
    CHECK (state IN ('pending', 'approved', 'rejected', 'superseded', 'withdrawn'));
