"""The sign-in log and what the throttle counts from it."""

from __future__ import annotations

from datetime import datetime

from db.tables import LoginAttempt
from portal.throttle import RULES, ThrottleRules, refusal

PAGE_SIZE = 50


async def refused_until(username: str, ip: str, now: datetime,
                        rules: ThrottleRules = RULES) -> datetime | None:
    """When sign-in for this username or from this address is locked now, until when."""
    since = now - rules.lookback
    rows = await LoginAttempt.select(
        LoginAttempt.at, LoginAttempt.username, LoginAttempt.ip, LoginAttempt.success,
        LoginAttempt.outcome,
    ).where(
        (LoginAttempt.at >= since) & (LoginAttempt.at <= now)
        & ((LoginAttempt.username == username) | (LoginAttempt.ip == ip))
    )
    failed = ("wrong-password", "unknown-user", "inactive")
    by_name = [r for r in rows if r["username"] == username]
    last_ok = max((r["at"] for r in by_name if r["success"]), default=None)
    # A successful sign-in clears the username's count; an address's count stands.
    name_failures = [r["at"] for r in by_name if r["outcome"] in failed
                     and (last_ok is None or r["at"] > last_ok)]
    ip_failures = [r["at"] for r in rows if r["ip"] == ip and r["outcome"] in failed]
    return refusal(name_failures, ip_failures, now, rules)


async def record(username: str, ip: str, outcome: str, now: datetime,
                 user_id: int | None = None) -> None:
    await LoginAttempt(at=now, username=username[:64], ip=ip[:64], user=user_id,
                       success=outcome == "ok", outcome=outcome).save()


async def login_page(username: str = "", outcome: str = "", page: int = 1,
                     page_size: int = PAGE_SIZE) -> tuple[list[dict], bool]:
    """Newest first; (rows, has_more)."""
    query = LoginAttempt.select(
        LoginAttempt.id, LoginAttempt.at, LoginAttempt.username, LoginAttempt.ip,
        LoginAttempt.success, LoginAttempt.outcome,
    )
    if username:
        query = query.where(LoginAttempt.username == username)
    if outcome:
        query = query.where(LoginAttempt.outcome == outcome)
    rows = await query.order_by(LoginAttempt.at, ascending=False).order_by(
        LoginAttempt.id, ascending=False).offset((page - 1) * page_size).limit(page_size + 1)
    return rows[:page_size], len(rows) > page_size


async def contact_view_page(number: str = "", username: str = "", page: int = 1,
                            page_size: int = PAGE_SIZE) -> tuple[list[dict], bool]:
    """DOMAIN §8: who saw a customer's full contact details, newest first; (rows, has_more)."""
    from db.tables import ContactView

    query = ContactView.select(
        ContactView.id, ContactView.at, ContactView.complaint.number.as_alias("number"),
        ContactView.complaint.status.as_alias("status"),
        ContactView.user.username.as_alias("username"),
        ContactView.user.display_name.as_alias("display_name"),
        ContactView.user.role.as_alias("role"),
        ContactView.user.department.as_alias("department"),
    )
    if number:
        query = query.where(ContactView.complaint.number.like(f"%{_like(number.upper())}%"))
    if username:
        query = query.where(ContactView.user.username == username)
    rows = await query.order_by(ContactView.at, ascending=False).order_by(
        ContactView.id, ascending=False).offset((page - 1) * page_size).limit(page_size + 1)
    return rows[:page_size], len(rows) > page_size


def _like(text: str) -> str:
    """Search text as a literal inside LIKE (no wildcards from the user)."""
    return text.replace("%", "").replace("_", "")
