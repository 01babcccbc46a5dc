"""Pricing by QF bracket and reductions, the run's preview, what a run bills (and a second one),
late cancellations, read models applying only newer states."""

from datetime import date, timedelta

from services.common.events.reservations import Cancelled
from tests.service.billing.helpers import Billing, fresh_month, line, new_unit, parent, staff

BRACKETS = [(450, 800), (900, 1200), (None, 1500)]


async def test_each_family_pays_its_qf_bracket_and_no_qf_pays_the_top_one(
        billing: Billing) -> None:
    month = fresh_month()
    unit = new_unit()
    await billing.tariff(unit, BRACKETS)
    expected = {450: 800, 451: 1200, 900: 1200, 901: 1500, None: 1500}
    families = {}
    for qf in expected:
        family = await billing.family(qf=qf)
        child = family.child("Léa", date(2020, 5, 1))
        await billing.book(family, [line(family, child, unit, month),
                                    line(family, child, unit, month + timedelta(days=1))])
        families[qf] = family

    preview = await billing.preview(month)

    drafts = {d["family_id"]: d for d in preview["invoices"]}
    for qf, price in expected.items():
        draft = drafts[str(families[qf].id)]
        assert [(ln["quantity"], ln["unit_price_cents"]) for ln in draft["lines"]] == [(2, price)]
        assert draft["total_cents"] == 2 * price
        assert draft["qf"] == qf
    assert preview["count"] == 5
    assert preview["total_cents"] == 2 * sum(expected.values())


async def test_the_second_child_by_birth_date_gets_the_reduction(billing: Billing) -> None:
    month = fresh_month()
    unit = new_unit()
    await billing.tariff(unit, BRACKETS, reduction=20)
    family = await billing.family(qf=700)
    # Booked youngest first: the ranks come from the birth dates, not from the order.
    youngest = family.child("Zoé", date(2021, 3, 1))
    eldest = family.child("Hugo", date(2016, 9, 1))
    middle = family.child("Léa", date(2019, 1, 15))
    await billing.book(family, [line(family, c, unit, month) for c in (youngest, eldest, middle)])

    draft = (await billing.preview(month))["invoices"][0]

    prices = {ln["child_name"].split()[0]: (ln["base_price_cents"], ln["reduction_percent"],
                                            ln["unit_price_cents"]) for ln in draft["lines"]}
    assert prices == {"Hugo": (1200, 0, 1200), "Léa": (1200, 20, 960), "Zoé": (1200, 20, 960)}
    assert draft["total_cents"] == 3120


async def test_a_run_issues_one_invoice_per_family_and_a_second_run_bills_only_the_rest(
        billing: Billing) -> None:
    month = fresh_month()
    unit = new_unit()
    await billing.tariff(unit, BRACKETS)
    family = await billing.family(qf=300)
    child = family.child("Inès", date(2019, 4, 2))
    await billing.book(family, [line(family, child, unit, month + timedelta(days=d))
                                for d in range(3)])

    first = await billing.run(month)
    again = await billing.run(month)
    late = line(family, child, unit, month + timedelta(days=10))
    await billing.book(family, [late])
    third = await billing.run(month)

    assert (first["invoices"], again["invoices"], third["invoices"]) == (1, 0, 1)
    invoices = await billing.invoices_of(family)
    assert sorted(i["total_cents"] for i in invoices) == [800, 2400]
    assert all(i["state"] == "to_pay" and i["amount_due_cents"] == i["total_cents"]
               for i in invoices)
    assert {i["family_id"] for i in invoices} == {str(family.id)}
    newest = await billing.invoice(family, invoices[0]["id"])
    assert [ln["dates"] for ln in newest["lines"]] == [[late.date.isoformat()]]
    assert newest["due_date"] == (date.fromisoformat(newest["issued_at"][:10])
                                  + timedelta(days=30)).isoformat()


