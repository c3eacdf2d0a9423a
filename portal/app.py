"""create_app(): wires settings, policy, templates, middleware and the pages' routes."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from pathlib import Path

from jinja2 import (
    BytecodeCache,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PrefixLoader,
    select_autoescape,
)
from litestar import Litestar, Request, Response
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.middleware.session.client_side import CookieBackendConfig
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import ASGIApp, Receive, Scope, Send

from portal import i18n
from portal.config import Settings, load_settings
from portal.policy import load_policy
from portal.security_headers import install as install_security
from portal.templating import install_template_globals
from portal.web import Conflict, load_user, pop_flashes, render

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "pages"
STATIC = ROOT / "static"
log = logging.getLogger("portal")


def set_request_locale(scope: Scope) -> None:
    """The request's language: the cookie switch, else Accept-Language, else Chinese."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    cookie = None
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == i18n.LANG_COOKIE:
            cookie = value
    i18n.set_locale(i18n.negotiate(cookie, headers.get("accept-language")))


def locale_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            set_request_locale(scope)
        await app(scope, receive, send)

    return middleware


async def refresh_policy(connection, handler) -> None:
    """App-wide guard: every process follows the newest policy version saved at
    /admin/policy (one indexed look-up per request), so all workers apply it at once."""
    from db.policy_store import refreshed

    if handler.opt.get("probe"):
        return  # /healthz answers for the database itself, even when it is down
    state = connection.app.state
    live = await refreshed(state.live, state.settings.policy_path)
    if live is not state.live:
        install_policy(state, live)


def install_policy(state, live) -> None:
    from portal.scheduler import env_for

    state.live, state.policy = live, live.policy
    state.env = env_for(state.settings, live.policy)


def _wants_fragment(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _not_authorized(request: Request, _exc: Exception) -> Response:
    # A fragment asked by an expired session: tell htmx to load the log-in page as a whole
    # page instead of swapping it into the middle of a table.
    target = "/login?next=" + request.url.path
    if _wants_fragment(request):
        return Response(content="", status_code=401, headers={"HX-Redirect": target})
    return Redirect(path=target, status_code=303)


def _error_page(request: Request, exc: HTTPException) -> Response:
    # An unknown path never reaches the route middleware: read the language here too.
    set_request_locale(request.scope)
    status = exc.status_code
    if status >= 500:
        log.exception("server error", exc_info=exc)
    detail = exc.detail if isinstance(exc, Conflict) else ""
    return render(request, "layout/error.html", status_code=status, status=status, detail=detail,
                  fragment=_wants_fragment(request))


def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    set_request_locale(request.scope)
    return render(request, "layout/error.html", status_code=500, status=500, detail="",
                  fragment=_wants_fragment(request))


class _CompiledTemplates(BytecodeCache):
    """Compiled templates kept for the life of the process, shared by every app built in it
    (the tests build one per test). Jinja keys them by template and checks the source's
    checksum, so an edited template is compiled again."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _CompiledTemplates()


def _template_engine(settings: Settings) -> JinjaTemplateEngine:
    prefixes = {
        page.name: FileSystemLoader(page / "templates")
        for page in PAGES.iterdir()
        if (page / "templates").is_dir()
    }
    env = Environment(
        loader=ChoiceLoader([PrefixLoader(prefixes, delimiter="/")]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=_COMPILED,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True,
                                  pgettext=i18n.pgettext)
    install_template_globals(env, settings)
    engine = JinjaTemplateEngine.from_environment(env)
    engine.register_template_callable("flashes", lambda ctx: pop_flashes(ctx["request"]))
    return engine


def _route_handlers() -> list:
    from pages import routes

    return routes()


def _static_version() -> str:
    """A short digest of the static files, appended to their URLs to bust caches."""
    digest = hashlib.sha256()
    for path in sorted(STATIC.rglob("*")):
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(str(path.stat().st_size).encode())
    return digest.hexdigest()[:10]


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or load_settings()
    from db.tables import Department  # noqa: F401  (import after PICCOLO_CONF is set)

    policy = load_policy(settings.policy_path)
    from db.policy_store import Live, file_raw
    from portal.scheduler import env_for

    env = env_for(settings, policy)
    # "live": the policy version in force; refresh_policy swaps in a newer saved one.
    state = State({"settings": settings, "policy": policy, "env": env,
                   "live": Live(0, file_raw(settings.policy_path), policy),
                   "static_version": _static_version()})
    background: dict = {}

    async def start_scheduler() -> None:
        # DOMAIN §4: reminders and breaches every minute, and the mail; in every server
        # process (the claims make that safe) unless PORTAL_SCHEDULER=0 leaves it to a worker.
        if settings.scheduler:
            from portal.scheduler import run_forever

            background["stop"] = stop = asyncio.Event()
            background["task"] = asyncio.create_task(run_forever(settings, policy, stop))

    async def stop_scheduler() -> None:
        if "task" in background:
            background["stop"].set()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(background["task"], timeout=10)

    async def start_pool() -> None:
        from piccolo.engine import engine_finder
        from piccolo.engine.postgres import PostgresEngine

        engine = engine_finder()
        if isinstance(engine, PostgresEngine):
            await engine.start_connection_pool(min_size=2, max_size=20)

    async def close_pool() -> None:
        from piccolo.engine import engine_finder
        from piccolo.engine.postgres import PostgresEngine

        engine = engine_finder()
        if isinstance(engine, PostgresEngine) and engine.pool:
            await engine.close_connection_pool()

    session = CookieBackendConfig(
        secret=hashlib.sha256(settings.secret_key.encode()).digest(),
        key="portal_session",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        # The server ends the session (db/sessions.py); the cookie need not outlive it.
        max_age=int(policy.session.absolute.total_seconds()),
    )
    csrf = CSRFConfig(
        secret=settings.secret_key,
        cookie_name="portal_csrf",
        header_name="x-csrftoken",
        cookie_secure=settings.secure_cookies,
        cookie_samesite="lax",
        # Pages carry the token in their forms and in hx-headers: no script reads the cookie.
        cookie_httponly=True,
    )
    app = Litestar(
        route_handlers=[
            *_route_handlers(),
            create_static_files_router(path="/static", directories=[STATIC], opt={"public": True},
                                       include_in_schema=False),
        ],
        guards=[refresh_policy, load_user],
        middleware=[locale_middleware, session.middleware],
        csrf_config=csrf,
        template_config=TemplateConfig(instance=_template_engine(settings)),
        plugins=[HTMXPlugin()],
        state=state,
        exception_handlers={
            NotAuthorizedException: _not_authorized,
            PermissionDeniedException: _error_page,
            NotFoundException: _error_page,
            HTTPException: _error_page,
            Exception: _server_error,
        },
        on_startup=[start_pool, start_scheduler],
        on_shutdown=[stop_scheduler, close_pool],
        openapi_config=None,
        # Five attachments of 10 MB each, plus the form itself.
        request_max_body_size=60 * 1024 * 1024,
        debug=False,
    )
    install_security(app, secure=settings.secure_cookies)
    return app
