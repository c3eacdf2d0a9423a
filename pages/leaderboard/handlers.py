"""/leaderboard: the quarterly assessment (季度考核) of the departments, the employee ranking,
and the service star of the quarter (客户服务之星). DOMAIN §7.

The CS head and the office see everything; a department head sees their own department's row
and their own staff in the ranking (with their company-wide rank). Closing a quarter (CS head
or office, once it has ended) freezes its scores; reopening it is the CS head's, with a reason;
so is naming the star."""

from __future__ import annotations

from datetime import date, datetime

from litestar import Request, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException

from db import assessment as store
from db import queries
from db.tables import User
from pages.leaderboard.forms import CloseForm, ReopenForm, StarForm
from portal.assessment import AssessmentRules
from portal.i18n import N_, _, _l, get_locale
from portal.periods import Period, PeriodError, parse, quarter_of
from portal.periods import name as period_name
from portal.timeutil import utcnow
from portal.web import Conflict, form_data, redirect, render, respond, roles, user_of
from portal.workflow import Role

VIEWERS = roles(Role.CS_HEAD, Role.OFFICE, Role.DEPT_HEAD)
# Who may take each action (POST /leaderboard/{quarter}/{action}).
ACTIONS = {
    "name-star": {Role.CS_HEAD},
    "close-quarter": {Role.CS_HEAD, Role.OFFICE},
    "reopen-quarter": {Role.CS_HEAD},
}
RECENT_QUARTERS = 8  # the picker: this quarter and the seven before

GRADE_LABELS = {"excellent": _l("Excellent"), "pass": _l("Pass"), "fail": _l("Fail")}
DEPARTMENT_PARTS = {"on_time": _l("On time"), "satisfaction": _l("Satisfaction"),
                    "first_time": _l("Resolved without reopen"),
                    "low_repeat": _l("Low repeat rate")}
EMPLOYEE_PARTS = {"on_time": _l("On time"), "satisfaction": _l("Mean satisfaction"),
                  "volume": _l("Volume")}
REFUSALS = {
    "not_ended": N_("%(quarter)s has not ended yet (it runs until %(last)s): a quarter can "
                    "only be closed once it is over. Nothing was changed."),
    "closed": N_("%(quarter)s is already closed (someone may have closed it a moment ago). "
                 "Its scores are frozen as shown."),
    "open": N_("%(quarter)s is not closed, so there is nothing to reopen. Nothing was "
               "changed."),
    "star_changed": N_("Someone else recorded a service star for %(quarter)s while you were "
                       "looking. Your choice was not saved; the page now shows the current "
                       "award: name the star again, with a reason, to change it."),
    "not_started": N_("%(quarter)s has not started yet: there is nobody to name."),
}


def _rules(request: Request) -> AssessmentRules:
    return request.app.state.policy.assessment or AssessmentRules()


def _today(request: Request, now: datetime) -> date:
    return now.astimezone(request.app.state.settings.timezone).date()


def _quarter(request: Request, text: str, now: datetime) -> Period:
    """The quarter asked for; the current one when none (or a future one) is asked."""
    current = quarter_of(_today(request, now))
    try:
        period = parse(text) if text else current
    except PeriodError:
        return current
    if period.kind != "quarter" or period.first > current.first:
        return current
    return period


def _posted_quarter(key: str) -> Period:
    try:
        period = parse(key)
    except PeriodError:
        raise NotFoundException() from None
    if period.kind != "quarter":
        raise NotFoundException()
    return period


def _scope(request: Request) -> str | None:
    """A department head's department (their view is limited to it); None: everything."""
    user = user_of(request)
    if user.role == Role.DEPT_HEAD:
        return user.department or "-"
    return None


def _recent(current: Period, closed: set[str]) -> list[dict]:
    out, period = [], current
    for _i in range(RECENT_QUARTERS):
        out.append({"key": period.key, "period": period, "closed": period.key in closed})
        period = period.previous()
    return out


async def _star_form(request: Request, result: store.Assessment, current: dict | None,
                     formdata=None) -> StarForm:
    departments = {d["code"]: d for d in await queries.departments()}
    name = "name_en" if get_locale() == "en" else "name_zh"

    def dept(code: str) -> str:
        d = departments.get(code)
        return d[name] if d else code

    ranked = [(e.user_id, f"{e.rank}. {e.name} · {dept(e.department)} · {e.score.total:.1f}")
              for e in result.ranked]
    seen = {uid for uid, _label in ranked}
    handlers = await User.select(User.id, User.display_name, User.department).where(
        (User.role == Role.HANDLER) & User.is_active.eq(True)).order_by(User.display_name)
    others = [(u["id"], f"{u['display_name']} · {dept(u['department'] or '')}")
              for u in handlers if u["id"] not in seen]
    data = None if formdata is not None else {"replaces": str(current["id"]) if current else ""}
    form = StarForm(formdata, data=data)
    form.setup(ranked, others, _("Ranked this quarter"), _("Other handlers"), _("— choose —"))
    return form


