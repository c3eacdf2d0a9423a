from urllib.parse import urlencode

from litestar import Request, get

from db import queries
from portal.web import render, roles, user_of
from portal.workflow import DEPARTMENT_OPEN, OFFICE_OPEN, Role, Status

STAFF = roles(Role.OFFICE, Role.CS_HEAD, Role.HANDLER, Role.DEPT_HEAD)
STATUS_FILTERS = ("open", "all", *[s.value for s in Status])


@get("/inbox", guards=[STAFF])
async def inbox_page(request: Request, status: str = "open", grade: str = "",
                     urgent: bool = False, q: str = "", department: str = "",
                     before: int | None = None) -> object:
    """The department's complaints; the office sees every department and may pick one."""
    user = user_of(request)
    policy = request.app.state.policy
    status = status if status in STATUS_FILTERS else "open"
    grade = grade if policy.has("grades", grade) else ""
    dept_list = await queries.departments()
    if user.is_office:
        dept = department if department in {d["code"] for d in dept_list} else None
    else:
        dept = user.department
    f = queries.ListFilter(department=dept, status=status, grade=grade, urgent=urgent,
                           q=q[:100], before=before,
                           statuses=OFFICE_OPEN if user.is_office else DEPARTMENT_OPEN)
    rows, next_cursor = await queries.complaint_page(f)
    params = {k: v for k, v in {"status": status, "grade": grade, "urgent": "true" if urgent else "",
                                "q": q, "department": dept if user.is_office and dept else ""}.items() if v}
    return render(
        request, "inbox/inbox.html", headers={"Vary": "HX-Request"}, rows=rows,
        next_cursor=next_cursor, first_page=before is None, params=urlencode(params), f=f,
        policy=policy, departments={d["code"]: d for d in dept_list}, dept_list=dept_list,
        statuses=STATUS_FILTERS, nav="inbox",
    )


ROUTES = [inbox_page]
