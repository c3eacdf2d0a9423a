"""Reporting periods (DOMAIN §6): a month, a quarter, a year or a custom range of days on the
company's calendar, the period before it, and its bounds as UTC instants. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from portal.i18n import _

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)
_YEAR = re.compile(r"^(\d{4})$")


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    """Days first..last inclusive, in the company's local calendar."""

    kind: str  # month | quarter | year | custom
    first: date
    last: date

    @property
    def key(self) -> str:
        """The period's name in URLs: 2026-11, 2026-Q4, 2026, or 2026-11-01..2026-11-15."""
        if self.kind == "month":
            return f"{self.first:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.first.year}-Q{(self.first.month - 1) // 3 + 1}"
        if self.kind == "year":
            return f"{self.first.year}"
        return f"{self.first.isoformat()}..{self.last.isoformat()}"

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """[start, end) as aware instants: local midnight of the first day and of the day
        after the last."""
        start = datetime.combine(self.first, time(), tzinfo=tz)
        end = datetime.combine(self.last + timedelta(days=1), time(), tzinfo=tz)
        return start, end

    def previous(self) -> Period:
        """The period of the same kind just before (a custom range: as many days before)."""
        if self.kind == "month":
            return month(*_shift(self.first.year, self.first.month, -1))
        if self.kind == "quarter":
            y, m = _shift(self.first.year, self.first.month, -3)
            return quarter(y, (m - 1) // 3 + 1)
        if self.kind == "year":
            return year(self.first.year - 1)
        last = self.first - timedelta(days=1)
        return Period("custom", last - timedelta(days=self.days - 1), last)

    def months(self) -> list[Period]:
        """The calendar months the period touches, cut to the period (for monthly trends)."""
        out, y, m = [], self.first.year, self.first.month
        while date(y, m, 1) <= self.last:
            whole = month(y, m)
            first, last = max(whole.first, self.first), min(whole.last, self.last)
            # A month cut by the period is a custom range, so its key names only those days.
            out.append(whole if (first, last) == (whole.first, whole.last)
                       else Period("custom", first, last))
            y, m = _shift(y, m, 1)
        return out


def _shift(y: int, m: int, months: int) -> tuple[int, int]:
    index = y * 12 + (m - 1) + months
    return index // 12, index % 12 + 1


def month(y: int, m: int) -> Period:
    ny, nm = _shift(y, m, 1)
    return Period("month", date(y, m, 1), date(ny, nm, 1) - timedelta(days=1))


def quarter(y: int, q: int) -> Period:
    first = date(y, 3 * (q - 1) + 1, 1)
    ny, nm = _shift(y, first.month, 3)
    return Period("quarter", first, date(ny, nm, 1) - timedelta(days=1))


def year(y: int) -> Period:
    return Period("year", date(y, 1, 1), date(y, 12, 31))


def quarter_of(day: date) -> Period:
    return quarter(day.year, (day.month - 1) // 3 + 1)


MAX_CUSTOM_DAYS = 3 * 366


def parse(text: str) -> Period:
    """A period from its key; PeriodError with a sentence when it is not one."""
    text = (text or "").strip()
    try:
        if m := _MONTH.match(text):
            return month(int(m[1]), int(m[2]))
        if m := _QUARTER.match(text):
            return quarter(int(m[1]), int(m[2]))
        if m := _YEAR.match(text):
            return year(int(m[1]))
        if ".." in text:
            a, b = (date.fromisoformat(part.strip()) for part in text.split("..", 1))
            return custom(a, b)
    except ValueError as exc:
        if isinstance(exc, PeriodError):
            raise
        raise PeriodError(f"not a period: {text!r}") from None
    raise PeriodError(f"not a period: {text!r}")


def custom(first: date, last: date) -> Period:
    if last < first:
        raise PeriodError("the range ends before it starts")
    if (last - first).days + 1 > MAX_CUSTOM_DAYS:
        raise PeriodError("a custom range may span at most three years")
    return Period("custom", first, last)


def name(period: Period | str) -> str:
    """The period as people say it, in the reader's language (2026 年第 4 季度, Q4 2026); a
    key that is not a period stays as it is."""
    if isinstance(period, str):
        try:
            period = parse(period)
        except PeriodError:
            return period
    if period.kind == "month":
        return _("%(year)s-%(month)s", year=period.first.year, month=f"{period.first.month:02d}")
    if period.kind == "quarter":
        return _("Q%(quarter)d %(year)d", quarter=(period.first.month - 1) // 3 + 1,
                 year=period.first.year)
    if period.kind == "year":
        return _("Year %(year)d", year=period.first.year)
    return _("%(first)s to %(last)s", first=period.first.isoformat(),
             last=period.last.isoformat())
