"""The planning as a page shows it: the service's month of cells turned into weeks of rows,
each cell with its words, icon and accessible name. Nothing is decided here: states, outcomes,
positions and deadlines are the reservations service's, only said in French."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from gateway.messages import CELL_STATES, OUTCOMES
from gateway.templating import day_label, month_label, parse_day, short_day
from services.common.formats import MONTHS

# A click gives one of these: the cell is a button. Anything else cannot be selected now.
ACTIONABLE = frozenset({"accepted", "requested", "waiting", "drawing"})
# States that do not say by themselves why a click does nothing: the service's reason is shown.
EXPLAINED = frozenset({"available", "full", "refused"})
# What a selected cell will give, in a cancellation request (guide §9).
CANCEL_OUTCOMES: dict[str, tuple[str, str]] = {
    "accepted": ("cancel", "Annulation"),
    "requested": ("pending", "Demande d'annulation"),
    "waiting": ("waiting", "Liste d'attente"),
    "impossible": ("cancel", "Impossible"),
}
# A cell's state → its icon (CSS class `i-…`, the words are always beside it).
STATE_ICONS = {
    "reserved": "success", "requested": "pending", "waiting": "waiting", "offered": "offer",
    "refused": "refused", "cancel_requested": "cancel", "full": "full",
    "other_household": "info", "other_custody": "custody", "drawing": "pending",
}


def week_label(monday: date, days: Sequence[date]) -> str:
    """« Semaine du 5 au 9 juillet » (the days shown of that week)."""
    first, last = (min(days), max(days)) if days else (monday, monday + timedelta(days=4))
    if first == last:
        return f"Semaine du {day_label(first)}"
    start = str(first.day)
    if first.month != last.month:
        start += f" {MONTHS[first.month - 1]}"
    return f"Semaine du {start} au {last.day} {MONTHS[last.month - 1]}"


@dataclass
class Cell:
    """One day × one unit as the page shows it."""

    index: int          # the unit's column, names the cell in forms and anchors
    unit: str           # the unit's label
    state: str
    selected: bool
    actionable: bool    # a button (a click toggles it in the selection)
    icon: str | None
    text: str           # the words in the cell
    note: str = ""      # under the words: the deadline, a reason's number
    reason: str = ""    # why it cannot be selected, for screen readers (the number is shown)


@dataclass
class Day:
    date: date
    label: str
    cells: list[Cell]

    @property
    def iso(self) -> str:
        return self.date.isoformat()


@dataclass
class Week:
    monday: date
    label: str
    days: list[Day] = field(default_factory=list)


@dataclass
class PlanningView:
    """What the planning template needs, derived from the service's answer only."""

    kind: str
    month: str
    units: list[dict[str, Any]]
    weeks: list[Week]
    reasons: list[str]   # the reasons cells cannot be selected, numbered in the cells
    months: list[tuple[str, str]]
    previous_month: str | None
    next_month: str | None
    selected: int

    @property
    def week_choices(self) -> list[tuple[str, str]]:
        """The weeks shown, for « Uniquement sur la semaine affichée »."""
        return [(w.monday.isoformat(), w.label) for w in self.weeks]


def cell_view(raw: Mapping[str, Any], *, index: int, unit: str, kind: str,
              reasons: list[str]) -> Cell:
    """A cell's words: a selected one says what it will get (and until when it can be
    changed), another its state; one a click cannot select says why (numbered note)."""
    state = str(raw.get("state") or "not_offered")
    outcome = raw.get("outcome")
    selected = bool(raw.get("selected"))
    position = raw.get("position")
    deadline = short_day(raw.get("deadline"))
    actionable = selected or outcome in ACTIONABLE
    icon: str | None
    if selected:
        words = CANCEL_OUTCOMES if kind == "cancel" else OUTCOMES
        icon, text = words.get(str(outcome), ("info", CELL_STATES.get(state, state)))
    else:
        icon, text = STATE_ICONS.get(state), CELL_STATES.get(state, state)
    if position and (state == "waiting" or (selected and outcome == "waiting")):
        text = f"{text} n° {position}"
    note = ""
    if deadline and (selected or state in ("reserved", "requested", "waiting")):
        note = f"modifiable jusqu'au {deadline}"
    elif deadline and actionable:
        note = f"jusqu'au {deadline}"
    reason = ""
    if not actionable and outcome == "impossible" and raw.get("reason") and \
            state in EXPLAINED:
        reason = str(raw["reason"])
        if reason not in reasons:
            reasons.append(reason)
        note = f"({reasons.index(reason) + 1})"
    return Cell(index=index, unit=unit, state=state, selected=selected, actionable=actionable,
                icon=icon, text=text, note=note, reason=reason)


