"""The virtual waiting room (SPEC §7b « Opening-day rush »): parents admitted in arrival order."""

import math
import mmap
import multiprocessing
import secrets
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from gateway import keys
from gateway.render import PARENT_HOME, render, safe_next
from gateway.security import (
    SAFE_METHODS,
    Handler,
    cookie,
    delete_cookie,
    is_json_path,
    set_cookie,
    signed,
    unsigned,
)
from services.common import keys as common_keys
from services.common.errors import Problem

TICKET_COOKIE = "pf_attente"
ADMISSION_COOKIE = "pf_admission"
# The visitor stopped the page's automatic refresh (`pages/waiting_room.py`).
MANUAL_COOKIE = "pf_attente_manuelle"
# API clients that keep no cookies send back the ticket they were given in this header.
TICKET_HEADER = "X-Waiting-Room-Ticket"

# The requests that cost the services most at an opening: the dashboard, the booking flow and
# their API twins. Everything else (static files, login, legal pages, health, staff pages)
# never waits.
HEAVY_PATHS = frozenset({PARENT_HOME, "/api/v1/me/dashboard"})
HEAVY_PREFIXES = (PARENT_HOME + "/reservations", "/api/v1/periods", "/api/v1/planning",
                  "/api/v1/selection", "/api/v1/reservations")

# Waiting tickets remembered at once (a ring: ticket n lives in slot n % SLOTS).
SLOTS = 1 << 16
# A slot's state.
WAITING, CALLED, CLAIMED, SKIPPED = 1, 2, 3, 4
# Integer header: next ticket to hand out; first ticket not called yet; heavy requests in
# flight; lowest called ticket that may still hold a place. Then ticket number and state per slot.
_ISSUED, _SERVING, _IN_FLIGHT, _LOW = range(4)
_INTS = 4
# Float header: mean interval between two calls (the estimate); time of the last call. Then
# the time each ticket last asked, and the time it was called.
_INTERVAL, _LAST_CALL = range(2)
_FLOATS = 2


def is_heavy(path: str) -> bool:
    return path in HEAVY_PATHS or path.startswith(HEAVY_PREFIXES)


@dataclass(frozen=True)
class Verdict:
    """`admitted`, or the `ticket` waiting at `position` (1: next) for about `estimate` s."""

    admitted: bool
    ticket: int = 0
    position: int = 0
    estimate: float = 0.0


