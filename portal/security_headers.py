"""Security headers on every response, and HEAD answered as GET without a body.

Both wrap Litestar's ASGI handler from the outside (see `install`): the router refuses a
HEAD with 405 and renders unknown paths as 404 before any app middleware runs, and these
answers need the headers too.
"""

from __future__ import annotations

from litestar.types import ASGIApp, Message, Receive, Scope, Send

# No inline script or style anywhere (templates are checked by tests/unit/test_templates.py);
# htmx runs with includeIndicatorStyles off (meta htmx-config in base.html), Chart.js sizes its
# canvas through the CSSOM, which style-src does not govern.
CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
HSTS = "max-age=31536000; includeSubDomains"
STATIC_PREFIX = "/static/"


def headers_for(path: str, existing: set[bytes], secure: bool) -> list[tuple[bytes, bytes]]:
    """The headers to add to a response for `path` that already carries `existing` names."""
    add = [
        (b"content-security-policy", CSP.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
    ]
    if b"referrer-policy" not in existing:  # the survey sends no-referrer itself
        add.append((b"referrer-policy", b"same-origin"))
    if not path.startswith(STATIC_PREFIX):
        # Pages, fragments and exports may hold customer data: never in a shared or disk cache.
        add.append((b"cache-control", b"no-store"))
    if secure:
        add.append((b"strict-transport-security", HSTS.encode()))
    return add


def security_headers(app: ASGIApp, secure: bool) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        path = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                add = headers_for(path, names, secure)
                ours = {name for name, _ in add}
                headers = [(n, v) for n, v in headers if n.lower() not in ours]
                message = {**message, "headers": headers + add}
            await send(message)

        await app(scope, receive, send_with_headers)

    return middleware


def head_as_get(app: ASGIApp) -> ASGIApp:
    """HEAD is GET without the body (RFC 9110 §9.3.2): same status and headers."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "HEAD":
            await app(scope, receive, send)
            return
        scope = {**scope, "method": "GET"}
        sent_end = False

        async def send_without_body(message: Message) -> None:
            nonlocal sent_end
            if message["type"] == "http.response.body":
                if sent_end:
                    return
                if message.get("more_body", False):
                    return
                sent_end = True
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await app(scope, receive, send_without_body)

    return middleware


def install(app, secure: bool) -> None:
    """Wrap the Litestar app's ASGI handler (outside routing and exception handling)."""
    from portal.access_log import access_log

    app.asgi_handler = access_log(head_as_get(security_headers(app.asgi_handler, secure)))