async def test_a_late_cancellation_is_billed_when_billable_and_a_timely_one_is_not(
        billing: Billing) -> None:
    month = fresh_month()
    unit = new_unit()
    await billing.tariff(unit, BRACKETS)
    family = await billing.family(qf=1000)
    child = family.child("Tom", date(2018, 6, 6))
    kept, late, timely = (line(family, child, unit, month + timedelta(days=d)) for d in range(3))
    await billing.book(family, [kept, late, timely])
    await billing.cancel(family, late, billable=True)
    await billing.cancel(family, timely, billable=False)

    draft = (await billing.preview(month))["invoices"][0]

    assert [(ln["quantity"], ln["late_cancellations"]) for ln in draft["lines"]] == [(2, 1)]
    assert draft["total_cents"] == 3000


async def test_lines_without_a_tariff_wait_and_are_reported(billing: Billing) -> None:
    month = fresh_month()
    priced, unpriced = new_unit(), new_unit("Soir", "Périscolaire Jules Ferry")
    await billing.tariff(priced, BRACKETS)
    # A tariff that starts after the month does not cover it either.
    await billing.tariff(unpriced, BRACKETS, valid_from=(month + timedelta(days=40)).isoformat())
    family = await billing.family()
    child = family.child("Léo", date(2017, 2, 2))
    await billing.book(family, [line(family, child, priced, month),
                                line(family, child, unpriced, month)])

    preview = await billing.preview(month)
    run = await billing.run(month)

    assert [(u["unit_label"], u["lines"]) for u in preview["unpriced"]] == [("Soir", 1)]
    assert preview["invoices"][0]["total_cents"] == 1200
    assert run["total_cents"] == 1200


async def test_a_stale_state_never_wins_in_the_read_models(billing: Billing) -> None:
    month = fresh_month()
    unit = new_unit()
    await billing.tariff(unit, BRACKETS)
    family = await billing.family(qf=300)
    family.qf, family.version = 950, 3
    await billing.update_family(family)
    child = family.child("Ana", date(2019, 1, 1))
    booked = line(family, child, unit, month, version=5)
    await billing.book(family, [booked])

    # Older states delivered late: a lower QF, the line cancelled in time.
    family.qf, family.version = 100, 2
    stale_family = await billing.update_family(family, wait=False)
    stale_line = await billing.publish(Cancelled(
        email=family.email, family_name=family.name,
        line=booked.model_copy(update={"state": "cancelled", "billable": False,
                                       "entity_version": 4})), "reservations")
    await billing.until_processed(stale_family)
    await billing.until_processed(stale_line)

    draft = (await billing.preview(month))["invoices"][0]

    assert (draft["qf"], draft["total_cents"]) == (950, 1500)


async def test_a_parent_sees_only_their_own_familys_invoices(billing: Billing) -> None:
    month = fresh_month()
    unit = new_unit()
    await billing.tariff(unit, BRACKETS)
    ours, theirs = await billing.family(), await billing.family()
    for family in (ours, theirs):
        child = family.child("Noé", date(2018, 8, 8))
        await billing.book(family, [line(family, child, unit, month)])
    await billing.run(month)

    listed = await billing.invoices_of(ours)
    other = (await billing.invoices_of(theirs))[0]
    answer = await billing.call("GET", f"/families/{ours.id}/invoices/{other['id']}",
                                headers=parent(ours.id))

    assert [i["family_id"] for i in listed] == [str(ours.id)]
    assert answer.status == 404


async def test_a_tariff_with_bad_brackets_is_refused_in_french(billing: Billing) -> None:
    unit = new_unit()
    body = {"establishment_id": str(unit.establishment_id), "establishment_name": "A",
            "unit_id": str(unit.id), "unit_label": "Journée", "valid_from": "2027-01-01"}
    cases = [
        ([{"qf_max": 900, "price_cents": 1}, {"qf_max": 450, "price_cents": 2},
          {"qf_max": None, "price_cents": 3}],
         "Les plafonds de QF des tranches doivent être croissants."),
        ([{"qf_max": 450, "price_cents": 1}], "La dernière tranche doit être sans plafond de QF."),
        ([], "Cette liste doit contenir au moins 1 élément(s)."),
    ]
    for brackets, message in cases:
        answer = await billing.call("POST", "/tariffs", headers=staff(),
                                    json={**body, "brackets": brackets})
        assert answer.status == 422
        assert answer.fields == {"brackets": message}