async def _context(request: Request, period: Period, now: datetime,
                   forms: dict | None = None, result: store.Assessment | None = None) -> dict:
    user = user_of(request)
    tz = request.app.state.settings.timezone
    policy = request.app.state.policy
    rules = _rules(request)
    result = result or await store.assessment(period, rules, tz, now)
    scope = _scope(request)
    departments = [d for d in result.departments if scope is None or d.code == scope]
    ranked = [e for e in result.ranked if scope is None or e.department == scope]
    unranked = [e for e in result.unranked if scope is None or e.department == scope]
    records = await store.stars()
    current = store.current_star(records, period)
    start, end = period.bounds(tz)
    forms = dict(forms or {})
    if user.role == Role.CS_HEAD and now >= start and "star" not in forms:
        forms["star"] = await _star_form(request, result, current)
    if user.role == Role.CS_HEAD and result.closed and "reopen" not in forms:
        forms["reopen"] = ReopenForm()
    if user.role in ACTIONS["close-quarter"] and not result.closed and now >= end:
        forms["close"] = CloseForm()
    today = _today(request, now)
    closed = await store.closed_keys()
    before = period.previous()
    # The CS head and the office, looking at the running quarter, hear of the last one if
    # nobody has closed (published) it yet.
    unclosed = (before.key if start <= now < end and user.role in ACTIONS["close-quarter"]
                and before.key not in closed else None)
    return {
        "result": result,
        "period": period,
        "departments": departments,
        "ranked": ranked,
        "unranked": unranked,
        "ranked_total": len(result.ranked),
        "scope": scope,
        "dept_names": {d["code"]: d for d in await queries.departments()},
        "rules": rules,
        "policy": policy,
        "stars": records,
        "star": current,
        "forms": forms,
        "running": start <= now < end,
        "ended": now >= end,
        "quarters": _recent(quarter_of(today), closed),
        "unclosed_previous": unclosed,
        "grade_labels": GRADE_LABELS,
        "department_parts": DEPARTMENT_PARTS,
        "employee_parts": EMPLOYEE_PARTS,
        "nav": "leaderboard",
    }


def _respond(request: Request, context: dict, status: int = 200, message: str | None = None,
             category: str = "success"):
    return respond(request, "leaderboard/_leaderboard.html", "leaderboard/leaderboard.html",
                   context, status, message, category)


@get("/leaderboard", guards=[VIEWERS])
async def leaderboard(request: Request, quarter: str = "") -> object:
    now = utcnow()
    period = _quarter(request, quarter, now)
    return _respond(request, await _context(request, period, now))


@get("/leaderboard/departments/{code:str}", guards=[VIEWERS])
async def department_breakdown(request: Request, code: str, quarter: str = "") -> object:
    """A department's score explained: its parts and the complaints behind them."""
    scope = _scope(request)
    if scope is not None and code != scope:
        raise PermissionDeniedException()
    now = utcnow()
    period = _quarter(request, quarter, now)
    policy = request.app.state.policy
    tz = request.app.state.settings.timezone
    result = await store.assessment(period, _rules(request), tz, now)
    department = result.department(code)
    if department is None:
        raise NotFoundException()
    evidence = department.evidence if result.closed else await store.department_evidence(
        period, code, tz, now, policy.revisit.satisfied_from)
    template = "leaderboard/_department.html" if request.htmx else "leaderboard/department.html"
    return render(request, template, headers={"Vary": "HX-Request"}, result=result, d=department,
                  evidence=evidence, period=period, policy=policy, rules=_rules(request),
                  dept_names={d["code"]: d for d in await queries.departments()},
                  grade_labels=GRADE_LABELS, department_parts=DEPARTMENT_PARTS,
                  limit=store.EVIDENCE_LIMIT, nav="leaderboard")