class Room:
    """One waiting room for every worker process of the gateway: its counters live in
    anonymous shared memory made before the workers fork (`create_app` runs in the parent),
    guarded by one lock held for a few arithmetic operations. A bakery's numbers: a newcomer
    passes while nobody waits and the heavy requests in flight stay under `capacity`;
    otherwise they take the next ticket. Each place that frees calls the next ticket still
    alive (its holder asked within `stale_after`) and holds the place for it until it comes
    back (at most `call_grace`, 3 s); a ticket called once always passes."""

    def __init__(self, *, capacity: int, refresh_seconds: int) -> None:
        # Tickets of another run (or another replica) are not ours: they start again.
        self.id = secrets.token_hex(6)
        self.capacity = capacity
        self.refresh_seconds = refresh_seconds
        self.stale_after = 3.0 * refresh_seconds + 10.0
        # A called parent is asked back within a second (`retry_after`): their place is held
        # a little longer than that, then goes on (they still pass when they come back), so
        # that a place never idles for long on opening day.
        self.call_grace = 3.0
        self._lock = multiprocessing.get_context("fork").Lock()
        ints, floats = _INTS + 2 * SLOTS, _FLOATS + 2 * SLOTS
        self._memory = mmap.mmap(-1, 8 * (ints + floats))  # MAP_SHARED: seen by forked workers
        view = memoryview(self._memory)
        self._int = view[:8 * ints].cast("q")
        self._float = view[8 * ints:].cast("d")
        self._int[_ISSUED] = self._int[_SERVING] = self._int[_LOW] = 1

    # -- slots --------------------------------------------------------------------------------
    def _slot(self, ticket: int) -> int | None:
        slot = ticket % SLOTS
        return slot if self._int[_INTS + slot] == ticket else None

    def _state(self, slot: int) -> int:
        return self._int[_INTS + SLOTS + slot]

    def _set_state(self, slot: int, state: int) -> None:
        self._int[_INTS + SLOTS + slot] = state

    def _holds_place(self, ticket: int, now: float) -> bool:
        slot = self._slot(ticket)
        return slot is not None and self._state(slot) == CALLED \
            and self._float[_FLOATS + SLOTS + slot] >= now - self.call_grace

    # -- calls ---------------------------------------------------------------------------------
    def _held_places(self, now: float) -> int:
        ints = self._int
        serving = ints[_SERVING]
        low = max(ints[_LOW], serving - SLOTS)
        while low < serving and not self._holds_place(low, now):
            low += 1
        ints[_LOW] = low
        return sum(1 for ticket in range(low, serving) if self._holds_place(ticket, now))

    def _advance(self, now: float) -> int:
        """Call the next tickets while places are free; the places held for called tickets."""
        ints, floats = self._int, self._float
        held = self._held_places(now)
        while ints[_SERVING] < ints[_ISSUED] and ints[_IN_FLIGHT] + held < self.capacity:
            ticket = ints[_SERVING]
            ints[_SERVING] = ticket + 1
            slot = self._slot(ticket)
            if slot is None or floats[_FLOATS + slot] < now - self.stale_after:
                if slot is not None:  # its holder went away: the place goes to the next
                    self._set_state(slot, SKIPPED)
                continue
            self._set_state(slot, CALLED)
            floats[_FLOATS + SLOTS + slot] = now
            held += 1
            last = floats[_LAST_CALL]
            if 0 < now - last < 120:
                interval = now - last
                mean = floats[_INTERVAL]
                floats[_INTERVAL] = interval if mean == 0 else 0.8 * mean + 0.2 * interval
            floats[_LAST_CALL] = now
        return held

    def retry_after(self, verdict: Verdict) -> int:
        """When a waiting parent should ask again: the usual interval, but sooner as their turn
        nears (half their estimate, at least 1 s) — a place called is held for its parent
        until they come back, so a slow return at the head of the line leaves it idle."""
        return max(1, min(self.refresh_seconds, math.ceil(verdict.estimate / 2)))

    def _waiting(self, ticket: int) -> Verdict:
        position = ticket - self._int[_SERVING] + 1
        interval = self._float[_INTERVAL] or self.refresh_seconds / self.capacity
        return Verdict(False, ticket, position, position * interval)

    # -- the three moves of a heavy request -----------------------------------------------------
    def enter(self, ticket: int | None, now: float) -> Verdict:
        """A heavy request without admission, holding `ticket` (ours, checked) or none."""
        ints = self._int
        with self._lock:
            if ticket is not None and 0 < ticket < ints[_ISSUED]:
                if ticket >= ints[_SERVING]:
                    slot = self._slot(ticket)
                    if slot is not None:
                        self._float[_FLOATS + slot] = now
                    self._advance(now)
                if ticket >= ints[_SERVING]:
                    return self._waiting(ticket)
                slot = self._slot(ticket)
                if slot is not None and self._state(slot) == CALLED:
                    self._set_state(slot, CLAIMED)
                ints[_IN_FLIGHT] += 1
                return Verdict(True, ticket)
            held = self._advance(now)
            if ints[_SERVING] == ints[_ISSUED] and ints[_IN_FLIGHT] + held < self.capacity:
                ints[_IN_FLIGHT] += 1
                return Verdict(True)
            ticket = ints[_ISSUED]
            ints[_ISSUED] = ticket + 1
            slot = ticket % SLOTS
            ints[_INTS + slot] = ticket
            self._set_state(slot, WAITING)
            self._float[_FLOATS + slot] = now
            return self._waiting(ticket)

    def enter_admitted(self) -> None:
        """A heavy request of a parent already admitted: counted, never queued."""
        with self._lock:
            self._int[_IN_FLIGHT] += 1

    def leave(self, now: float) -> None:
        with self._lock:
            self._int[_IN_FLIGHT] -= 1
            if self._int[_SERVING] < self._int[_ISSUED]:
                self._advance(now)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {"issued": self._int[_ISSUED] - 1, "called": self._int[_SERVING] - 1,
                    "in_flight": self._int[_IN_FLIGHT]}


ROOM = web.AppKey("waiting_room", Room)


class RoomMetrics(Collector):
    """The room's state at each scrape (every worker sees the same shared figures)."""

    def __init__(self, room: Room) -> None:
        self.room = room

    def collect(self) -> Any:
        state = self.room.snapshot()
        yield GaugeMetricFamily("gateway_waiting_room_waiting",
                                "Tickets handed out and not called yet",
                                value=state["issued"] - state["called"])
        yield GaugeMetricFamily("gateway_waiting_room_in_flight",
                                "Heavy requests being served", value=state["in_flight"])
        yield GaugeMetricFamily("gateway_waiting_room_tickets",
                                "Tickets handed out since the start", value=state["issued"])


