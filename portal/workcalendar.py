"""The business calendar: working days × working hours, and arithmetic on working time.

Working days come from the `chinesecalendar` package (official holidays and 调休 make-up
days), overridden by dates an administrator enters. A year the package does not know and the
administrator has not confirmed as complete falls back to Monday–Friday minus the fixed-date
holidays. Pure: no database, no web; instants are timezone-aware datetimes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum


class DayKind(StrEnum):
    HOLIDAY = "holiday"  # a day off that would otherwise be worked
    WORKDAY = "workday"  # a working day that would otherwise be off (调休 make-up day)


# Fallback for a year nobody has filled in: these dates are off whatever the weekday.
FIXED_HOLIDAYS = ((1, 1), (5, 1), (10, 1), (10, 2), (10, 3))


@dataclass(frozen=True)
class Override:
    day: date
    kind: DayKind
    name: str = ""


def official_days() -> tuple[dict[date, str], dict[date, str]]:
    """The package's holidays and make-up working days, read at run time so that upgrading
    the package brings new years without a code change."""
    import chinese_calendar

    return dict(chinese_calendar.holidays), dict(chinese_calendar.workdays)


@dataclass
class BusinessCalendar:
    tz: tzinfo
    start: time = time(9)
    end: time = time(18)
    official_holidays: Mapping[date, str] = field(default_factory=dict)
    official_workdays: Mapping[date, str] = field(default_factory=dict)
    overrides: Mapping[date, Override] = field(default_factory=dict)
    confirmed_years: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError("working hours must start before they end")
        self.official_years = frozenset(d.year for d in self.official_holidays)
        self._day_cache: dict[date, bool] = {}

    @classmethod
    def build(cls, tz: tzinfo, start: time = time(9), end: time = time(18),
              overrides: Iterable[Override] = (), confirmed_years: Iterable[int] = (),
              official: tuple[Mapping[date, str], Mapping[date, str]] | None = None,
              ) -> BusinessCalendar:
        holidays, workdays = official if official is not None else official_days()
        return cls(tz, start, end, holidays, workdays, {o.day: o for o in overrides},
                   frozenset(confirmed_years))

    # -- days ---------------------------------------------------------------------------

    def year_source(self, year: int) -> str:
        """'official' (package), 'company' (admin confirmed it complete) or 'fallback'."""
        if year in self.official_years:
            return "official"
        if year in self.confirmed_years:
            return "company"
        return "fallback"

    def is_working_day(self, day: date) -> bool:
        cached = self._day_cache.get(day)
        if cached is None:
            cached = self._day_cache[day] = self._working_day(day)
        return cached

    def _working_day(self, day: date) -> bool:
        override = self.overrides.get(day)
        if override is not None:
            return override.kind is DayKind.WORKDAY
        source = self.year_source(day.year)
        if source == "official":
            if day in self.official_workdays:
                return True
            if day in self.official_holidays:
                return False
        elif source == "fallback" and (day.month, day.day) in FIXED_HOLIDAYS:
            return False
        return day.weekday() < 5

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        day += timedelta(days=1)
        for _ in range(400):
            if self.is_working_day(day):
                return day
            day += timedelta(days=1)
        raise ValueError("no working day within a year: the calendar is misconfigured")

    def previous_working_day(self, day: date) -> date:
        day -= timedelta(days=1)
        for _ in range(400):
            if self.is_working_day(day):
                return day
            day -= timedelta(days=1)
        raise ValueError("no working day within a year: the calendar is misconfigured")

    # -- instants -----------------------------------------------------------------------

    @property
    def hours_per_day(self) -> timedelta:
        return datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)

    def _at(self, day: date, moment: time) -> datetime:
        return datetime.combine(day, moment, self.tz)

    def _local(self, instant: datetime) -> datetime:
        if instant.tzinfo is None:
            raise ValueError("instants must be timezone-aware")
        return instant.astimezone(self.tz)

    def is_working_time(self, instant: datetime, include_end: bool = False) -> bool:
        local = self._local(instant)
        if not self.is_working_day(local.date()):
            return False
        t = local.timetz().replace(tzinfo=None)
        return self.start <= t <= self.end if include_end else self.start <= t < self.end

    def next_working_time(self, instant: datetime) -> datetime:
        """`instant` itself when it falls in working time, else the next start of work.
        The end of the working day (18:00 exactly) is not working time."""
        local = self._local(instant)
        day, t = local.date(), local.timetz().replace(tzinfo=None)
        if self.is_working_day(day):
            if t < self.start:
                return self._at(day, self.start)
            if t < self.end:
                return local
        return self._at(self.next_working_day(day), self.start)

    def add_working_hours(self, instant: datetime, hours: float | timedelta) -> datetime:
        """The instant at which `hours` of working time have passed since `instant`."""
        remaining = hours if isinstance(hours, timedelta) else timedelta(hours=hours)
        if remaining < timedelta(0):
            raise ValueError("cannot add negative working time")
        current = self.next_working_time(instant)
        while True:
            day_end = self._at(current.date(), self.end)
            left_today = day_end - current
            if remaining <= left_today:
                return current + remaining
            remaining -= left_today
            current = self._at(self.next_working_day(current.date()), self.start)

    def add_working_days(self, instant: datetime, days: int) -> datetime:
        """N working days = N × the working hours of a day: 1 day from Tue 15:00 is Wed 15:00."""
        return self.add_working_hours(instant, self.hours_per_day * days)

    def end_of_working_day(self, instant: datetime) -> datetime:
        """'Same working day': the end of work on the day the clock starts."""
        start = self.next_working_time(instant)
        return self._at(start.date(), self.end)

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time from `a` to `b`; negative when `b` is before `a`."""
        if b < a:
            return -self.working_time_between(b, a)
        a, b = self._local(a), self._local(b)
        total = timedelta(0)
        day = a.date()
        while day <= b.date():
            if self.is_working_day(day):
                lo = max(a, self._at(day, self.start))
                hi = min(b, self._at(day, self.end))
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return total
