"""One JSON line per request that changes state or is refused (logger `portal.access`).

The line names the user, never the customer: no query string (search filters can hold a
phone number), no form fields, and the survey's token (a bearer secret) is cut from the path.
"""

from __future__ import annotations

import json
import logging
import secrets
import sys
import time
from datetime import UTC, datetime

from litestar.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("portal.access")
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SECRET_PATHS = ("/survey/",)
SIGN_IN_AS = "sign_in_as"


def _configure() -> None:
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


def loggable_path(path: str) -> str:
    for prefix in SECRET_PATHS:
        if path.startswith(prefix):
            return prefix + "…"
    return path


def should_log(method: str, status: int) -> bool:
    return method in STATE_CHANGING or status >= 400


def access_record(scope: Scope, method: str, status: int, started: float,
                  request_id: str) -> dict:
    state = scope.get("state") or {}
    user = state.get("user")
    client = scope.get("client")
    return {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "request_id": request_id,
        "method": method,
        "path": loggable_path(scope.get("path", "")),
        "status": status,
        "user_id": getattr(user, "id", None),
        "username": getattr(user, "username", None),
        # A sign-in attempt has no user yet: the name typed, so refusals can be traced.
        "sign_in_as": state.get(SIGN_IN_AS),
        "ip": client[0] if client else None,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
    }


def access_log(app: ASGIApp) -> ASGIApp:
    _configure()

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        method = scope.get("method", "")
        request_id = secrets.token_hex(8)
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []),
                                                  (b"x-request-id", request_id.encode())]}
            await send(message)

        try:
            await app(scope, receive, send_and_note)
        finally:
            if should_log(method, status):
                log.info(json.dumps(access_record(scope, method, status, started, request_id),
                                    ensure_ascii=False))

    return middleware
