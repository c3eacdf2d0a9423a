from urllib.parse import urlencode

from litestar import Request, get

from db import queries
from portal.search import parse_query
from portal.web import cursor_id, render, user_of


@get("/mine")
async def mine_page(request: Request, before: str = "", q: str = "") -> object:
    """首问负责制: the first responder follows what they logged to the end, newest logged first.
    The pager's cursor is the newest-first one (`before`), so every page link answers."""
    user = user_of(request)
    before = cursor_id(before)
    q = parse_query(q).text
    f = queries.ListFilter(status="all", logged_by=user.id, before=before, sort="new", q=q)
    rows, next_cursor = await queries.complaint_page(f)
    return render(
        request, "mine/mine.html", rows=rows, next_cursor=next_cursor,
        first_page=before is None, params=urlencode({"q": q} if q else {}), q=q,
        policy=request.app.state.policy,
        departments={d["code"]: d for d in await queries.departments()}, nav="mine",
    )


ROUTES = [mine_page]