@get("/leaderboard/people/{user_id:int}", guards=[VIEWERS])
async def person_breakdown(request: Request, user_id: int, quarter: str = "") -> object:
    """An employee's score explained: its parts, the penalty and the complaints behind them."""
    now = utcnow()
    period = _quarter(request, quarter, now)
    policy = request.app.state.policy
    tz = request.app.state.settings.timezone
    rules = _rules(request)
    result = await store.assessment(period, rules, tz, now)
    person = result.employee(user_id)
    scope = _scope(request)
    if scope is not None:
        department = person.department if person else await _department_of(user_id)
        if department != scope:
            raise PermissionDeniedException()
    if person is None:
        raise NotFoundException()
    if result.closed:
        evidence = person.evidence
    else:
        account = await User.select(User.display_name, User.username).where(
            User.id == user_id).first() or {}
        evidence = await store.person_evidence(
            period, user_id, (account.get("display_name", ""), account.get("username", "")),
            tz, rules.employee_penalty_grades, policy.revisit.satisfied_from)
    template = "leaderboard/_person.html" if request.htmx else "leaderboard/person.html"
    return render(request, template, headers={"Vary": "HX-Request"}, result=result, e=person,
                  evidence=evidence, period=period, policy=policy, rules=rules,
                  ranked_total=len(result.ranked),
                  dept_names={d["code"]: d for d in await queries.departments()},
                  employee_parts=EMPLOYEE_PARTS, limit=store.EVIDENCE_LIMIT, nav="leaderboard")


async def _department_of(user_id: int) -> str | None:
    row = await User.select(User.department).where(User.id == user_id).first()
    return row["department"] if row else None


def _refusal(request: Request, reason: str, period: Period) -> str:
    return _(REFUSALS[reason], quarter=period_name(period), last=period.last.isoformat())


@post("/leaderboard/{key:str}/{action_name:str}", guards=[VIEWERS])
async def leaderboard_action(request: Request, key: str, action_name: str) -> object:
    if action_name not in ACTIONS:
        raise NotFoundException()
    period = _posted_quarter(key)
    user = user_of(request)
    if user.role not in ACTIONS[action_name]:
        raise PermissionDeniedException()
    now = utcnow()
    tz = request.app.state.settings.timezone
    rules = _rules(request)
    data = await form_data(request)
    start, _end = period.bounds(tz)
    if now < start:
        return await _conflict(request, period, now, "not_started")
    try:
        if action_name == "close-quarter":
            await store.close(period, user.id, rules, tz, now,
                              request.app.state.policy.revisit.satisfied_from)
            message = _("%(quarter)s is closed: its scores are frozen and later changes to "
                        "complaints no longer alter them.", quarter=period_name(period))
        elif action_name == "reopen-quarter":
            quarter = await store.quarter_of(period)
            if not quarter or quarter["status"] != store.CLOSED:
                raise store.Refused("open")
            form = ReopenForm(data)
            if not form.validate():
                return await _invalid(request, period, now, {"reopen": form})
            await store.reopen(period, user.id, form.reason.data, now)
            message = _("%(quarter)s is open again: its scores are computed live from the "
                        "complaints until it is closed again.", quarter=period_name(period))
        else:
            result = await store.assessment(period, rules, tz, now)
            current = store.current_star(await store.stars(), period)
            form = await _star_form(request, result, current, data)
            if not form.validate():
                if form.replaces_id != (current["id"] if current else None):
                    raise store.Refused("star_changed")
                return await _invalid(request, period, now, {"star": form}, result)
            await store.name_star(period, form.user.data, form.citation.data, form.reason.data,
                                  form.replaces_id, user.id, now)
            star = await User.select(User.display_name).where(User.id == form.user.data).first()
            message = _("%(name)s is the service star of %(quarter)s. The award is recorded "
                        "with your name and the time.", name=star["display_name"],
                        quarter=period_name(period))
    except store.Refused as exc:
        return await _conflict(request, period, now, exc.reason)
    if not request.htmx:
        return redirect(f"/leaderboard?quarter={period.key}", message, request)
    return _respond(request, await _context(request, period, now), message=message)


async def _invalid(request: Request, period: Period, now: datetime, forms: dict,
                   result: store.Assessment | None = None):
    context = await _context(request, period, now, forms, result)
    context["open_form"] = next(iter(forms))
    return _respond(request, context, 422,
                    _("Please correct the marked fields. Nothing has been changed."), "error")


async def _conflict(request: Request, period: Period, now: datetime, reason: str):
    message = _refusal(request, reason, period)
    if reason == "not_started":
        raise Conflict(detail=message)
    return _respond(request, await _context(request, period, now), 409, message, "error")


ROUTES = [leaderboard, department_breakdown, person_breakdown, leaderboard_action]
