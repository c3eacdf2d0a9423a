"""GET /healthz (no log-in): for a load balancer or a monitor.

200 when the database answers and every migration in db/migrations/ has run; else 503 with
the reason. Says nothing about the data.
"""

from __future__ import annotations

from litestar import Response, get

from db.health import database_health


@get("/healthz", opt={"public": True, "probe": True}, include_in_schema=False, cache=False)
async def healthz() -> Response:
    problem = await database_health()
    if problem:
        return Response({"status": "unavailable", "reason": problem}, status_code=503)
    return Response({"status": "ok", "database": "ok", "migrations": "current"})


ROUTES = [healthz]
