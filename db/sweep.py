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

from db import rollup
from db.commands import AUTO_GRADE_EVENT, Env, _event, regraded_deadlines
from db.notify import CHUNK, Notice, active_users, department_users, role_users, write_notices
from db.revisits import return_unanswered_surveys
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
    surveys_returned: int = 0  # unanswered email surveys back in the phone queue
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


def _key(complaint_id: int, alert: Alert) -> tuple:
    return (complaint_id, str(alert.kind), str(alert.deadline), alert.due)


async def _record(pairs: list[tuple[dict, Alert]], now: datetime) -> set[tuple]:
    """Inserts the alerts under their unique key; returns the keys this sweeper inserted
    (a key another sweeper got first is not returned: that one sends it)."""
    if not pairs:
        return set()
    ids = []
    for i in range(0, len(pairs), CHUNK):
        inserted = await DeadlineAlert.insert(*[
            DeadlineAlert(complaint=row["id"], kind=str(a.kind), deadline=str(a.deadline),
                          due=a.due, sent_at=now) for row, a in pairs[i:i + CHUNK]
        ]).on_conflict(action="DO NOTHING").returning(DeadlineAlert.id)
        ids += [r["id"] for r in inserted]
    if not ids:
        return set()
    rows = await DeadlineAlert.select(DeadlineAlert.complaint, DeadlineAlert.kind,
                                      DeadlineAlert.deadline, DeadlineAlert.due).where(
        DeadlineAlert.id.is_in(ids))
    return {(r["complaint"], r["kind"], r["deadline"], r["due"]) for r in rows}


class Recipients:
    """Who gets what, looked up once per sweep (not once per complaint)."""

    def __init__(self) -> None:
        self._lists: dict[tuple, list[int]] = {}
        self.users: dict[int, dict] = {}

    async def _list(self, key: tuple, load) -> list[int]:
        if key not in self._lists:
            self._lists[key] = await load()
        return self._lists[key]

    async def department(self, code: str | None, roles: tuple[str, ...]) -> list[int]:
        return await self._list(("dept", code, roles), lambda: department_users(code, roles))

    async def role(self, role: str) -> list[int]:
        return await self._list(("role", role), lambda: role_users(role))

    async def handlers(self, row: dict) -> list[int]:
        # Issue 12: reminders go to the person it was given to, else to whoever acknowledged
        # it, while they are still one of the department's active people (not moved away or
        # deactivated since); else to the department's handlers, else its head.
        people = await self.department(row["department"], (Role.HANDLER, Role.DEPT_HEAD))
        for person in (row.get("assignee"), row["acknowledged_by"]):
            if person and person in people:
                return [person]
        return await self.department(row["department"], (Role.HANDLER,)) or people

    async def breach(self, row: dict) -> list[int]:
        users = [*await self.department(row["department"], (Role.DEPT_HEAD,)),
                 *await self.role(Role.OFFICE)]
        if row["grade"] == "I":  # DOMAIN §4: a Class I breach also goes to the CS head
            users += await self.role(Role.CS_HEAD)
        return users

    async def load_users(self, ids) -> dict[int, dict]:
        missing = {i for i in ids if i and i not in self.users}
        if missing:
            self.users.update(await active_users(missing))
        return self.users


async def _auto_grade(row: dict, alert: Alert, now: datetime, env: Env, cal) -> dict:
    """I-8: unresolved a month after logging → Class I, deadlines follow, history names it."""
    criteria = parse_criteria(row["criteria"])
    grade, criteria = escalate(row["grade"], criteria, str(alert.deadline), env.policy)
    changes = {"grade": grade, "criteria": join_criteria(criteria, env.policy)}
    if row["clock_start"] is not None and grade != row["grade"]:
        changes.update(regraded_deadlines(env.policy, row, grade, row["urgent"], cal))
    values = {getattr(Complaint, k): v for k, v in changes.items()}
    values[Complaint.version] = row["version"] + 1
    await Complaint.update(values).where(Complaint.id == row["id"])
    await rollup.move(row, {**row, **changes}, env.policy, env.tz)  # the grade moved groups
    audited = {k: [row[k], v] for k, v in changes.items() if k != "criteria" and row[k] != v}
    await _event(row["id"], now, None, AUTO_GRADE_EVENT, row["status"], row["status"],
                 str(alert.deadline), audited).save()
    return {**row, **changes, "version": row["version"] + 1}


