"""Reservation numbers R-YYYY-NNNNNN: one sequence per year, taken without a lock (issue 8,
point 11: a shared counter row queued every submission behind the others' commits)."""

import asyncio
import re
from datetime import date

from services.reservations.submissions import repo
from tests.service.reservations.helpers import Catalogue, Reservations, next_weekday


async def test_concurrent_submissions_get_distinct_numbers_of_the_year(
        reservations: Reservations, catalogue: Catalogue) -> None:
    day = next_weekday(date.fromisoformat(catalogue.period["start_date"]))
    families = [await reservations.family(8) for _ in range(30)]
    answers = await asyncio.gather(*[
        reservations.book(family, catalogue, [(day, "MATIN")]) for family in families])
    assert {a.status for a in answers} == {201}
    numbers = [a.body["number"] for a in answers]
    assert len(set(numbers)) == len(numbers)
    assert all(re.fullmatch(rf"R-{date.today().year}-\d{{6}}", n) for n in numbers)


async def test_a_year_starts_at_one_and_a_year_counted_before_continues(
        reservations: Reservations) -> None:
    async with reservations.db.acquire() as conn, conn.transaction():
        # A year counted by the counter rows of before the sequences: it goes on after them.
        await conn.execute("INSERT INTO reservation_counters (year, last) VALUES (2091, 41)")
        assert await repo.next_number(conn, 2091) == "R-2091-000042"
        assert await repo.next_number(conn, 2091) == "R-2091-000043"
        assert await repo.next_number(conn, 2092) == "R-2092-000001"
        assert await repo.next_number(conn, 2092) == "R-2092-000002"
        # No row lock: the counter row of 2091 is left as it was.
        assert await conn.fetchval(
            "SELECT last FROM reservation_counters WHERE year = 2091") == 41
