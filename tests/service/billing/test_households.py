"""Separated parents (issue 11): a child of two households is invoiced to each household for
what that household booked, at its own QF, never to the other one."""

from datetime import date, timedelta

from tests.service.billing.helpers import Billing, Child, fresh_month, line, new_unit

BRACKETS = [(450, 800), (900, 1200), (None, 1500)]


async def test_a_shared_child_is_invoiced_to_each_household_for_its_own_days(
        billing: Billing) -> None:
    month = fresh_month()
    unit = new_unit()
    await billing.tariff(unit, BRACKETS)
    mother, father = await billing.family(qf=400), await billing.family(qf=1000)
    child = Child(mother.child("Noé", date(2018, 5, 4)).id, "Noé", date(2018, 5, 4))
    father.children.append(child)
    mothers_days = [month + timedelta(days=d) for d in (0, 1)]
    fathers_days = [month + timedelta(days=d) for d in (7, 8, 9)]
    await billing.book(mother, [line(mother, child, unit, d) for d in mothers_days])
    await billing.book(father, [line(father, child, unit, d) for d in fathers_days])

    run = await billing.run(month)

    assert run["invoices"] == 2
    for family, days, price in ((mother, mothers_days, 800), (father, fathers_days, 1500)):
        invoices = [i for i in await billing.invoices_of(family) if i["month"] == f"{month}"]
        assert [i["family_id"] for i in invoices] == [str(family.id)]
        invoice = await billing.invoice(family, invoices[0]["id"])
        assert [ln["dates"] for ln in invoice["lines"]] == [[d.isoformat() for d in days]]
        assert invoice["total_cents"] == len(days) * price
