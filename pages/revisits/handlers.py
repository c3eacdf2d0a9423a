"""/revisits: the revisit queue (回访) of the complaint office and the CS head."""

from typing import Annotated
from urllib.parse import urlencode

from litestar import Request, get
from litestar.params import Parameter

from db import queries, revisits
from portal.timeutil import utcnow
from portal.web import render, roles
from portal.workflow import Role

OFFICE = roles(Role.OFFICE, Role.CS_HEAD)


@get("/revisits", guards=[OFFICE])
async def revisit_queue(request: Request,
                        queue: Annotated[str, Parameter(query="state")] = "open",
                        grade: str = "", department: str = "", after: str = "") -> object:
    """Due revisits, overdue first, with masked contacts; by state, grade and department."""
    state = queue  # `state` is Litestar's own keyword argument
    policy = request.app.state.policy
    state = state if state in revisits.QUEUE_STATES else "open"
    grade = grade if policy.has("grades", grade) else ""
    dept_list = await queries.departments()
    department = department if department in {d["code"] for d in dept_list} else ""
    rows, next_cursor = await revisits.revisit_queue(state, grade, department, after[:40])
    params = {k: v for k, v in {"state": state if state != "open" else "", "grade": grade,
                                "department": department}.items() if v}
    return render(
        request, "revisits/revisits.html", rows=rows, next_cursor=next_cursor,
        first_page=not after, params=urlencode(params), state=state, grade=grade,
        department=department, counts=await revisits.queue_counts(), now=utcnow(),
        policy=policy, departments={d["code"]: d for d in dept_list}, dept_list=dept_list,
        states=list(revisits.QUEUE_STATES), nav="revisits",
    )


ROUTES = [revisit_queue]