def planning_view(planning: Mapping[str, Any], *, kind: str) -> PlanningView:
    """The service's month (`days` of `cells`, one per unit) as weeks of rows. Week-ends
    that are not offered are left out; other days outside the opening days say « Fermé »."""
    units = [u for u in planning.get("units") or [] if isinstance(u, dict)]
    index_of = {str(u.get("id")): i for i, u in enumerate(units)}
    period = planning.get("period") or {}
    start, end = parse_day(period.get("start_date")), parse_day(period.get("end_date"))
    reasons: list[str] = []
    weeks: dict[date, Week] = {}
    for raw_day in planning.get("days") or []:
        day = parse_day(raw_day.get("date")) if isinstance(raw_day, dict) else None
        if day is None:
            continue
        if not raw_day.get("offered") and (
                day.weekday() >= 5 or (start and day < start) or (end and day > end)):
            continue
        by_unit = {str(c.get("unit_id")): c for c in raw_day.get("cells") or []
                   if isinstance(c, dict)}
        cells = []
        for unit in units:
            raw = by_unit.get(str(unit.get("id")), {"state": "not_offered"})
            cells.append(cell_view(raw, index=index_of[str(unit.get("id"))],
                                   unit=str(unit.get("label", "")), kind=kind,
                                   reasons=reasons))
        monday = day - timedelta(days=day.weekday())
        week = weeks.setdefault(monday, Week(monday, ""))
        week.days.append(Day(day, day_label(day), cells))
    for week in weeks.values():
        week.label = week_label(week.monday, [d.date for d in week.days])
    month = str(planning.get("month") or "")
    selection = planning.get("selection") or {}
    return PlanningView(
        kind=kind, month=month, units=units, weeks=[weeks[k] for k in sorted(weeks)],
        reasons=reasons,
        months=[(m, month_label(m)) for m in planning.get("months") or [] if isinstance(m, str)],
        previous_month=planning.get("previous_month"), next_month=planning.get("next_month"),
        selected=int(selection.get("count") or 0))


def default_week(view: PlanningView, today: date) -> str | None:
    """The week the automatic selection offers first: this week if shown, else the first."""
    monday = today - timedelta(days=today.weekday())
    choices = [w.monday for w in view.weeks]
    if monday in choices:
        return monday.isoformat()
    pick = [m for m in choices if m >= monday] or choices
    return pick[0].isoformat() if pick else None


def bulk_message(changed: int, skipped: int, *, kind: str) -> str:
    """What a bulk action did: « 12 jours sélectionnés ; 3 jours ignorés (…) »."""
    verb = "marqué" if kind == "cancel" else "sélectionné"
    done = (f"{changed} jour{'s' if changed > 1 else ''} {verb}{'s' if changed > 1 else ''}"
            + (" pour l'annulation" if kind == "cancel" else ""))
    if changed == 0:
        done = ("Aucun jour n'a été marqué pour l'annulation" if kind == "cancel"
                else "Aucun jour n'a été sélectionné")
    if skipped:
        reason = "ne peuvent pas être annulés" if kind == "cancel" else \
            "ne peuvent pas être réservés"
        return (f"{done} ; {skipped} jour{'s' if skipped > 1 else ''} ignoré"
                f"{'s' if skipped > 1 else ''} (non proposés ou qui {reason}).")
    return f"{done}."
