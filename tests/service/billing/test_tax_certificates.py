"""Attestation fiscale: for each child under 6 on 1 January, the childcare paid in the year
(meals left out, credited days left out, partial payments shared by what each child costs)."""

from datetime import date

from services.billing.documents.tax import under_six_on_new_year
from services.billing.fields import today
from tests.service.billing.helpers import Billing, fresh_month, line, new_unit, parent, staff
from tests.service.billing.test_documents import pdf_text


def test_under_six_on_the_first_of_january() -> None:
    assert under_six_on_new_year(date(2021, 1, 2), 2027)
    assert not under_six_on_new_year(date(2021, 1, 1), 2027)  # six that very day
    assert not under_six_on_new_year(date(2019, 6, 1), 2027)


async def test_the_certificate_counts_the_childcare_paid_for_each_child_under_six(
        billing: Billing) -> None:
    year = today().year
    month = fresh_month()
    day, meal = new_unit("Journée"), new_unit("Midi (repas)")
    await billing.tariff(day, [(None, 1000)])
    await billing.tariff(meal, [(None, 400)], childcare=False)
    family = await billing.family(name="Famille Garcia")
    small = family.child("Inès", date(year - 3, 5, 1))
    big = family.child("Paul", date(year - 9, 5, 1))
    await billing.book(family, [
        line(family, small, day, month), line(family, small, day, month.replace(day=2)),
        line(family, small, meal, month), line(family, big, day, month)])
    await billing.run(month)
    invoice = (await billing.invoices_of(family))[0]  # 2 × 10 + 4 + 10 = 34,00 €
    # Half of it paid this year: the share of Inès's two days is 20/34 of it.
    answer = await billing.call("POST", f"/families/{family.id}/payments/offline",
                                headers=staff(), json={"method": "cesu", "amount_cents": 1700,
                                                       "received_on": f"{year}-06-01"})
    assert answer.status == 201, answer.body

    listed = (await billing.call("GET", f"/families/{family.id}/tax-certificates",
                                 headers=parent(family.id))).body["items"]
    pdf = await billing.call("GET", f"/families/{family.id}/tax-certificates/{year}/{small.id}"
                                    "/pdf", headers=parent(family.id))
    older = await billing.call("GET", f"/families/{family.id}/tax-certificates/{year}/{big.id}"
                                      "/pdf", headers=parent(family.id))

    assert [(c["year"], c["child_name"], c["amount_cents"]) for c in listed] == [
        (year, "Inès Garcia", 1000)]
    assert pdf.status == 200
    assert "attestation-fiscale" in pdf.headers["Content-Disposition"]
    text = pdf_text(pdf.body)
    assert f"Frais de garde {year}" in text
    assert "Inès Garcia" in text and "Famille Garcia" in text
    assert "10,00 €" in text and invoice["number"] in text
    assert "hors frais de repas" in text
    assert older.status == 404
