"""Web plumbing shared by the pages: the current user, guards, rendering, flash, forms."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.plugins.htmx import HTMXTemplate
from litestar.response import Redirect, Template

from db.queries import unread_count
from db.tables import User
from portal.i18n import LANG_COOKIE, LOCALES, get_locale
from portal.workflow import DEPARTMENT_ROLES, OFFICE_ROLES, Viewer

SESSION_TOKEN = "sid"  # noqa: S105  (a session key name: db/sessions.py holds its meaning)


@dataclass(frozen=True)
class CurrentUser:
    id: int
    username: str
    display_name: str
    role: str
    department: str | None
    email: str
    unread: int = 0
    calendar_gap: int | None = None  # a year soon in use that nobody has filled in
    calendar_banner_dismissed: int | None = None  # the gap year this user dismissed

    @property
    def calendar_banner(self) -> int | None:
        """The gap year to warn this user about: until they dismiss it, or it is filled in."""
        return None if self.calendar_gap == self.calendar_banner_dismissed else self.calendar_gap

    @property
    def viewer(self) -> Viewer:
        return Viewer(id=self.id, role=self.role, department=self.department)

    @property
    def is_office(self) -> bool:
        return self.role in OFFICE_ROLES

    @property
    def in_department(self) -> bool:
        return self.role in DEPARTMENT_ROLES and self.department is not None


class Conflict(HTTPException):
    """An action not allowed now (wrong status, stale version): 409 with a sentence."""

    status_code = 409


async def load_user(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """App-wide guard: puts the session's user on the connection; refuses anonymous access.

    The cookie holds a session token; the session row decides (db/sessions.py), so signing
    out, a password change or a timeout ends it whatever the browser keeps."""
    from db.calendar import business_calendar
    from db.sessions import check_session
    from portal.timeutil import utcnow

    user = None
    connection.state.session_expired = False
    if handler.opt.get("probe"):
        connection.state.user = None  # a monitor's probe reads no session
        return
    token = session_of(connection).get(SESSION_TOKEN)
    uid, timed_out = None, False
    if isinstance(token, str) and token:
        state = connection.app.state
        cal = await business_calendar(state.policy, state.settings.timezone)
        check = await check_session(token, utcnow(), state.policy.session, cal)
        uid, timed_out = check.user_id, check.timed_out
    if uid:
        row = (
            await User.select(
                User.id, User.username, User.display_name, User.role, User.department,
                User.email, User.calendar_banner_dismissed,
            )
            .where((User.id == uid) & (User.is_active.eq(True)))
            .first()
        )
        if row:
            gap = None
            if row["role"] in (*OFFICE_ROLES, "admin"):
                gap = await _calendar_gap(connection)
            user = CurrentUser(**row, unread=await unread_count(row["id"]), calendar_gap=gap)
    connection.state.user = user
    # The sign-in page tells a user whose session timed out why they are asked to sign in.
    connection.state.session_expired = user is None and timed_out
    if user is None and not handler.opt.get("public"):
        raise NotAuthorizedException()


_WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")
LAST_PAGE = 100_000


def page_number(raw: str | None, last: int = LAST_PAGE) -> int:
    """A paged list's `?page=`: a whole number from 1 to `last`; anything else (`abc`, `-1`,
    `0`, empty, too large) is page 1, the same on every list, never an error page."""
    raw = (raw or "").strip()
    if not _WHOLE_NUMBER.fullmatch(raw):
        return 1
    number = int(raw)
    return number if 1 <= number <= last else 1


def cursor_id(raw: str | None) -> int | None:
    """A keyset list's `?before=` (an id): a positive whole number, else None (the first
    page), like page_number."""
    raw = (raw or "").strip()
    if not _WHOLE_NUMBER.fullmatch(raw):
        return None
    number = int(raw)
    return number if number >= 1 else None


def session_token(connection: ASGIConnection) -> str | None:
    token = session_of(connection).get(SESSION_TOKEN)
    return token if isinstance(token, str) else None


def client_ip(connection: ASGIConnection) -> str:
    return connection.client.host if connection.client else ""


async def _calendar_gap(connection: ASGIConnection) -> int | None:
    """The first year within the next 60 days that runs on the fallback calendar."""
    from db.calendar import business_calendar
    from portal.timeutil import utcnow

    state = connection.app.state
    tz = state.settings.timezone
    cal = await business_calendar(state.policy, tz)
    today = utcnow().astimezone(tz).date()
    for year in sorted({today.year, (today + timedelta(days=60)).year}):
        if cal.year_source(year) == "fallback":
            return year
    return None


def roles(*allowed: str):
    """Guard factory: only these roles may use the handler."""

    def guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
        user = connection.state.user
        if user is None or user.role not in allowed:
            raise PermissionDeniedException()

    return guard


def user_of(request: Request) -> CurrentUser:
    return request.state.user


def session_of(connection: ASGIConnection) -> dict:
    """The session dict; after clear_session() Litestar leaves a sentinel, not a dict."""
    session = connection.scope.get("session")
    if not isinstance(session, dict):
        session = {}
        connection.scope["session"] = session
    return session


def remember_language(request: Request, response: Any, lang: str | None) -> None:
    """The reader's language, in the cookie every page reads it from (for a year)."""
    if lang in LOCALES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax",
                            httponly=True, secure=request.app.state.settings.secure_cookies)


def flash(request: Request, message: str, category: str = "success") -> None:
    session = session_of(request)
    session["flash"] = [*session.get("flash", []), [category, message]]


def pop_flashes(request: Request) -> list[tuple[str, str]]:
    session = request.scope.get("session")
    if not isinstance(session, dict) or "flash" not in session:
        return []
    return [tuple(m) for m in session.pop("flash")]


def render(
    request: Request,
    template: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Template:
    context.setdefault("user", getattr(request.state, "user", None))
    context.setdefault("locale", get_locale())
    # Explicit: Litestar would otherwise take the handler's default (JSON) media type.
    return HTMXTemplate(
        template_name=template, context=context, status_code=status_code, headers=headers or {},
        media_type="text/html",
    )


def respond(request: Request, fragment: str, page: str, context: dict, status: int = 200,
            message: str | None = None, category: str = "success") -> Template:
    """A page, or its fragment for an HTMX request, with an optional flash message."""
    if message:
        flash(request, message, category)
    return render(request, fragment if request.htmx else page, status_code=status,
                  headers={"Vary": "HX-Request"}, **context)


def redirect(path: str, message: str | None = None, request: Request | None = None) -> Redirect:
    if message and request is not None:
        flash(request, message)
    return Redirect(path=path, status_code=303)


class FormData:
    """WTForms wants getlist(); Litestar's multidict calls it getall()."""

    def __init__(self, multidict) -> None:
        self._data = multidict

    def __iter__(self):
        return iter(self._data.keys())

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key) -> bool:
        return key in self._data

    def getlist(self, key: str) -> list:
        return [v for v in self._data.getall(key, []) if isinstance(v, str)]

    def get(self, key: str, default=None):
        return self._data.get(key, default)


async def form_data(request: Request) -> FormData:
    return FormData(await request.form())
