"""The deadline sweep (every minute, from the server's scheduler or `portal worker`):
reminders, breach notices and the I-8 rule for complaints whose next_alert_at has come.

Each alert is recorded in deadline_alert under a unique key (complaint, kind, deadline,
due) in the same transaction as its notifications, so it goes out once even with several
sweepers; on PostgreSQL, rows are claimed with FOR UPDATE SKIP LOCKED so sweepers share
the work instead of queueing behind each other."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from db.commands import AUTO_GRADE_EVENT, Env, _deadlines, _event
from db.notify import department_users, notify, role_users
from db.tables import Complaint, DeadlineAlert
from db.transactions import atomic, is_sqlite
from portal.deadlines import Alert, AlertKind
from portal.grading import escalate, join_criteria, parse_criteria
from portal.schedule import plan
from portal.workflow import Role

BATCH = 500


@dataclass
class SweepResult:
    complaints: int = 0
    reminders: int = 0
    breaches: int = 0
    auto_graded: int = 0
    notifications: int = 0
    skipped: int = 0  # already sent by another sweeper, or a reminder overtaken by its breach
    numbers: list[str] = field(default_factory=list)


async def _claim(now: datetime, limit: int) -> list[dict]:
    query = (Complaint.select(Complaint.id)
             .where(Complaint.next_alert_at <= now)
             .order_by(Complaint.next_alert_at)
             .limit(limit))
    if not is_sqlite():  # SQLite's write transaction already excludes other sweepers
        query = query.lock_rows("UPDATE", skip_locked=True)
    ids = [r["id"] for r in await query]
    if not ids:
        return []
    return await Complaint.select().where(Complaint.id.is_in(ids)).order_by(Complaint.id)


async def _sent(ids: list[int]) -> dict[int, set]:
    rows = await DeadlineAlert.select(DeadlineAlert.complaint, DeadlineAlert.kind,
                                      DeadlineAlert.deadline, DeadlineAlert.due).where(
        DeadlineAlert.complaint.is_in(ids))
    sent: dict[int, set] = {i: set() for i in ids}
    for r in rows:
        sent[r["complaint"]].add((r["kind"], r["deadline"], r["due"]))
    return sent


async def _record(row: dict, alert: Alert, now: datetime) -> bool:
    """True when this sweeper is the one that sends it."""
    inserted = await DeadlineAlert.insert(DeadlineAlert(
        complaint=row["id"], kind=str(alert.kind), deadline=str(alert.deadline),
        due=alert.due, sent_at=now)).on_conflict(action="DO NOTHING").returning(DeadlineAlert.id)
    return bool(inserted)


async def _handlers(row: dict) -> list[int]:
    if row["acknowledged_by"]:
        return [row["acknowledged_by"]]
    return (await department_users(row["department"], (Role.HANDLER,))
            or await department_users(row["department"]))


async def _breach_recipients(row: dict) -> list[int]:
    users = await department_users(row["department"], (Role.DEPT_HEAD,))
    users += await role_users(Role.OFFICE)
    if row["grade"] == "I":  # DOMAIN §4: a Class I breach also goes to the CS head
        users += await role_users(Role.CS_HEAD)
    return users


async def _auto_grade(row: dict, alert: Alert, now: datetime, env: Env, cal) -> dict:
    """I-8: unresolved a month after logging → Class I, deadlines follow, history names it."""
    criteria = parse_criteria(row["criteria"])
    grade, criteria = escalate(row["grade"], criteria, str(alert.deadline), env.policy)
    changes = {"grade": grade, "criteria": join_criteria(criteria, env.policy)}
    if row["clock_start"] is not None and grade != row["grade"]:
        changes.update(_deadlines(env.policy, grade, row["urgent"], row["clock_start"], cal))
    values = {getattr(Complaint, k): v for k, v in changes.items()}
    values[Complaint.version] = row["version"] + 1
    await Complaint.update(values).where(Complaint.id == row["id"])
    audited = {k: [row[k], v] for k, v in changes.items() if k != "criteria" and row[k] != v}
    await _event(row["id"], now, None, AUTO_GRADE_EVENT, row["status"], row["status"],
                 str(alert.deadline), audited).save()
    return {**row, **changes, "version": row["version"] + 1}


async def _process(row: dict, sent: set, now: datetime, env: Env, cal, result: SweepResult) -> None:
    schedule = plan(row, env.policy.deadlines, cal, sent)
    due = schedule.due_now(now)
    breaches_due = {a.deadline for a in due if a.kind is AlertKind.BREACH}
    for alert in due:
        key = (str(alert.kind), str(alert.deadline), alert.due)
        sent.add(key)
        if not await _record(row, alert, now):
            result.skipped += 1
            continue
        if alert.kind is AlertKind.AUTO_GRADE:
            row = await _auto_grade(row, alert, now, env, cal)
            result.auto_graded += 1
            users = await _breach_recipients(row)
            result.notifications += await notify(users, row, "auto_graded", now, env.mailing,
                                                 str(alert.deadline))
        elif alert.kind is AlertKind.REMINDER:
            if alert.deadline in breaches_due:  # the worker was down: only the breach matters
                result.skipped += 1
                continue
            result.reminders += 1
            result.notifications += await notify(await _handlers(row), row, "reminder", now,
                                                 env.mailing, str(alert.deadline), alert.due)
        else:
            result.breaches += 1
            result.notifications += await notify(await _breach_recipients(row), row, "breach",
                                                 now, env.mailing, str(alert.deadline), alert.due)
    after = plan(row, env.policy.deadlines, cal, sent)
    await Complaint.update({Complaint.next_alert_at: after.next_alert_at,
                            Complaint.next_due: after.next_due}).where(Complaint.id == row["id"])
    result.complaints += 1
    if due:
        result.numbers.append(row["number"])


async def sweep(now: datetime, env: Env, batch: int = BATCH) -> SweepResult:
    """One pass over every complaint whose next alert has come, in batches (each batch one
    transaction, so a crash loses nothing and repeats nothing)."""
    cal = await env.calendar()
    result = SweepResult()
    seen: set[int] = set()
    while True:
        async with atomic():
            rows = await _claim(now, batch)
            if not rows or seen.intersection(r["id"] for r in rows):
                break  # nothing left (a row seen twice would mean a bug: do not spin)
            seen.update(r["id"] for r in rows)
            sent = await _sent([r["id"] for r in rows])
            for row in rows:
                await _process(row, sent[row["id"]], now, env, cal, result)
        if len(rows) < batch:
            break
    return result


def describe(result: SweepResult) -> str:
    return json.dumps({k: v for k, v in result.__dict__.items() if k != "numbers"})
