"""Sign-in protection (ASVS 4.0 §2.2.1): too many wrong passwords lock a username, or an
address, for a while, whatever password comes next. Pure rules; the attempts come from the
sign-in log."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ThrottleRules:
    per_username: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)

    @property
    def lookback(self) -> timedelta:
        """How far back failures can still matter."""
        return self.window + self.lockout


RULES = ThrottleRules()


def locked_until(failures: Iterable[datetime], threshold: int, rules: ThrottleRules = RULES
                 ) -> datetime | None:
    """The end of the latest lockout: `threshold` failures within the window lock for
    `rules.lockout` from the failure that reached the threshold. Refused attempts are not
    failures, so hammering a locked account does not extend its lock."""
    times = sorted(failures)
    until = None
    for i in range(threshold - 1, len(times)):
        if times[i] - times[i - threshold + 1] <= rules.window:
            end = times[i] + rules.lockout
            until = end if until is None or end > until else until
    return until


def refusal(username_failures: Iterable[datetime], address_failures: Iterable[datetime],
            now: datetime, rules: ThrottleRules = RULES) -> datetime | None:
    """When sign-in is refused now, until when; else None."""
    ends = [
        end for end in (locked_until(username_failures, rules.per_username, rules),
                        locked_until(address_failures, rules.per_address, rules))
        if end is not None and end > now
    ]
    return max(ends) if ends else None


def shown_until(moment: datetime) -> datetime:
    """The end of a lock as shown to the minute, rounded up: a lock ending at 14:13:58 reads
    "until 14:14", so trying again at the time shown is never refused."""
    whole = moment.replace(second=0, microsecond=0)
    return whole if whole == moment else whole + timedelta(minutes=1)
