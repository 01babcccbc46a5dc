"""How the gateway says a planning: cells' words, weeks, the bulk actions' message, and the
page's weight for a full month — from answers shaped as the reservations contract says."""

import uuid
from datetime import date, timedelta
from html import unescape
from typing import Any

import jinja2
import pytest

from gateway.app import TEMPLATES
from gateway.messages import KIND_WORDS, PLANNING_LEGEND
from gateway.pages.reservations import flow_url
from gateway.planning import bulk_message, cell_view, default_week, planning_view, week_label
from gateway.settings import Settings
from gateway.templating import FILTERS, long_day, month_label, short_day

UNITS = [{"id": str(uuid.uuid4()), "code": code, "label": label} for code, label in (
    ("journee", "Journée"), ("matin", "Matin"), ("apres-midi", "Après-midi"),
    ("repas", "Repas"))]


def cell(unit: dict[str, Any], **values: Any) -> dict[str, Any]:
    return {"unit_id": unit["id"], "state": "available", "selected": False,
            "outcome": "accepted", "reason": None, "position": None,
            "deadline": "2027-07-02T23:59:59+02:00", **values}


def month(first: date, *, weeks: int = 5, **cells: Any) -> dict[str, Any]:
    """A month as the service answers it: every day of `weeks` weeks from `first`, week-ends
    not offered."""
    days = []
    for offset in range(weeks * 7):
        day = first + timedelta(days=offset)
        offered = day.weekday() < 5
        days.append({"date": day.isoformat(), "offered": offered, "cells": [
            cell(u, **cells) if offered else cell(u, state="not_offered", outcome="impossible",
                                                   deadline=None)
            for u in UNITS]})
    return {"child": {"id": str(uuid.uuid4()), "first_name": "Léa", "last_name": "Martin"},
            "period": {"id": str(uuid.uuid4()), "name": "Vacances d'été 2027",
                       "start_date": first.isoformat(),
                       "end_date": (first + timedelta(days=weeks * 7)).isoformat()},
            "kind": "book", "month": first.strftime("%Y-%m"),
            "months": ["2027-07", "2027-08"], "previous_month": None,
            "next_month": "2027-08", "units": UNITS, "days": days, "selection": {"count": 3}}


def test_a_selected_cell_says_what_it_will_get_and_until_when() -> None:
    reasons: list[str] = []
    accepted = cell_view(cell(UNITS[1], selected=True), index=1, unit="Matin", kind="book",
                         reasons=reasons)
    waiting = cell_view(cell(UNITS[1], selected=True, state="full", outcome="waiting",
                             position=3), index=1, unit="Matin", kind="book", reasons=reasons)
    assert (accepted.text, accepted.icon, accepted.note) == (
        "Acceptée", "success", "modifiable jusqu'au 2 juil.")
    assert accepted.actionable and accepted.selected
    assert (waiting.text, waiting.icon) == ("Liste d'attente n° 3", "waiting")


def test_a_request_and_a_cancellation_say_so() -> None:
    reasons: list[str] = []
    request = cell_view(cell(UNITS[0], selected=True, outcome="requested"), index=0,
                        unit="Journée", kind="book", reasons=reasons)
    cancel = cell_view(cell(UNITS[0], selected=True, state="reserved", outcome="requested"),
                       index=0, unit="Journée", kind="cancel", reasons=reasons)
    assert request.text == "Demande"
    assert cancel.text == "Demande d'annulation"


def test_a_cell_a_click_cannot_change_is_no_button_and_says_why_by_a_number() -> None:
    reasons: list[str] = []
    late = [cell_view(cell(UNITS[1], outcome="impossible",
                           reason="Le délai de réservation est dépassé."),
                      index=1, unit="Matin", kind="book", reasons=reasons) for _ in range(2)]
    closed = cell_view(cell(UNITS[1], state="not_offered", outcome="impossible",
                            reason="Fermé."), index=1, unit="Matin", kind="book",
                       reasons=reasons)
    assert not late[0].actionable and not closed.actionable
    assert [c.note for c in late] == ["(1)", "(1)"]
    assert late[0].reason == "Le délai de réservation est dépassé."
    assert reasons == ["Le délai de réservation est dépassé."]  # once, however many cells
    assert (closed.text, closed.note) == ("Fermé", "")


def test_a_waiting_line_shows_its_position_and_is_kept() -> None:
    waiting = cell_view(cell(UNITS[1], state="waiting", outcome="impossible", position=2),
                        index=1, unit="Matin", kind="book", reasons=[])
    assert (waiting.text, waiting.note) == ("Liste d'attente n° 2",
                                            "modifiable jusqu'au 2 juil.")


