"""/admin/policy: every *policy* of DOMAIN in forms; /admin/policy/history: its versions."""

from __future__ import annotations

from litestar import Request, get, post

from db import policy_store
from db.queries import departments
from portal.i18n import _
from portal.policy import PolicyError, parse_policy
from portal.policy_form import (
    DEADLINES,
    DEPARTMENT_PARTS,
    EMPLOYEE_PARTS,
    REVISIT_LIMITS,
    apply,
    field_for_message,
    fields,
    questions,
)
from portal.policy_history import Reader
from portal.revisit import QUESTION_KINDS
from portal.timeutil import utcnow
from portal.web import Conflict, form_data, page_number, redirect, render, roles, user_of
from portal.workflow import Role

POLICY_ROLES = roles(Role.ADMIN, Role.CS_HEAD)
PENALTY_GRADES = "assessment.employee_penalty_grades"


async def _page(request: Request, raw: dict, values: dict[str, str] | None = None,
                errors: dict[str, str] | None = None, general: list[str] | None = None,
                status: int = 200):
    live = request.app.state.live
    return render(request, "policy/policy.html", status_code=status, raw=raw,
                  values=values if values is not None else fields(raw), errors=errors or {},
                  general=general or [], version=live.version, departments=await departments(),
                  DEADLINES=DEADLINES, REVISIT_LIMITS=REVISIT_LIMITS,
                  DEPARTMENT_PARTS=DEPARTMENT_PARTS, EMPLOYEE_PARTS=EMPLOYEE_PARTS,
                  questions=questions(raw), QUESTION_KINDS=QUESTION_KINDS, nav="admin")


@get("/admin/policy", guards=[POLICY_ROLES])
async def policy_page(request: Request) -> object:
    return await _page(request, request.app.state.live.raw)


@post("/admin/policy", guards=[POLICY_ROLES])
async def save_policy(request: Request) -> object:
    from portal.app import install_policy

    live = request.app.state.live
    data = await form_data(request)
    seen = data.get("version")
    if seen is not None and seen != str(await policy_store.latest_id()):
        # Two people editing: the second is told instead of undoing the first one's changes.
        raise Conflict(_("Someone saved a newer version of the policy meanwhile. Reload the page "
                         "and make your change again."))
    posted = {k: data.get(k) for k in data if k not in ("_csrf_token", "version")}
    if PENALTY_GRADES in posted:
        # Check boxes under one name, after an empty hidden one: every ticked grade.
        posted[PENALTY_GRADES] = ",".join(v for v in data.getlist(PENALTY_GRADES) if v)
    codes = await policy_store.department_codes()
    inactive = {d["code"] for d in await departments() if not d["is_active"]}
    parsed = apply(live.raw, posted, codes, inactive)
    values = {**fields(live.raw), **{k: v for k, v in posted.items() if isinstance(v, str)}}
    if not parsed.errors:
        try:
            policy = parse_policy(parsed.raw, codes)  # the same rules as start-up
        except PolicyError as exc:
            message = str(exc).removeprefix("policy: ")
            name = field_for_message(message, list(values))
            if name:
                parsed.errors[name] = message
            else:
                parsed.general.append(message)
    if parsed.errors or parsed.general:
        return await _page(request, parsed.raw, values, parsed.errors,
                           parsed.general or [_("Nothing was saved: correct the fields marked below.")],
                           status=422)
    version = await policy_store.save_version(parsed.raw, live.raw, user_of(request).id, utcnow())
    if version is None:
        return redirect("/admin/policy", _("No setting was changed."), request)
    install_policy(request.app.state, policy_store.Live(version, parsed.raw, policy))
    return redirect("/admin/policy", _(
        "Policy saved as version %(n)d. It applies to complaints dispatched from now on; "
        "deadlines already set stay as they are.", n=version), request)


@get("/admin/policy/history", guards=[POLICY_ROLES])
async def policy_history(request: Request, page: str = "") -> object:
    page = page_number(page)
    rows, more = await policy_store.history(page)
    by_code = {d["code"]: d for d in await departments()}
    for r in rows:
        r["shown"] = Reader(r["changes"], request.app.state.policy, by_code).rows(
            r["changes"])
    return render(request, "policy/history.html", rows=rows, more=more, page=page,
                  current=request.app.state.live.version, nav="admin")


ROUTES = [policy_page, save_policy, policy_history]
