"""What a complaint waits for next: the nearest running deadline (list order) and the next
reminder, breach notice or automatic grade rule that the sweep must act on. Pure."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from portal.deadlines import (
    DUE_COLUMN,
    Alert,
    AlertKind,
    Deadline,
    DeadlineRules,
    alerts,
    nearest,
    running,
    time_left,
    urgency,
)
from portal.grading import parse_criteria
from portal.timeutil import months_after
from portal.workcalendar import BusinessCalendar
from portal.workflow import FINISHED, Status

UNRESOLVED_RULE = "I-8"
# Valid and not yet answered: what I-8 watches.
UNRESOLVED_STATUSES = frozenset(Status) - frozenset(FINISHED)

SentKey = tuple[str, str, datetime]  # (kind, deadline, due)


@dataclass(frozen=True)
class Plan:
    next_due: datetime | None
    next_alert_at: datetime | None
    pending: list[Alert]  # not yet sent, in time order

    def due_now(self, now: datetime) -> list[Alert]:
        return [a for a in self.pending if a.at <= now]


def dues_of(row: Mapping) -> dict[Deadline, datetime | None]:
    return {d: row.get(column) for d, column in DUE_COLUMN.items()}


def running_of(row: Mapping) -> list[Deadline]:
    return running(row["status"], row.get("acknowledged_at") is not None,
                   row.get("first_contact_at") is not None)


def unresolved_alert(row: Mapping, rules: DeadlineRules, tz=None) -> Alert | None:
    """I-8: a valid complaint still unresolved this long after logging becomes Class I."""
    if row["status"] not in UNRESOLVED_STATUSES:
        return None
    if UNRESOLVED_RULE in parse_criteria(row.get("criteria") or ""):
        return None
    logged = row["logged_at"].astimezone(tz) if tz else row["logged_at"]
    # "A month later" on the company's calendar, not in UTC.
    at = months_after(logged, rules.unresolved_months)
    return Alert(AlertKind.AUTO_GRADE, UNRESOLVED_RULE, at, at)


def plan(row: Mapping, rules: DeadlineRules, cal: BusinessCalendar,
         sent: Collection[SentKey] = ()) -> Plan:
    kinds = running_of(row)
    dues = dues_of(row)
    if row["status"] == "logged":
        next_due = rules.dispatch.after(row["received_at"], cal)
    else:
        next_due = nearest(dues, kinds)
    schedule = []
    if row.get("clock_start") is not None:
        schedule = alerts(dues, kinds, row["clock_start"], rules.reminder_at, cal)
    sent_keys = {(k, d, due) for k, d, due in sent}
    auto = unresolved_alert(row, rules, cal.tz)
    pending = [a for a in [*schedule, *([auto] if auto else [])]
               if (str(a.kind), str(a.deadline), a.due) not in sent_keys]
    pending.sort(key=lambda a: a.at)
    return Plan(next_due, pending[0].at if pending else None, pending)


# When each deadline counts as met.
MET_BY = {
    Deadline.ACKNOWLEDGE: "acknowledged_at",
    Deadline.CONTACT: "first_contact_at",
    Deadline.RESULT: "result_submitted_at",
    Deadline.CAP: "signed_off_at",
}


@dataclass(frozen=True)
class DeadlineView:
    kind: Deadline
    due: datetime
    running: bool
    met_at: datetime | None
    urgency: str  # ok | soon | overdue | met | late (met after the due time)
    left: float  # working hours left (negative: overdue), for running deadlines


def deadline_views(row: Mapping, now: datetime, rules: DeadlineRules,
                   cal: BusinessCalendar) -> list[DeadlineView]:
    """What the complaint page shows for each deadline."""
    kinds = set(running_of(row))
    views = []
    for kind in Deadline:
        due = row.get(DUE_COLUMN[kind])
        if due is None:
            continue
        met_at = row.get(MET_BY[kind])
        if kind in kinds:
            state = str(urgency(now, due, row.get("clock_start"), rules.reminder_at, cal))
            left = time_left(now, due, cal).total_seconds() / 3600
        else:
            state = "late" if met_at and met_at > due else "met" if met_at else "stopped"
            left = 0.0
        views.append(DeadlineView(kind, due, kind in kinds, met_at, state, left))
    return views
