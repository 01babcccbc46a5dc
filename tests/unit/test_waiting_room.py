"""The waiting room's bookkeeping (gateway.waiting_room.Room), its clock given by the test."""

from gateway.waiting_room import Room, Verdict


def test_a_freed_place_goes_to_the_first_ticket_still_waiting() -> None:
    room = Room(capacity=1, refresh_seconds=5)
    assert room.enter(None, 0.0).admitted
    first, second = room.enter(None, 1.0), room.enter(None, 2.0)
    assert (first.ticket, first.position, second.ticket, second.position) == (1, 1, 2, 2)
    room.leave(3.0)  # the first is called: its place is held for it
    assert not room.enter(None, 3.5).admitted  # a newcomer does not take it
    assert not room.enter(second.ticket, 4.0).admitted
    assert room.enter(first.ticket, 4.0).admitted
    assert room.enter(first.ticket, 4.5).admitted  # a called ticket always passes


def test_a_ticket_whose_holder_went_away_is_skipped() -> None:
    room = Room(capacity=1, refresh_seconds=5)  # gone after 25 s without asking
    assert room.enter(None, 0.0).admitted
    gone = room.enter(None, 1.0)
    staying = room.enter(None, 1.0)
    assert room.enter(staying.ticket, 20.0).position == 2
    assert room.enter(staying.ticket, 40.0).position == 2
    room.leave(40.0)
    assert room.enter(staying.ticket, 41.0).admitted
    assert gone.ticket < staying.ticket


def test_a_place_held_for_a_called_ticket_is_given_up_after_a_while() -> None:
    room = Room(capacity=1, refresh_seconds=5)  # a called ticket's place held 3 s
    assert room.enter(None, 0.0).admitted
    called, nxt = room.enter(None, 1.0), room.enter(None, 1.0)
    room.leave(2.0)
    assert not room.enter(nxt.ticket, 4.0).admitted
    assert room.enter(nxt.ticket, 5.5).admitted  # the called one has not come back
    assert room.enter(called.ticket, 6.0).admitted  # late, it still passes
    assert called.ticket < nxt.ticket
    assert called.ticket < nxt.ticket


def test_the_estimate_follows_the_pace_of_the_calls() -> None:
    room = Room(capacity=1, refresh_seconds=5)
    assert room.enter(None, 0.0).admitted
    tickets = [room.enter(None, 0.0).ticket for _ in range(4)]
    for step, ticket in enumerate(tickets[:2]):
        room.leave(10.0 * (step + 1))
        assert room.enter(ticket, 10.0 * (step + 1)).admitted
    last = room.enter(tickets[-1], 21.0)
    assert last.position == 2 and last.estimate == 20.0  # a call every 10 s


def test_the_head_of_the_line_is_asked_back_sooner_than_the_tail() -> None:
    room = Room(capacity=1, refresh_seconds=5)
    assert room.retry_after(Verdict(False, 7, 1, 0.4)) == 1  # next: within a second
    assert room.retry_after(Verdict(False, 8, 2, 4.2)) == 3  # half its estimate
    assert room.retry_after(Verdict(False, 900, 894, 380.0)) == 5  # never past the interval
