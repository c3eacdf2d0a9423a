from urllib.parse import urlencode

from litestar import Request, get

from db import queries
from pages.inbox import export
from pages.inbox.filters import STAFF, STATUS_FILTERS, inbox_filter
from portal.timeutil import utcnow
from portal.web import cursor_id, render, user_of


@get("/inbox", guards=[STAFF])
async def inbox_page(request: Request, status: str = "", grade: str = "",
                     urgent: bool = False, q: str = "", department: str = "",
                     before: str = "", sort: str = "due", after: str = "",
                     extension: bool = False, assigned: str = "") -> object:
    """The department's complaints; the office sees every department and may pick one."""
    user = user_of(request)
    policy = request.app.state.policy
    before = cursor_id(before)
    f = await inbox_filter(request, status, grade, urgent, q, department, extension, assigned,
                           sort, before, after)
    status, sort, grade, dept = f.status, f.sort, f.grade, f.department
    dept_list = await queries.departments()
    rows, next_cursor = await queries.complaint_page(f)
    assignees = await queries.user_names({r["assignee"] for r in rows if r["assignee"]})
    params = {k: v for k, v in {"status": status, "grade": grade, "urgent": "true" if urgent else "",
                                "q": q, "department": dept if user.is_office and dept else "",
                                "sort": sort if sort != "due" else "",
                                "extension": "true" if extension else "",
                                "assigned": "me" if assigned == "me" else ""}.items() if v}
    return render(
        request, "inbox/inbox.html", headers={"Vary": "HX-Request"}, rows=rows,
        next_cursor=next_cursor, first_page=before is None and not after, params=urlencode(params),
        cursor_name="after" if sort == "due" else "before", f=f, now=utcnow(),
        policy=policy, departments={d["code"]: d for d in dept_list}, dept_list=dept_list,
        statuses=STATUS_FILTERS, nav="inbox", assignees=assignees,
        assigned_to_me=assigned == "me",
    )


ROUTES = [inbox_page, *export.ROUTES]