def setup_waiting_room(app: web.Application) -> None:
    settings = app[keys.SETTINGS]
    if settings.waiting_room:
        room = Room(capacity=settings.waiting_room_capacity,
                    refresh_seconds=settings.waiting_room_refresh_seconds)
        app[ROOM] = room
        app[common_keys.METRICS].register(RoomMetrics(room))


# -- cookies --------------------------------------------------------------------------------------

def _ticket_of(request: web.Request, room: Room) -> int | None:
    """The ticket this visitor holds in this room; None without one, or with one altered."""
    value = unsigned(request, "waiting-ticket",
                     request.headers.get(TICKET_HEADER) or request.cookies.get(TICKET_COOKIE))
    if value is None:
        return None
    room_id, _, number = value.partition(":")
    return int(number) if room_id == room.id and number.isdigit() and len(number) < 16 else None


def _is_admitted(request: web.Request) -> bool:
    value = unsigned(request, "waiting-admission", request.cookies.get(ADMISSION_COOKIE))
    return value is not None and value.isdigit() and int(value) > time.time()


def _admit(request: web.Request) -> None:
    minutes = request.app[keys.SETTINGS].waiting_room_admission_minutes
    until = str(int(time.time()) + 60 * minutes)
    set_cookie(request, ADMISSION_COOKIE, signed(request, "waiting-admission", until))
    if cookie(request, TICKET_COOKIE) is not None:
        delete_cookie(request, TICKET_COOKIE)


# -- the waiting answer ---------------------------------------------------------------------------

class Waiting(Problem):
    status = 503
    slug = "waiting-room"


def estimate_text(seconds: float) -> str:
    if seconds < 60:
        return "moins d'une minute"
    minutes = math.ceil(seconds / 60)
    return f"environ {minutes} minutes"


def _return_to(request: web.Request) -> str:
    """Where the page refreshes to: the page asked, or (after a form it did not send) the
    page that showed the form."""
    if request.method in SAFE_METHODS:
        return safe_next(request.path_qs) or PARENT_HOME
    referer = request.headers.get("Referer", "")
    base = request.app[keys.SETTINGS].public_url.rstrip("/")
    if referer.startswith(base + "/"):
        return safe_next(referer[len(base):]) or PARENT_HOME
    return PARENT_HOME


def _waiting_answer(request: web.Request, room: Room, verdict: Verdict) -> web.Response:
    ticket = signed(request, "waiting-ticket", f"{room.id}:{verdict.ticket}")
    set_cookie(request, TICKET_COOKIE, ticket)
    refresh = room.retry_after(verdict)
    if is_json_path(request.path):
        return Waiting(
            "Beaucoup de familles se connectent en même temps : vous êtes dans la file "
            f"d'attente, à la position {verdict.position}. Votre place est gardée : "
            f"réessayez dans {refresh} seconde{'s' if refresh > 1 else ''}.",
            retry_after=refresh, position=verdict.position,
            estimate_seconds=math.ceil(verdict.estimate), ticket=ticket,
        ).response(request.path)
    context: dict[str, Any] = {
        "position": verdict.position,
        "estimate": estimate_text(verdict.estimate),
        "refresh": refresh,
        "return_to": _return_to(request),
        "form_not_sent": request.method not in SAFE_METHODS,
        "auto": MANUAL_COOKIE not in request.cookies,
    }
    response = render(request, "waiting_room.html", context)
    response.headers[TICKET_HEADER] = ticket
    return response


@web.middleware
async def waiting_room_middleware(request: web.Request, handler: Handler
                                  ) -> web.StreamResponse:
    """Let a heavy request through, counted, or answer the waiting page (the API: 503 and
    Retry-After). An admitted parent keeps passing for `waiting_room_admission_minutes`, so
    the booking they go on with is never queued again."""
    room = request.app.get(ROOM)
    if room is None or not is_heavy(request.path):
        return await handler(request)
    if _is_admitted(request):
        room.enter_admitted()
    else:
        verdict = room.enter(_ticket_of(request, room), time.monotonic())
        if not verdict.admitted:
            return _waiting_answer(request, room, verdict)
        _admit(request)
    try:
        return await handler(request)
    finally:
        room.leave(time.monotonic())
