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


async def role_users(*roles: str) -> list[int]:
    rows = await User.select(User.id).where(User.is_active.eq(True) & User.role.is_in(list(roles)))
    return [r["id"] for r in rows]


async def notify(user_ids: Iterable[int], complaint: dict, kind: str, now: datetime,
                 mailing: Mailing, detail: str = "", due: datetime | None = None) -> int:
    """One notice per distinct active user; returns how many were written."""
    ids = list(dict.fromkeys(i for i in user_ids if i))
    if not ids:
        return 0
    users = await User.select(User.id, User.email, User.language).where(
        User.id.is_in(ids) & User.is_active.eq(True))
    if not users:
        return 0
    await Notification.insert(*[
        Notification(user=u["id"], complaint=complaint["id"], kind=kind, detail=detail,
                     created_at=now) for u in users])
    mails = []
    for u in users:
        if not u["email"]:
            continue
        subject, body = email_for(kind, complaint["number"], detail, u["language"],
                                  mailing.base_url, due, mailing.tz)
        mails.append(OutboxEmail(
            recipient=u["email"], subject=subject, body=body,
            message_id=f"<{uuid.uuid4().hex}@{mailing.domain}>",
            created_at=now, next_attempt_at=now, attempts=0))
    if mails:
        await OutboxEmail.insert(*mails)
    return len(users)