def test_planning_groups_days_by_week_and_leaves_closed_week_ends_out() -> None:
    view = planning_view(month(date(2027, 7, 5), weeks=2), kind="book")
    assert [w.label for w in view.weeks] == ["Semaine du 5 au 9 juillet",
                                             "Semaine du 12 au 16 juillet"]
    assert [d.label for d in view.weeks[0].days][:2] == ["lundi 5 juillet", "mardi 6 juillet"]
    assert all(len(d.cells) == 4 for w in view.weeks for d in w.days)
    assert view.months == [("2027-07", "juillet 2027"), ("2027-08", "août 2027")]
    assert view.selected == 3
    assert view.week_choices[0] == ("2027-07-05", "Semaine du 5 au 9 juillet")


def test_a_cell_missing_from_the_answer_reads_as_not_offered() -> None:
    planning = month(date(2027, 7, 5), weeks=1)
    planning["days"][0]["cells"] = planning["days"][0]["cells"][1:]
    view = planning_view(planning, kind="book")
    assert view.weeks[0].days[0].cells[0].text == "Fermé"


def test_the_automatic_selection_offers_this_week_first_when_shown() -> None:
    view = planning_view(month(date(2027, 7, 5), weeks=3), kind="book")
    assert default_week(view, date(2027, 7, 14)) == "2027-07-12"
    assert default_week(view, date(2027, 6, 1)) == "2027-07-05"


@pytest.mark.parametrize(("changed", "skipped", "kind", "said"), [
    (12, 3, "book", "12 jours sélectionnés ; 3 jours ignorés (non proposés ou qui ne peuvent "
                    "pas être réservés)."),
    (1, 0, "book", "1 jour sélectionné."),
    (0, 1, "book", "Aucun jour n'a été sélectionné ; 1 jour ignoré (non proposés ou qui ne "
                   "peuvent pas être réservés)."),
    (4, 2, "cancel", "4 jours marqués pour l'annulation ; 2 jours ignorés (non proposés ou qui "
                     "ne peuvent pas être annulés)."),
])
def test_bulk_actions_say_how_many_days_they_took_and_skipped(
        changed: int, skipped: int, kind: str, said: str) -> None:
    assert bulk_message(changed, skipped, kind=kind) == said


def test_days_read_in_french() -> None:
    assert long_day("2027-07-05") == "lundi 5 juillet 2027"
    assert short_day("2027-02-06T23:59:59+01:00") == "6 févr."
    assert short_day("2027-07-02T22:30:00+00:00") == "3 juil."  # Paris time: past midnight
    assert month_label("2027-08") == "août 2027"
    assert week_label(date(2027, 6, 28), [date(2027, 6, 30), date(2027, 7, 2)]) == \
        "Semaine du 30 juin au 2 juillet"


def render_planning(planning: dict[str, Any]) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters.update(FILTERS)
    view = planning_view(planning, kind="book")
    return env.get_template("reservations/planning.html").render(
        org=Settings().organisation, legal=Settings().legal, user=None, csrf_token="x" * 43,
        flash=(), path="/",
        kind="book", slug="nouvelle", words=KIND_WORDS["book"], view=view,
        child=planning["child"], child_name="Léa Martin", period=planning["period"],
        child_id=planning["child"]["id"], period_id=planning["period"]["id"],
        month_label="juillet 2027", message=None, error=None,
        weekdays=[(1, "lundi"), (2, "mardi")], week=None, legend=PLANNING_LEGEND,
        flow_url=flow_url)


def test_a_full_month_of_four_units_weighs_far_less_than_100_kb() -> None:
    # Every cell a button with its deadline: the heaviest month there can be.
    html = render_planning(month(date(2027, 7, 1), weeks=5, selected=True))
    assert html.count('aria-pressed="true"') == 25 * 4
    assert len(html.encode()) < 60_000


def test_a_day_of_the_other_parents_custody_is_marked_no_button_and_in_the_legend() -> None:
    # Separated parents (issue 11): the service marks the other household's weeks.
    planning = month(date(2027, 7, 5), weeks=2)
    reason = "Ce jour relève de la garde de l'autre parent (semaines alternées)."
    for day in planning["days"][7:12]:  # the second week (ISO week 28, even)
        day["cells"] = [cell(u, state="other_custody", outcome="impossible", reason=reason)
                        for u in UNITS]
    view = planning_view(planning, kind="book")

    marked = view.weeks[1].days[0].cells[0]
    assert (marked.text, marked.icon, marked.actionable) == (
        "Garde de l'autre parent", "custody", False)
    assert view.weeks[0].days[0].cells[0].actionable
    html = render_planning(planning)
    assert html.count('<td class="c c--other_custody">') == 5 * 4
    assert "Garde de l'autre parent : en semaines alternées" in unescape(html)  # the legend
    assert 'src="/static/icons/custody.svg"' in html
