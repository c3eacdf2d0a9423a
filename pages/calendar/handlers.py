"""/admin/calendar: the year's official holidays and make-up days, and the administrator's
own dates (company holidays, or a whole year the chinesecalendar package does not know)."""

from __future__ import annotations

from datetime import date

from litestar import Request, Response, get, post
from litestar.exceptions import HTTPException

from db import calendar as store
from pages.calendar.forms import DAY_KINDS, CalendarDayForm
from portal.auth import safe_next
from portal.i18n import _, get_locale
from portal.labels import HOLIDAY_LABELS
from portal.timeutil import utcnow
from portal.web import form_data, redirect, render, roles, user_of
from portal.workcalendar import DayKind, official_days
from portal.workflow import Role

ADMIN = roles(Role.ADMIN)


def holiday_name(name: str) -> str:
    """An official holiday's name in the reader's language. A holiday a newer package brings
    before we have a label for it: its Chinese name from the package, else its English one."""
    label = HOLIDAY_LABELS.get(name)
    if label is not None:
        return str(label)
    if get_locale() != "en":
        import chinese_calendar

        try:
            return chinese_calendar.Holiday(name).chinese
        except ValueError:
            return name
    return name


def _year(value: int | None, tz) -> int:
    today = utcnow().astimezone(tz).year
    return value if value and 2000 <= value <= 2100 else today


async def _page(request: Request, year: int, form: CalendarDayForm | None = None,
                status: int = 200):
    settings, policy = request.app.state.settings, request.app.state.policy
    cal = await store.business_calendar(policy, settings.timezone, fresh=True)
    holidays, workdays = official_days()
    official = sorted(
        [(d, "holiday", holiday_name(name)) for d, name in holidays.items() if d.year == year]
        + [(d, "workday", holiday_name(name)) for d, name in workdays.items() if d.year == year])
    form = form or CalendarDayForm()
    return render(request, "calendar/calendar.html", status_code=status, year=year,
                  source=cal.year_source(year), official=official,
                  company=await store.days_of_year(year), form=form, kinds=DAY_KINDS,
                  cal=cal, nav="calendar")


@get("/admin/calendar", guards=[ADMIN])
async def calendar_page(request: Request, year: int | None = None) -> object:
    return await _page(request, _year(year, request.app.state.settings.timezone))


@post("/admin/calendar/days", guards=[ADMIN])
async def add_day(request: Request) -> object:
    form = CalendarDayForm(await form_data(request))
    if not form.validate():
        year = form.day.data.year if form.day.data else _year(None, request.app.state.settings.timezone)
        return await _page(request, year, form, status=422)
    day: date = form.day.data
    await store.set_day(day, DayKind(form.kind.data), (form.name.data or "").strip(),
                        user_of(request).id, utcnow())
    return redirect(f"/admin/calendar?year={day.year}",
                    _("%(day)s is now a %(kind)s.", day=day.isoformat(),
                      kind=str(DAY_KINDS[form.kind.data])), request)


@post("/admin/calendar/days/{day:str}/delete", guards=[ADMIN])
async def remove_day(request: Request, day: str) -> object:
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        return redirect("/admin/calendar", _("No such date."), request)
    removed = await store.remove_day(parsed)
    message = _("%(day)s removed; the official calendar applies again.", day=parsed.isoformat()) \
        if removed else _("That date was not in the company calendar.")
    return redirect(f"/admin/calendar?year={parsed.year}", message, request)


@post("/admin/calendar/years/{year:int}/confirm", guards=[ADMIN])
async def confirm_year(request: Request, year: int) -> object:
    data = await form_data(request)
    complete = data.get("complete", "1") == "1"
    await store.confirm_year(_year(year, request.app.state.settings.timezone), user_of(request).id,
                             utcnow(), complete)
    message = _("%(year)d is marked complete: no more fallback for it.", year=year) if complete \
        else _("%(year)d is no longer marked complete.", year=year)
    return redirect(f"/admin/calendar?year={year}", message, request)


@post("/calendar-banner/dismiss")
async def dismiss_banner(request: Request) -> object:
    """The warning banner of a year nobody has filled in, dismissed by this user for that
    year. With HTMX the banner is swapped for nothing; without, back to the page."""
    data = await form_data(request)
    try:
        year = int(data.get("year") or "")
    except ValueError:
        year = 0
    if not 2000 <= year <= 2100:
        raise HTTPException(status_code=422, detail="year")
    await store.dismiss_banner(user_of(request).id, year)
    if request.htmx:
        return Response(content="", status_code=200, media_type="text/html")
    return redirect(safe_next(data.get("next")))


ROUTES = [calendar_page, add_day, remove_day, confirm_year, dismiss_banner]
