"""Helpers for the deadline, sweep and mail tests: fixed clocks in the company's zone, and
workflow actions taken at a chosen instant through the same command the pages use.

Every function here is a coroutine function: run it with `client.run(...)` when the test
has the app (its PostgreSQL pool lives on the app's loop), else with `asyncio.run(...)`."""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from db.commands import Env, perform
from db.tables import (
    Attachment,
    Complaint,
    ComplaintEvent,
    DeadlineAlert,
    Notification,
    OutboxEmail,
    User,
)
from portal.policy import load_policy
from portal.workflow import Action
from tests.factories import make_complaint

TZ = ZoneInfo("Asia/Shanghai")
BASE_URL = "http://testserver"  # the `settings` fixture's base_url
POLICY = load_policy()
DEADLINES = ("acknowledge", "contact", "result", "cap")

# Each complaint gets its own customer unless a test asks otherwise: the default phone of
# the factory would link every complaint to the previous one and trigger I-7 / II-6.
_phones = itertools.count(1)


def local(*args) -> datetime:
    """A wall-clock instant in the company's zone: local(2026, 11, 24, 10)."""
    return datetime(*args, tzinfo=TZ)


def env() -> Env:
    return Env(POLICY, TZ, BASE_URL, os.environ["PORTAL_SECRET_KEY"])


def fresh_customer() -> dict:
    return {"customer_phone": f"139{next(_phones):08d}", "customer_email": ""}


def dues(row: dict) -> dict:
    return {d: row[f"{d}_due"] for d in DEADLINES}


async def reload(number: str) -> dict:
    return await Complaint.select().where(Complaint.number == number).first()


async def act(viewers, number: str, action: Action, username: str, now: datetime,
              **fields) -> dict:
    """One workflow action by a demo user at `now`; returns the updated row."""
    row = await reload(number)
    return await perform(number, action, viewers[username], row["version"], fields, now, env())


async def logged(viewers, at: datetime, **overrides) -> dict:
    values = {**fresh_customer(), "received_at": at - timedelta(hours=1), **overrides}
    return await make_complaint(viewers, status="logged", now=at, **values)


async def dispatched(viewers, at: datetime, department: str = "QA", **overrides) -> dict:
    """A complaint logged an hour before `at` and dispatched by the office exactly at `at`."""
    row = await logged(viewers, at - timedelta(hours=1), **overrides)
    return await act(viewers, row["number"], Action.DISPATCH, "office", at,
                     department=department)


async def in_progress(viewers, at: datetime, department: str = "QA", **overrides) -> dict:
    """Dispatched at `at`, then acknowledged, started and contacted a few minutes later."""
    prefix = "qa" if department == "QA" else "svc"
    row = await dispatched(viewers, at, department, **overrides)
    number = row["number"]
    await act(viewers, number, Action.ACKNOWLEDGE, f"{prefix}.staff", at + timedelta(minutes=5))
    await act(viewers, number, Action.START, f"{prefix}.staff", at + timedelta(minutes=6))
    return await act(viewers, number, Action.CONTACT, f"{prefix}.staff",
                     at + timedelta(minutes=7), note="已电话联系客户")


async def history(complaint_id: int) -> list[dict]:
    return await ComplaintEvent.select().where(ComplaintEvent.complaint == complaint_id
                                                ).order_by(ComplaintEvent.id)


async def notifications(complaint_id: int | None = None) -> list[dict]:
    query = Notification.select(Notification.user, Notification.complaint, Notification.kind,
                                Notification.detail, Notification.created_at)
    if complaint_id is not None:
        query = query.where(Notification.complaint == complaint_id)
    return await query.order_by(Notification.id)


async def alerts(complaint_id: int) -> list[dict]:
    return await DeadlineAlert.select().where(DeadlineAlert.complaint == complaint_id
                                              ).order_by(DeadlineAlert.id)


async def attachments(complaint_id: int) -> list[dict]:
    return await Attachment.select().where(Attachment.complaint == complaint_id)


async def outbox() -> list[dict]:
    return await OutboxEmail.select().order_by(OutboxEmail.id)


def recipients(notes: list[dict], kind: str, detail: str | None = None) -> list[int]:
    """The users a kind of notice went to, sorted, duplicates kept (to catch doubles)."""
    return sorted(n["user"] for n in notes
                  if n["kind"] == kind and (detail is None or n["detail"] == detail))


@dataclass(frozen=True)
class Audience:
    """Who should hear what, read from the users table: other tests of the same run may add
    users (tests/pages/test_cli.py creates a QA handler), so nothing assumes the demo set."""

    handlers: dict[str, list[int]]  # department -> its active handlers
    heads: dict[str, list[int]]  # department -> its active heads
    office: list[int]  # active users with the office role
    cshead: list[int]  # active users with the CS head role
    emails: dict[int, str]  # active user -> address ("" when none)

    def department(self, code: str) -> list[int]:
        return sorted(self.handlers[code] + self.heads[code])

    def breach(self, code: str | None, grade: str = "II") -> list[int]:
        users = self.heads.get(code, []) + self.office + (self.cshead if grade == "I" else [])
        return sorted(users)

    def addresses(self, ids) -> list[str]:
        return sorted(self.emails[i] for i in ids if self.emails.get(i))


async def audience() -> Audience:
    users = await User.select(User.id, User.role, User.department, User.email).where(
        User.is_active.eq(True))
    handlers: dict[str, list[int]] = {}
    heads: dict[str, list[int]] = {}
    for u in users:
        if u["role"] == "handler":
            handlers.setdefault(u["department"], []).append(u["id"])
        elif u["role"] == "dept_head":
            heads.setdefault(u["department"], []).append(u["id"])
    for code in ("QA", "SVC"):
        handlers.setdefault(code, [])
        heads.setdefault(code, [])
    return Audience({k: sorted(v) for k, v in handlers.items()},
                    {k: sorted(v) for k, v in heads.items()},
                    sorted(u["id"] for u in users if u["role"] == "office"),
                    sorted(u["id"] for u in users if u["role"] == "cs_head"),
                    {u["id"]: u["email"] for u in users})
