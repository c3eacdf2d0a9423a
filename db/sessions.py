"""Server-side sessions (portal/sessions.py has the rules): start at sign-in, check on each
request, end at sign-out or when the password changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from db.tables import UserSession
from portal.sessions import (
    SessionRules,
    SessionState,
    WorkingClock,
    needs_touch,
    new_token,
    state_of,
    token_hash,
)


async def start_session(user_id: int, now: datetime, ip: str = "", user_agent: str = "") -> str:
    """A new session; returns the token for the cookie (only its hash is stored)."""
    token = new_token()
    await UserSession(token_hash=token_hash(token), user=user_id, created_at=now,
                      last_seen_at=now, ip=ip[:64], user_agent=user_agent[:255]).save()
    return token


TIMED_OUT = (SessionState.IDLE, SessionState.EXPIRED)


@dataclass(frozen=True)
class SessionCheck:
    user_id: int | None  # the user of a live session, else None
    # The session ended by its idle or absolute timeout (now, or at an earlier request), not
    # by signing out or a password change: the sign-in page says it expired, nothing more.
    timed_out: bool = False


async def check_session(token: str, now: datetime, rules: SessionRules,
                        clock: WorkingClock) -> SessionCheck:
    """The session of this token; ends one that has timed out."""
    row = await UserSession.select(
        UserSession.id, UserSession.user, UserSession.created_at, UserSession.last_seen_at,
        UserSession.ended_at,
    ).where(UserSession.token_hash == token_hash(token)).first()
    if row is None:
        return SessionCheck(None)
    if row["ended_at"] is not None:
        # Ended earlier: by a timeout if it had timed out by the moment it was ended (a
        # sign-out or a password change ends a session that was still live).
        then = state_of(row["created_at"], row["last_seen_at"], None, row["ended_at"], rules,
                        clock)
        return SessionCheck(None, timed_out=then in TIMED_OUT)
    state = state_of(row["created_at"], row["last_seen_at"], None, now, rules, clock)
    if state is not SessionState.ACTIVE:
        await UserSession.update({UserSession.ended_at: now}).where(UserSession.id == row["id"])
        return SessionCheck(None, timed_out=True)
    if needs_touch(row["last_seen_at"], now, rules):
        await UserSession.update({UserSession.last_seen_at: now}).where(
            UserSession.id == row["id"])
    return SessionCheck(row["user"])


async def session_user(token: str, now: datetime, rules: SessionRules,
                       clock: WorkingClock) -> int | None:
    """The user id of a live session, else None; ends a session that has timed out."""
    return (await check_session(token, now, rules, clock)).user_id


async def end_session(token: str, now: datetime) -> None:
    await UserSession.update({UserSession.ended_at: now}).where(
        (UserSession.token_hash == token_hash(token)) & UserSession.ended_at.is_null())


async def end_sessions(user_id: int, *, now: datetime, keep: str | None = None) -> int:
    """Ends every live session of the user but the one whose token is `keep`; returns how many."""
    where = (UserSession.user == user_id) & UserSession.ended_at.is_null()
    if keep:
        where &= UserSession.token_hash != token_hash(keep)
    ended = await UserSession.update({UserSession.ended_at: now}).where(where).returning(
        UserSession.id)
    return len(ended)
