from urllib.parse import urlencode

from litestar import Request, get

from db import queries
from db.search import search_page
from portal.search import parse_query
from portal.timeutil import utcnow
from portal.web import render, user_of


@get("/search")
async def search(request: Request, q: str = "", after: str = "") -> object:
    """Every complaint the user may see, in any status, by number, phone, name or text."""
    user = user_of(request)
    sq = parse_query(q)
    rows, next_cursor = await search_page(sq, user.viewer, after=after[:40])
    return render(
        request, "search/search.html", rows=rows, next_cursor=next_cursor, q=sq.text,
        first_page=not after, params=urlencode({"q": sq.text}), now=utcnow(),
        policy=request.app.state.policy,
        departments={d["code"]: d for d in await queries.departments()}, nav="search",
    )


ROUTES = [search]
