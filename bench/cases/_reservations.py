"""What the planning and booking benchmarks share: auth, reservations and the gateway started
as `make run` starts them (real processes, `<PART>_WORKERS`), a leisure centre with four
units and a long period open for booking with enough places for everyone, and parents each
with their own family of three children, logged in for real (auth's `POST /sessions`, the
Argon2id parameters in force).

Set-up, not timed: the catalogue is written with the service's own use cases and the
families into its read model (as the families events would), the accounts straight into
auth's database with one hash of one password.
"""

import asyncio
import contextlib
import os
import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg

from bench.stack import Stack, stack
from services.auth import repo as auth_repo
from services.auth.passwords import Passwords
from services.auth.settings import Settings as AuthSettings
from services.common.dates import today
from services.common.db import Conn, create_pool
from services.reservations.households import service as households
from services.reservations.rules import is_public_holiday
from services.reservations.scale import open_period
from services.reservations.settings import Settings as ReservationsSettings

PARENTS = int(os.environ.get("BENCH_PARENTS", "50"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
CHILDREN = 3
CORES = len(os.sched_getaffinity(0))
WORKERS = {"auth": int(os.environ.get("BENCH_AUTH_WORKERS", "1")),
           "reservations": int(os.environ.get("BENCH_RESERVATIONS_WORKERS", str(CORES))),
           "gateway": int(os.environ.get("BENCH_GATEWAY_WORKERS", str(CORES)))}
PASSWORD = "une phrase de passe de banc d'essai"  # noqa: S105 - a bench's
UNITS = [("MATIN", "Matin"), ("REPAS", "Repas"), ("APREM", "Après-midi"), ("SOIR", "Soir")]
PERIOD_DAYS = 360
PLACES = 1000  # per unit and day: more than every child of the bench


@dataclass
class Parent:
    email: str
    family_id: uuid.UUID
    children: list[uuid.UUID]
    access_token: str = ""
    # Cells still free to book, per child: (day, unit id).
    free: dict[uuid.UUID, list[tuple[date, uuid.UUID]]] = field(default_factory=dict)
    turn: int = 0

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


@dataclass
class Setup:
    parts: Stack
    period_id: uuid.UUID
    months: list[str]
    units: list[uuid.UUID]
    parents: list[Parent]
    pool: asyncpg.Pool

    def url(self, name: str, path: str) -> str:
        return self.parts.url(name) + path


def open_days(start: date, end: date) -> list[date]:
    """The period's days: Monday to Friday, French public holidays excluded."""
    days, day = [], start
    while day <= end:
        if day.isoweekday() <= 5 and not is_public_holiday(day):
            days.append(day)
        day += timedelta(days=1)
    return days


async def seed_catalogue(conn: Conn) -> tuple[uuid.UUID, list[uuid.UUID], date,
                                                            date]:
    now = datetime.now(UTC)
    start = today() + timedelta(days=14)
    end = start + timedelta(days=PERIOD_DAYS)
    period_id, units = await open_period(
        conn, name="Année du banc", units=UNITS, capacity=PLACES, start=start, end=end,
        opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=60), now=now)
    return period_id, units, start, end


@contextlib.asynccontextmanager
async def reservations_stack() -> AsyncIterator[Setup]:
    auth_settings = AuthSettings()
    passwords = Passwords.from_settings(auth_settings)
    password_hash = passwords.hasher.hash(PASSWORD)
    async with stack(WORKERS) as parts:
        database = parts.parts["reservations"].database
        assert database is not None
        pool = await create_pool(ReservationsSettings(database=database))
        try:
            async with pool.acquire() as conn:
                period_id, units, start, end = await seed_catalogue(conn)
                parents = []
                for i in range(PARENTS):
                    family_id = uuid.uuid4()
                    await households.apply_family(
                        conn, family_id=family_id, name=f"Famille Banc {i}",
                        email=f"banc.{i}.{family_id.hex[:6]}@example.org", version=1)
                    children = []
                    for c in range(CHILDREN):
                        child_id = uuid.uuid4()
                        await households.apply_child(
                            conn, child_id=child_id, family_id=family_id,
                            first_name=f"Enfant{c + 1}", last_name=f"Banc{i}",
                            birth_date=today() - timedelta(days=8 * 365), school_level=None,
                            version=1)
                        children.append(child_id)
                    parents.append(Parent(f"banc.{i}.{family_id.hex[:6]}@example.org",
                                          family_id, children))
            days = open_days(start, end)
            cells = [(d, u) for d in days for u in units]
            rng = random.Random(8)
            for parent in parents:
                # Each child books on from a day of its own: parents book different weeks,
                # overlapping (the same cell taken by several at once is in the runs too).
                parent.free = {}
                for child in parent.children:
                    at = rng.randrange(len(days)) * len(units)
                    parent.free[child] = cells[at:] + cells[:at]
            auth = await asyncpg.connect(parts.database_dsn("auth"))
            try:
                for parent in parents:
                    await auth_repo.insert_account(
                        auth, account_id=uuid.uuid4(), email=parent.email,
                        password_hash=password_hash, role="parent", family_id=parent.family_id,
                        status="active")
            finally:
                await auth.close()
            await log_in(parts, parents)
            months = sorted({d.strftime("%Y-%m") for d in days})
            yield Setup(parts, period_id, months, units, parents, pool)
        finally:
            await pool.close()


async def log_in(parts: Stack, parents: list[Parent]) -> None:
    """Every parent logs in (auth's POST /sessions), a few at a time (hashing is the cost)."""
    gate = asyncio.Semaphore(2 * CORES)
    async with aiohttp.ClientSession() as http:

        async def one(parent: Parent) -> None:
            async with gate, http.post(parts.url("auth") + "/sessions", json={
                    "email": parent.email, "password": PASSWORD}) as resp:
                body: dict[str, Any] = await resp.json()
                assert resp.status == 201, body
                parent.access_token = body["access_token"]

        await asyncio.gather(*(one(p) for p in parents))
