"""Clock and calendar helpers. Read the clock once per request; tests pass their own."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def months_before(moment: datetime, months: int) -> datetime:
    """The same day-of-month `months` earlier, clamped to the month's end (31 May − 3 → 28 Feb)."""
    return _shift_months(moment, -months)


def months_after(moment: datetime, months: int) -> datetime:
    """The same day-of-month `months` later, clamped to the month's end (31 Jan + 1 → 28 Feb)."""
    return _shift_months(moment, months)


def _shift_months(moment: datetime, months: int) -> datetime:
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    for day in (moment.day, 30, 29, 28):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")
