"""Notifications: the in-app row and, for users with an address, an email in the outbox,
both written inside the caller's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from db.tables import Notification, OutboxEmail, User
from portal.notices import email_for
from portal.workflow import Role


@dataclass(frozen=True)
class Mailing:
    """What composing an email needs besides the notice itself."""

    base_url: str
    tz: tzinfo
    domain: str = "portal.local"


async def department_users(code: str | None, roles: Iterable[str] = (Role.HANDLER, Role.DEPT_HEAD)
                           ) -> list[int]:
    if not code:
        return []
    rows = await User.select(User.id).where(
        (User.department == code) & User.is_active.eq(True) & User.role.is_in(list(roles)))
    return [r["id"] for r in rows]


async def current_assignee(row: dict) -> int | None:
    """The person the complaint was given to, while they are an active handler or head of
    its department; else None (moved to another department or deactivated since): whoever
    would be told without an assignee is told instead."""
    user, code = row.get("assignee"), row.get("department")
    if not user or not code:
        return None
    found = await User.select(User.id).where(
        (User.id == user) & (User.department == code) & User.is_active.eq(True)
        & User.role.is_in([Role.HANDLER, Role.DEPT_HEAD])).first()
    return user if found else None


async def role_users(*roles: str) -> list[int]:
    rows = await User.select(User.id).where(User.is_active.eq(True) & User.role.is_in(list(roles)))
    return [r["id"] for r in rows]


@dataclass(frozen=True)
class Notice:
    """One notice to write: who, about which complaint, what."""

    user_ids: tuple[int, ...]
    complaint: dict
    kind: str
    detail: str = ""
    due: datetime | None = None


async def active_users(ids: Iterable[int]) -> dict[int, dict]:
    ids = list(dict.fromkeys(i for i in ids if i))
    if not ids:
        return {}
    rows = await User.select(User.id, User.email, User.language).where(
        User.id.is_in(ids) & User.is_active.eq(True))
    return {r["id"]: r for r in rows}


CHUNK = 1000  # rows per multi-row INSERT (well under SQLite's variable limit)


async def write_notices(notices: list[Notice], now: datetime, mailing: Mailing,
                        users: dict[int, dict] | None = None) -> int:
    """Writes many notices with a few multi-row INSERTs; returns the notifications written."""
    if users is None:
        users = await active_users(i for n in notices for i in n.user_ids)
    rows, mails = [], []
    for n in notices:
        for uid in dict.fromkeys(n.user_ids):
            u = users.get(uid)
            if u is None:
                continue
            rows.append(Notification(user=uid, complaint=n.complaint["id"], kind=n.kind,
                                     detail=n.detail, created_at=now))
            if u["email"]:
                subject, body = email_for(n.kind, n.complaint["number"], n.detail, u["language"],
                                          mailing.base_url, n.due, mailing.tz)
                mails.append(OutboxEmail(
                    recipient=u["email"], subject=subject, body=body,
                    message_id=f"<{uuid.uuid4().hex}@{mailing.domain}>",
                    created_at=now, next_attempt_at=now, attempts=0))
    for i in range(0, len(rows), CHUNK):
        await Notification.insert(*rows[i:i + CHUNK])
    for i in range(0, len(mails), CHUNK):
        await OutboxEmail.insert(*mails[i:i + CHUNK])
    return len(rows)


async def notify(user_ids: Iterable[int], complaint: dict, kind: str, now: datetime,
                 mailing: Mailing, detail: str = "", due: datetime | None = None) -> int:
    """One notice per distinct active user; returns how many were written."""
    return await write_notices([Notice(tuple(user_ids), complaint, kind, detail, due)], now,
                               mailing)
