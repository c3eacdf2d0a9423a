"""/stats: the statistics of DOMAIN §6 for a period (month, quarter, year or range of days),
broken down by department, category, grade or channel, with charts, the change against the
previous period, and the table as CSV or XLSX. The complaint office and the CS head see the
whole company; a department head sees only their own department.

URLs: /stats?period=<key>&by=<breakdown> is canonical (period keys: 2026-11, 2026-Q4, 2026,
2026-11-01..2026-11-15; default the current quarter, by department); the picker form sends
kind=month|quarter|year|custom with month / quarter / year / from + to and is redirected to
it. /stats/export.csv and /stats/export.xlsx take the same period and by."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from litestar import Request, get
from litestar.exceptions import PermissionDeniedException
from litestar.response import Redirect, Response

from db import queries, stats
from pages.stats import export, view
from pages.stats.forms import PeriodForm
from portal import periods
from portal.i18n import get_locale
from portal.periods import Period, PeriodError
from portal.timeutil import utcnow
from portal.web import FormData, render, roles, user_of
from portal.workflow import Role

READERS = roles(Role.OFFICE, Role.CS_HEAD, Role.DEPT_HEAD)
PICKER_FIELDS = ("kind", "month", "quarter", "year", "from", "to")


@dataclass
class Query:
    """The period and breakdown asked for, or the default with the reason it was refused."""

    period: Period
    by: str
    error: str = ""
    form: PeriodForm | None = None


def _scope(request: Request) -> str | None:
    """The department a department head is limited to; None for the office and CS head."""
    user = user_of(request)
    if user.role == Role.DEPT_HEAD:
        if not user.department:
            raise PermissionDeniedException()
        return user.department
    return None


def _quarters(today, showing: Period) -> list[Period]:
    """The picker's quarters: the last five years up to the current quarter, newest first."""
    current = periods.quarter_of(today)
    out = [current]
    while len(out) < 21:
        out.append(out[-1].previous())
    shown = periods.quarter_of(showing.first)
    if shown not in out:
        out.append(shown)
    return sorted(out, key=lambda q: q.first, reverse=True)


def _query(request: Request) -> Query:
    tz = request.app.state.settings.timezone
    today = utcnow().astimezone(tz).date()
    params = request.query_params
    by = params.get("by", "")
    by = by if by in view.BREAKDOWNS else "department"
    default = periods.quarter_of(today)
    if "kind" in params:  # the picker
        form = PeriodForm(FormData(params), quarters=_quarters(today, default))
        if form.validate():
            return Query(form.resolved, by, form=form)
        return Query(default, by, error=_form_error(form), form=form)
    key = params.get("period", "").strip()
    if not key:
        return Query(default, by)
    try:
        return Query(view.period_from_key(key), by)
    except PeriodError as exc:
        return Query(default, by, error=str(exc))


def _form_error(form: PeriodForm) -> str:
    for field in form:
        if field.errors:
            return f"{field.label.text}: {field.errors[0]}"
    return ""


def _url(path: str, period: Period, by: str, **extra) -> str:
    return f"{path}?{urlencode({'period': period.key, 'by': by, **extra})}"


@get("/stats", guards=[READERS])
async def stats_page(request: Request) -> object:
    department = _scope(request)
    q = _query(request)
    if q.form is not None and not q.error:
        return Redirect(path=_url("/stats", q.period, q.by), status_code=303)
    return await _page(request, q, department)


async def _page(request: Request, q: Query, department: str | None) -> object:
    settings, policy = request.app.state.settings, request.app.state.policy
    tz = settings.timezone
    now = utcnow()
    today = now.astimezone(tz).date()
    report = await stats.report(q.period, q.by, tz, now, department=department)
    departments = {d["code"]: d for d in await queries.departments()}
    locale = get_locale()
    form = q.form or PeriodForm.showing(q.period, q.by, _quarters(today, q.period))
    form.by.data = q.by
    summary = [(k, view.value_of(report.overall, k),
                view.change(k, view.value_of(report.overall, k),
                            view.value_of(report.previous_overall, k)))
               for k in view.SUMMARY]
    after = view.next_period(q.period)
    months = view.trend(report, today)
    categories, channels = view.shares(report, policy, locale)
    return render(
        request, "stats/stats.html", status_code=422 if q.error else 200,
        report=report, period=q.period, by=q.by, error=q.error, form=form,
        period_name=view.period_name(q.period), period_span=view.period_span(q.period),
        previous_name=view.period_name(report.previous),
        previous_span=view.period_span(report.previous),
        previous_url=_url("/stats", report.previous, q.by),
        next_url=_url("/stats", after, q.by) if after.first <= today else "",
        next_name=view.period_name(after),
        summary=summary, kpis=view.KPIS, rows=view.rows(report, policy, departments, locale),
        chart=view.chart_data(months, categories, channels), trend=months,
        category_share=categories, channel_share=channels,
        empty=view.is_empty(report), fmt=view.fmt, breakdowns=view.BREAKDOWN_LABELS,
        tab_urls={b: _url("/stats", q.period, b) + "#breakdown" for b in view.BREAKDOWNS},
        csv_url=_url("/stats/export.csv", q.period, q.by),
        xlsx_url=_url("/stats/export.xlsx", q.period, q.by),
        scope=departments.get(department) if department else None,
        satisfied_from=policy.revisit.satisfied_from if policy.revisit else 4,
        now=now, nav="stats",
    )


async def _table(request: Request) -> tuple[Query, list[view.Row]] | object:
    """The breakdown on screen for an export; the page itself (422) when the period is bad."""
    department = _scope(request)
    q = _query(request)
    if q.error:
        return await _page(request, q, department)
    tz = request.app.state.settings.timezone
    report = await stats.report(q.period, q.by, tz, utcnow(), department=department)
    departments = {d["code"]: d for d in await queries.departments()}
    return q, view.rows(report, request.app.state.policy, departments, get_locale())


def _download(content: bytes, filename: str, media_type: str) -> Response:
    return Response(content=content, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    })


@get("/stats/export.csv", guards=[READERS])
async def export_csv(request: Request) -> object:
    table = await _table(request)
    if not isinstance(table, tuple):
        return table
    q, rows = table
    return _download(export.csv_bytes(q.by, rows), f"{view.file_stem(q.period, q.by)}.csv",
                     "text/csv; charset=utf-8")


@get("/stats/export.xlsx", guards=[READERS])
async def export_xlsx(request: Request) -> object:
    table = await _table(request)
    if not isinstance(table, tuple):
        return table
    q, rows = table
    return _download(export.xlsx_bytes(q.period, q.by, rows),
                     f"{view.file_stem(q.period, q.by)}.xlsx",
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


ROUTES = [stats_page, export_csv, export_xlsx]
