"""The business calendar as stored: the package's official days plus the administrator's
dates. Cached per process for a short while; changes made here drop the cache at once."""

from __future__ import annotations

import time as _time
from datetime import date, datetime, tzinfo

from db.tables import CalendarDay, CalendarYear, User
from db.transactions import atomic
from portal.policy import Policy
from portal.workcalendar import BusinessCalendar, DayKind, Override

CACHE_SECONDS = 30.0
_cache: dict[tuple, tuple[float, BusinessCalendar]] = {}


def forget() -> None:
    _cache.clear()


async def load(policy: Policy, tz: tzinfo) -> BusinessCalendar:
    days = await CalendarDay.select(CalendarDay.day, CalendarDay.kind, CalendarDay.name)
    years = await CalendarYear.select(CalendarYear.year)
    return BusinessCalendar.build(
        tz, policy.work_start, policy.work_end,
        overrides=[Override(d["day"], DayKind(d["kind"]), d["name"]) for d in days],
        confirmed_years=[y["year"] for y in years],
    )


async def business_calendar(policy: Policy, tz: tzinfo, fresh: bool = False) -> BusinessCalendar:
    """Deadline computations ask for `fresh`; display may use a calendar up to 30 s old
    (another server process may have just changed it)."""
    key = (id(policy), str(tz))
    hit = _cache.get(key)
    if not fresh and hit and _time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    cal = await load(policy, tz)
    _cache[key] = (_time.monotonic(), cal)
    return cal


async def days_of_year(year: int) -> list[dict]:
    return await CalendarDay.select(
        CalendarDay.id, CalendarDay.day, CalendarDay.kind, CalendarDay.name,
        CalendarDay.created_by.display_name.as_alias("created_by_name"),
    ).where((CalendarDay.day >= date(year, 1, 1)) & (CalendarDay.day <= date(year, 12, 31))
            ).order_by(CalendarDay.day)


async def set_day(day: date, kind: DayKind, name: str, user_id: int, now: datetime) -> None:
    async with atomic():
        await CalendarDay.delete().where(CalendarDay.day == day)
        await CalendarDay(day=day, kind=kind.value, name=name, created_by=user_id,
                          created_at=now).save()
    forget()


async def remove_day(day: date) -> bool:
    async with atomic():
        rows = await CalendarDay.delete().where(CalendarDay.day == day).returning(CalendarDay.id)
    forget()
    return bool(rows)


async def confirm_year(year: int, user_id: int, now: datetime, confirmed: bool = True) -> None:
    async with atomic():
        await CalendarYear.delete().where(CalendarYear.year == year)
        if confirmed:
            await CalendarYear(year=year, confirmed_by=user_id, confirmed_at=now).save()
    forget()


async def dismiss_banner(user_id: int, year: int) -> None:
    """This user no longer sees the warning that `year` is not filled in (a later year's
    warning shows again: one year is kept, the latest dismissed)."""
    await User.update({User.calendar_banner_dismissed: year}).where(User.id == user_id)
