"""DOMAIN §4 deadlines: the policy table, the arithmetic on the business calendar, which
deadlines still run, and when reminders and breach notices fall due. Pure functions."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from portal.workcalendar import BusinessCalendar
from portal.workflow import RUNNING


class Deadline(StrEnum):
    """Values are the `data-deadline` contract on the complaint page."""

    ACKNOWLEDGE = "acknowledge"
    CONTACT = "contact"
    RESULT = "result"
    CAP = "cap"


# Where each deadline is stored on the complaint row.
DUE_COLUMN = {d: f"{d.value}_due" for d in Deadline}


class AlertKind(StrEnum):
    REMINDER = "reminder"  # to the handler, at the policy share of the allowed time
    BREACH = "breach"  # to the department head and the office (and CS head for Class I)
    AUTO_GRADE = "auto-grade"  # an automatic grade rule falls due (I-8)


class SpanError(ValueError):
    pass


_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([hd])\s*$")


@dataclass(frozen=True)
class Span:
    """'2h' working hours, '3d' working days, 'same-day' the end of the working day."""

    unit: str  # "h", "d" or "same-day"
    amount: float = 0

    @classmethod
    def parse(cls, text: str) -> Span:
        if isinstance(text, str) and text.strip() == "same-day":
            return cls("same-day")
        match = _SPAN.match(text) if isinstance(text, str) else None
        if not match or float(match.group(1)) <= 0:
            raise SpanError(f"'{text}' is not a span like '2h', '3d' or 'same-day'")
        return cls(match.group(2), float(match.group(1)))

    def after(self, start: datetime, cal: BusinessCalendar) -> datetime:
        if self.unit == "same-day":
            return cal.end_of_working_day(start)
        if self.unit == "h":
            return cal.add_working_hours(start, self.amount)
        return cal.add_working_hours(start, cal.hours_per_day * self.amount)

    def __str__(self) -> str:
        return "same-day" if self.unit == "same-day" else f"{self.amount:g}{self.unit}"

    def hours(self, hours_per_day: float) -> float:
        """Its length in working hours, to compare two spans: a day is the working hours of
        one day, and "same-day" counts as a whole working day (its longest: from the start of
        work to its end)."""
        if self.unit == "h":
            return self.amount
        return hours_per_day * (1 if self.unit == "same-day" else self.amount)


@dataclass(frozen=True)
class DeadlineRules:
    by_grade: Mapping[str, Mapping[Deadline, Span]]
    urgent: Mapping[Deadline, Span] = field(default_factory=dict)
    reminder_at: float = 0.75
    appeal_window: Span = Span("d", 1)
    dispatch: Span = Span("d", 1)
    unresolved_months: int = 1  # I-8

    def spans(self, grade: str, urgent: bool) -> dict[Deadline, Span]:
        spans = dict(self.by_grade[grade])
        if urgent:
            spans.update(self.urgent)
        return spans


DEFAULT_TABLE = {
    "I": {"acknowledge": "2h", "contact": "same-day", "result": "3d", "cap": "7d"},
    "II": {"acknowledge": "1d", "contact": "1d", "result": "2d", "cap": "7d"},
    "M": {"acknowledge": "1d", "contact": "2d", "result": "3d", "cap": "7d"},
}


def parse_rules(raw: Mapping, grade_codes: Iterable[str], hours_per_day: float = 9.0,
                check_order: bool = True) -> DeadlineRules:
    """Validate the policy's [deadlines] table; raises ValueError naming the bad entry.
    `hours_per_day` (the working day's length) compares hours with days; `check_order=False`
    skips order_problems() (a version saved before those rules keeps working as it did)."""
    grades_raw = raw.get("grades", DEFAULT_TABLE)
    by_grade: dict[str, dict[Deadline, Span]] = {}
    for code in grade_codes:
        table = grades_raw.get(code)
        if not isinstance(table, Mapping):
            raise ValueError(f"deadlines.grades.{code} is missing")
        by_grade[code] = _spans(table, f"deadlines.grades.{code}", required=True)
    unknown = set(grades_raw) - set(by_grade)
    if unknown:
        raise ValueError(f"deadlines.grades: unknown grade(s) {sorted(unknown)}")
    urgent = _spans(raw.get("urgent", {"acknowledge": "1h", "contact": "4h"}),
                    "deadlines.urgent", required=False)
    ratio = raw.get("reminder_at", 0.75)
    if not isinstance(ratio, int | float) or not 0 < ratio < 1:
        raise ValueError("deadlines.reminder_at must be a fraction between 0 and 1")
    months = raw.get("unresolved_months", 1)
    if not isinstance(months, int) or not 1 <= months <= 24:
        raise ValueError("deadlines.unresolved_months must be a whole number from 1 to 24")
    try:
        window = Span.parse(raw.get("appeal_window", "1d"))
        dispatch = Span.parse(raw.get("dispatch", "1d"))
    except SpanError as exc:
        raise ValueError(f"deadlines: {exc}") from exc
    if check_order:
        problems = order_problems(by_grade, urgent, hours_per_day)
        if problems:
            raise ValueError(problems[0].message())
    return DeadlineRules(by_grade, urgent, float(ratio), window, dispatch, months)


@dataclass(frozen=True)
class OrderProblem:
    """Two deadlines in an order that makes no sense. `field` is the setting at fault (its
    path in the policy), `other` the one it is compared with."""

    kind: str  # "cap": a cap shorter than the result deadline; "urgent": urgent lengthens
    field: str
    value: Span
    other: str
    other_value: Span

    def message(self) -> str:
        if self.kind == "cap":
            return (f"{self.field} ({self.value}) is shorter than {self.other} "
                    f"({self.other_value}): the cap bounds every deadline, so it must not be "
                    f"shorter than the result deadline")
        return (f"{self.field} ({self.value}) is longer than {self.other} ({self.other_value}): "
                f"urgent shortens a deadline, so it must not be longer than any grade's")


def order_problems(by_grade: Mapping[str, Mapping[Deadline, Span]],
                   urgent: Mapping[Deadline, Span], hours_per_day: float) -> list[OrderProblem]:
    """DOMAIN §4: no complaint may run past the cap, so a cap shorter than the result deadline
    would silently cut it; urgent shortens the first deadlines, so an urgent value longer than
    a grade's would lengthen them. "same-day" counts as one working day (Span.hours)."""

    def longer(a: Span, b: Span) -> bool:
        return a.hours(hours_per_day) > b.hours(hours_per_day) + 1e-9

    out = []
    for grade, spans in by_grade.items():
        result, cap = spans[Deadline.RESULT], spans[Deadline.CAP]
        if longer(result, cap):
            out.append(OrderProblem("cap", f"deadlines.grades.{grade}.cap", cap,
                                    f"deadlines.grades.{grade}.result", result))
    for deadline, span in urgent.items():
        # Against the grade with the shortest value: the one it must not exceed.
        shortest = min(by_grade, key=lambda g: by_grade[g][deadline].hours(hours_per_day),
                       default=None)
        if shortest is not None and longer(span, by_grade[shortest][deadline]):
            out.append(OrderProblem("urgent", f"deadlines.urgent.{deadline.value}", span,
                                    f"deadlines.grades.{shortest}.{deadline.value}",
                                    by_grade[shortest][deadline]))
    if Deadline.CAP in urgent and not any(p.field == "deadlines.urgent.cap" for p in out):
        # An urgent cap (within every grade's cap) must still leave room for the result.
        for grade in by_grade:
            result = urgent.get(Deadline.RESULT, by_grade[grade][Deadline.RESULT])
            if longer(result, urgent[Deadline.CAP]):
                where = "deadlines.urgent.result" if Deadline.RESULT in urgent \
                    else f"deadlines.grades.{grade}.result"
                out.append(OrderProblem("cap", "deadlines.urgent.cap", urgent[Deadline.CAP],
                                        where, result))
                break
    return out


def _spans(table: Mapping, where: str, required: bool) -> dict[Deadline, Span]:
    if not isinstance(table, Mapping):
        raise ValueError(f"{where} must be a table")
    unknown = set(table) - {d.value for d in Deadline}
    if unknown:
        raise ValueError(f"{where}: unknown deadline(s) {sorted(unknown)}")
    spans = {}
    for deadline in Deadline:
        if deadline.value not in table:
            if required:
                raise ValueError(f"{where}.{deadline.value} is missing")
            continue
        try:
            spans[deadline] = Span.parse(table[deadline.value])
        except SpanError as exc:
            raise ValueError(f"{where}.{deadline.value}: {exc}") from exc
    return spans


def compute(rules: DeadlineRules, grade: str, urgent: bool, start: datetime,
            cal: BusinessCalendar) -> dict[Deadline, datetime]:
    """Every deadline of a complaint whose clock starts at `start` (the dispatch)."""
    dues = {d: span.after(start, cal) for d, span in rules.spans(grade, urgent).items()}
    # Urgency shortens the first deadlines; nothing may fall after the cap.
    cap = dues[Deadline.CAP]
    return {d: min(due, cap) for d, due in dues.items()}


def running(status: str, acknowledged: bool, contacted: bool) -> list[Deadline]:
    """The deadlines not yet met: the ones to show as running and to remind about."""
    if status == "result_submitted":
        return [Deadline.CAP]
    if status not in RUNNING:
        return []
    kinds = []
    if not acknowledged:
        kinds.append(Deadline.ACKNOWLEDGE)
    if not contacted:
        kinds.append(Deadline.CONTACT)
    return [*kinds, Deadline.RESULT, Deadline.CAP]


def nearest(dues: Mapping[Deadline, datetime | None], kinds: Iterable[Deadline]) -> datetime | None:
    times = [dues[k] for k in kinds if dues.get(k) is not None]
    return min(times) if times else None


@dataclass(frozen=True)
class Alert:
    kind: AlertKind
    deadline: str  # a Deadline, or the rule code of an automatic grade rule
    due: datetime
    at: datetime  # when it should go out


def alerts(dues: Mapping[Deadline, datetime | None], kinds: Iterable[Deadline],
           clock_start: datetime, reminder_at: float, cal: BusinessCalendar) -> list[Alert]:
    """Every reminder and breach notice for the running deadlines, in time order."""
    out = []
    for kind in kinds:
        due = dues.get(kind)
        if due is None:
            continue
        allowed = cal.working_time_between(clock_start, due)
        remind = cal.add_working_hours(clock_start, allowed * reminder_at) if allowed else due
        out.append(Alert(AlertKind.REMINDER, kind, due, min(remind, due)))
        out.append(Alert(AlertKind.BREACH, kind, due, due))
    return sorted(out, key=lambda a: (a.at, a.kind != AlertKind.REMINDER))


class Urgency(StrEnum):
    OK = "ok"
    SOON = "soon"  # past the reminder point
    OVERDUE = "overdue"


def urgency(now: datetime, due: datetime, clock_start: datetime | None, reminder_at: float,
            cal: BusinessCalendar) -> Urgency:
    if now >= due:
        return Urgency.OVERDUE
    if clock_start is not None:
        allowed = cal.working_time_between(clock_start, due)
        if cal.working_time_between(now, due) <= allowed * (1 - reminder_at):
            return Urgency.SOON
    return Urgency.OK


def time_left(now: datetime, due: datetime, cal: BusinessCalendar) -> timedelta:
    """Working time left until `due`; negative once overdue."""
    return cal.working_time_between(now, due)


def extension_allowed(now: datetime, result_due: datetime | None) -> bool:
    """An extension may be requested only before the result deadline."""
    return result_due is not None and now < result_due


def appeal_allowed(now: datetime, dispatched_at: datetime | None, rules: DeadlineRules,
                   cal: BusinessCalendar) -> bool:
    """An appeal only within the window (1 working day) after dispatch."""
    return dispatched_at is not None and now <= rules.appeal_window.after(dispatched_at, cal)


def check_extension(new_due: datetime, now: datetime, result_due: datetime,
                    cap_due: datetime) -> str | None:
    """Why a requested result deadline is not acceptable, or None."""
    if new_due <= result_due:
        return "not_later"
    if new_due > cap_due:
        return "past_cap"
    if new_due <= now:
        return "past"
    return None