async def _apply_auto_rules(row: dict, sent: set, now: datetime, env: Env, cal,
                            rc: Recipients, result: SweepResult) -> dict:
    """Automatic grade rules first (rare): they change the deadlines the rest is planned on."""
    for alert in plan(row, env.policy.deadlines, cal, sent).due_now(now):
        if alert.kind is not AlertKind.AUTO_GRADE:
            continue
        sent.add(_key(row["id"], alert)[1:])
        if not await _record([(row, alert)], now):
            result.skipped += 1
            continue
        row = await _auto_grade(row, alert, now, env, cal)
        result.auto_graded += 1
        users = await rc.breach(row)
        await rc.load_users(users)
        result.notifications += await write_notices(
            [Notice(tuple(users), row, "auto_graded", str(alert.deadline))], now, env.mailing,
            rc.users)
    return row


async def _process_batch(rows: list[dict], sent: dict[int, set], now: datetime, env: Env, cal,
                         rc: Recipients, result: SweepResult) -> None:
    rules = env.policy.deadlines
    rows = [await _apply_auto_rules(r, sent[r["id"]], now, env, cal, rc, result) for r in rows]
    due: list[tuple[dict, Alert]] = []
    for row in rows:
        alerts = plan(row, rules, cal, sent[row["id"]]).due_now(now)
        for alert in alerts:
            sent[row["id"]].add(_key(row["id"], alert)[1:])
            due.append((row, alert))
        if alerts:
            result.numbers.append(row["number"])
    mine = await _record(due, now)
    breaches = {(row["id"], a.deadline) for row, a in due if a.kind is AlertKind.BREACH}
    notices = []
    for row, alert in due:
        if _key(row["id"], alert) not in mine:
            result.skipped += 1  # another sweeper recorded it first and sends it
        elif alert.kind is AlertKind.REMINDER and (row["id"], alert.deadline) in breaches:
            result.skipped += 1  # the worker was down: only the breach matters now
        elif alert.kind is AlertKind.REMINDER:
            result.reminders += 1
            notices.append(Notice(tuple(await rc.handlers(row)), row, "reminder",
                                  str(alert.deadline), alert.due))
        else:
            result.breaches += 1
            notices.append(Notice(tuple(await rc.breach(row)), row, "breach",
                                  str(alert.deadline), alert.due))
    await rc.load_users(i for n in notices for i in n.user_ids)
    result.notifications += await write_notices(notices, now, env.mailing, rc.users)
    schedule = [(row["id"], *_next(plan(row, rules, cal, sent[row["id"]]))) for row in rows]
    await _save_schedule(schedule)
    result.complaints += len(rows)


def _next(p) -> tuple:
    return p.next_alert_at, p.next_due


async def _save_schedule(schedule: list[tuple[int, datetime | None, datetime | None]]) -> None:
    """next_alert_at / next_due for the batch: one statement on PostgreSQL."""
    if not schedule:
        return
    if is_sqlite():
        for ident, alert_at, due in schedule:
            await Complaint.update({Complaint.next_alert_at: alert_at,
                                    Complaint.next_due: due}).where(Complaint.id == ident)
        return
    ids, alert_ats, dues = (list(col) for col in zip(*schedule, strict=True))
    await Complaint.raw(
        "UPDATE complaint AS c SET next_alert_at = v.a, next_due = v.d "
        "FROM unnest({}::integer[], {}::timestamptz[], {}::timestamptz[]) AS v(id, a, d) "
        "WHERE c.id = v.id", ids, alert_ats, dues)


async def sweep(now: datetime, env: Env, batch: int = BATCH) -> SweepResult:
    """One pass over every complaint whose next alert has come, in batches (each batch one
    transaction, so a crash loses nothing and repeats nothing)."""
    cal = await env.calendar()
    result = SweepResult()
    rc = Recipients()
    seen: set[int] = set()
    while True:
        async with atomic():
            rows = [r for r in await _claim(now, batch) if r["id"] not in seen]
            if not rows:
                break  # nothing left (a row seen twice would mean a bug: do not spin)
            seen.update(r["id"] for r in rows)
            sent = await _sent([r["id"] for r in rows])
            await _process_batch(rows, sent, now, env, cal, rc, result)
        if len(rows) < batch:
            break
    while returned := await return_unanswered_surveys(now, batch):  # DOMAIN §5
        result.surveys_returned += len(returned)
        if len(returned) < batch:
            break
    return result


def describe(result: SweepResult) -> str:
    return json.dumps({k: v for k, v in result.__dict__.items() if k != "numbers"})
