"""The inbox's filter, read from the query string: one definition for the page and its
exports, so that an export holds exactly what the list shows."""

from __future__ import annotations

from litestar import Request

from db import queries
from portal.web import roles, user_of
from portal.workflow import DEPARTMENT_OPEN, OFFICE_OPEN, Role, Status

STAFF = roles(Role.OFFICE, Role.CS_HEAD, Role.HANDLER, Role.DEPT_HEAD)
STATUS_FILTERS = ("open", "all", *[s.value for s in Status])
SORTS = ("due", "new")


async def inbox_filter(request: Request, status: str, grade: str, urgent: bool, q: str,
                       department: str, extension: bool, assigned: str, sort: str = "due",
                       before: int | None = None, after: str = "") -> queries.ListFilter:
    user = user_of(request)
    # A search looks in every status unless one status is chosen: a closed complaint is found
    # by its number as well as an open one.
    status = status if status in STATUS_FILTERS else "open"
    if q.strip() and status == "open":
        status = "all"
    # An explicit `before` (newest-first cursor) keeps old links working.
    sort = "new" if before is not None else (sort if sort in SORTS else "due")
    grade = grade if request.app.state.policy.has("grades", grade) else ""
    if user.is_office:
        dept = department if department in await queries.department_codes() else None
    else:
        dept = user.department
    return queries.ListFilter(department=dept, status=status, grade=grade, urgent=urgent,
                              q=q[:100], before=before, sort=sort, after=after[:40],
                              extension_pending=extension,
                              assignee=user.id if assigned == "me" else None,
                              statuses=OFFICE_OPEN if user.is_office else DEPARTMENT_OPEN)
