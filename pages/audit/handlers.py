"""/admin/logins (the sign-in log) and /admin/contact-views (who saw customer data)."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Request, get

from db import logins
from portal.web import page_number, render, roles
from portal.workflow import Role

OUTCOMES = ("ok", "wrong-password", "unknown-user", "inactive", "locked")


@get("/admin/logins", guards=[roles(Role.ADMIN)])
async def login_log(request: Request, username: str = "", outcome: str = "",
                    page: str = "") -> object:
    username = username.strip()[:64]
    outcome = outcome if outcome in OUTCOMES else ""
    page = page_number(page)
    rows, more = await logins.login_page(username, outcome, page)
    params = urlencode({k: v for k, v in (("username", username), ("outcome", outcome)) if v})
    return render(request, "audit/logins.html", rows=rows, more=more, page=page,
                  username=username, outcome=outcome, outcomes=OUTCOMES, params=params,
                  tz=request.app.state.settings.timezone, nav="admin")


@get("/admin/contact-views", guards=[roles(Role.ADMIN, Role.CS_HEAD)])
async def contact_views(request: Request, number: str = "", user: str = "",
                        page: str = "") -> object:
    number, user = number.strip()[:20], user.strip()[:64]
    page = page_number(page)
    rows, more = await logins.contact_view_page(number, user, page)
    params = urlencode({k: v for k, v in (("number", number), ("user", user)) if v})
    return render(request, "audit/contact_views.html", rows=rows, more=more, page=page,
                  number=number, who=user, params=params,
                  tz=request.app.state.settings.timezone, nav="admin")


ROUTES = [login_log, contact_views]
