"""Signed-in sessions: the [session] policy and when a session has ended. Pure rules.

ASVS 4.0 §3.3: a session ends after an idle period and after an absolute lifetime, whatever
the activity. The idle period counts working time on the business calendar, so a clerk who
leaves on Friday evening is still signed in on Monday morning, but not after a working day
away from the desk.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from portal import accounts


class WorkingClock(Protocol):
    def working_time_between(self, a: datetime, b: datetime) -> timedelta: ...


@dataclass(frozen=True)
class SessionRules:
    idle_working_hours: float = 8.0
    absolute_hours: float = 12.0
    # last_seen_at is written at most this often, not on every request.
    touch_every: timedelta = timedelta(minutes=1)

    @property
    def absolute(self) -> timedelta:
        return timedelta(hours=self.absolute_hours)

    @property
    def idle(self) -> timedelta:
        return timedelta(hours=self.idle_working_hours)


def parse_session(raw: Mapping) -> SessionRules:
    """Validate the policy's [session] table; raises ValueError naming the bad entry."""
    if not isinstance(raw, Mapping):
        raise ValueError("session must be a table")
    default = SessionRules()
    unknown = set(raw) - {"idle_working_hours", "absolute_hours"}
    if unknown:
        raise ValueError(f"session: unknown setting(s) {sorted(unknown)}")
    idle = raw.get("idle_working_hours", default.idle_working_hours)
    absolute = raw.get("absolute_hours", default.absolute_hours)
    for name, value, top in (("idle_working_hours", idle, 72), ("absolute_hours", absolute, 720)):
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= top:
            raise ValueError(f"session.{name} must be a number of hours above 0 and at most {top}")
    return SessionRules(float(idle), float(absolute))


class SessionState(StrEnum):
    ACTIVE = "active"
    IDLE = "idle"  # no request for longer than the idle working time
    EXPIRED = "expired"  # older than the absolute lifetime
    ENDED = "ended"  # signed out, or ended by a password change


def state_of(created_at: datetime, last_seen_at: datetime, ended_at: datetime | None,
             now: datetime, rules: SessionRules, clock: WorkingClock) -> SessionState:
    if ended_at is not None:
        return SessionState.ENDED
    if now - created_at >= rules.absolute:
        return SessionState.EXPIRED
    if clock.working_time_between(last_seen_at, now) >= rules.idle:
        return SessionState.IDLE
    return SessionState.ACTIVE


def needs_touch(last_seen_at: datetime, now: datetime, rules: SessionRules) -> bool:
    return now - last_seen_at >= rules.touch_every


def new_token() -> str:
    return secrets.token_urlsafe(32)


# Only the hash is stored: a copy of the table does not hand out live sessions.
token_hash = accounts.token_hash
