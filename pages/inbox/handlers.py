from urllib.parse import urlencode

from litestar import Request, get

from db import queries
from pages.inbox import export
from portal.timeutil import utcnow
from portal.web import render, roles, user_of
from portal.workflow import DEPARTMENT_OPEN, OFFICE_OPEN, Role, Status

STAFF = roles(Role.OFFICE, Role.CS_HEAD, Role.HANDLER, Role.DEPT_HEAD)
STATUS_FILTERS = ("open", "all", *[s.value for s in Status])
SORTS = ("due", "new")


@get("/inbox", guards=[STAFF])
async def inbox_page(request: Request, status: str = "", grade: str = "",
                     urgent: bool = False, q: str = "", department: str = "",
                     before: int | None = None, sort: str = "due", after: str = "",
                     extension: bool = False) -> object:
    """The department's complaints; the office sees every department and may pick one."""
    user = user_of(request)
    policy = request.app.state.policy
    # A search looks in every status unless one status is chosen: a closed complaint is found
    # by its number as well as an open one.
    status = status if status in STATUS_FILTERS else "open"
    if q.strip() and status == "open":
        status = "all"
    # An explicit `before` (newest-first cursor) keeps old links working.
    sort = "new" if before is not None else (sort if sort in SORTS else "due")
    grade = grade if policy.has("grades", grade) else ""
    dept_list = await queries.departments()
    if user.is_office:
        dept = department if department in {d["code"] for d in dept_list} else None
    else:
        dept = user.department
    f = queries.ListFilter(department=dept, status=status, grade=grade, urgent=urgent,
                           q=q[:100], before=before, sort=sort, after=after[:40],
                           extension_pending=extension,
                           statuses=OFFICE_OPEN if user.is_office else DEPARTMENT_OPEN)
    rows, next_cursor = await queries.complaint_page(f)
    params = {k: v for k, v in {"status": status, "grade": grade, "urgent": "true" if urgent else "",
                                "q": q, "department": dept if user.is_office and dept else "",
                                "sort": sort if sort != "due" else "",
                                "extension": "true" if extension else ""}.items() if v}
    return render(
        request, "inbox/inbox.html", headers={"Vary": "HX-Request"}, rows=rows,
        next_cursor=next_cursor, first_page=before is None and not after, params=urlencode(params),
        cursor_name="after" if sort == "due" else "before", f=f, now=utcnow(),
        policy=policy, departments={d["code"]: d for d in dept_list}, dept_list=dept_list,
        statuses=STATUS_FILTERS, nav="inbox",
    )


ROUTES = [inbox_page, *export.ROUTES]
