from litestar import Request, get

from db import queries
from portal.timeutil import utcnow
from portal.web import page_number, render, roles
from portal.workflow import Role, Status

OFFICE = roles(Role.OFFICE, Role.CS_HEAD)


@get("/triage", guards=[OFFICE])
async def triage_page(request: Request, page: str = "") -> object:
    page = page_number(page, last=1000)
    offset = (page - 1) * queries.PAGE_SIZE
    rows, total = await queries.triage_page(offset)
    departments = {d["code"]: d for d in await queries.departments()}
    # The office's other queues: results to verify, verified results to reply with.
    waiting = await queries.status_counts([Status.SIGNED_OFF, Status.VERIFIED, Status.APPEALED])
    waiting["extension"] = await queries.extension_requests()
    return render(
        request, "triage/triage.html", rows=rows, total=total, page=page, waiting=waiting,
        pages=max(1, -(-total // queries.PAGE_SIZE)), policy=request.app.state.policy,
        departments=departments, nav="triage", now=utcnow(),
    )


ROUTES = [triage_page]
