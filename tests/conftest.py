"""Shared fixtures. The same suite runs on SQLite (default) and PostgreSQL:

    PORTAL_TEST_DB=sqlite    a throw-away SQLite file
    PORTAL_TEST_DB=postgres  a throw-away database on PORTAL_TEST_PG (default
                             postgresql://postgres@127.0.0.1:5432/test), dropped afterwards

DATABASE_URL must be set before Piccolo reads its configuration, hence the work at import.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import re
import secrets
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlparse, urlunparse
from zoneinfo import ZoneInfo

import pytest

TEST_DB = os.environ.get("PORTAL_TEST_DB", "sqlite")
PG_SERVER = os.environ.get("PORTAL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
# In memory where the machine has it: a test database is thrown away, and waiting for the
# disk on each of its thousands of commits would be most of the run.
_SHM = Path("/dev/shm")
_TMP = Path(tempfile.mkdtemp(prefix="portal-test-",
                             dir=_SHM if _SHM.is_dir() and os.access(_SHM, os.W_OK) else None))
atexit.register(shutil.rmtree, _TMP, True)
_PG_NAME = f"portal_test_{os.getpid()}_{secrets.token_hex(3)}"

if TEST_DB == "postgres":
    os.environ["DATABASE_URL"] = urlunparse(urlparse(PG_SERVER)._replace(path=f"/{_PG_NAME}"))
elif TEST_DB == "sqlite":
    os.environ["DATABASE_URL"] = f"sqlite:///{_TMP / 'test.db'}"
else:
    raise RuntimeError(f"PORTAL_TEST_DB must be sqlite or postgres, not {TEST_DB!r}")
os.environ["PORTAL_DATA_DIR"] = str(_TMP / "data")
os.environ.setdefault("PORTAL_SECRET_KEY", "test-secret-key-" + "x" * 32)

# Every test signs in, and argon2's production cost (deliberately ~0.1–0.2 s a hash) would be
# most of the suite's time: tests hash with argon2's cheapest profile (still argon2id; the
# parameters travel inside each hash, so verification follows them).
from argon2 import PasswordHasher, profiles  # noqa: E402

import portal  # noqa: E402,F401  (sets PICCOLO_CONF)
import portal.auth  # noqa: E402

portal.auth._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
portal.auth._DUMMY_HASH = portal.auth._hasher.hash("not-a-real-password")
from portal.config import Settings  # noqa: E402

# Tables whose rows a test may create; emptied before each test that uses the database.
PER_TEST_TABLES = ("user_session", "login_attempt", "policy_version",
                   "service_star", "assessment_event", "assessment_score", "assessment_quarter",
                   "stats_day", "stats_person_day", "survey", "revisit_attempt", "contact_view", "notification", "attachment", "complaint_event",
                   "deadline_alert", "outbox_email", "complaint", "complaint_counter",
                   "calendar_day", "calendar_year", "set_password_link", "admin_event")


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_SERVER)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def database():
    """Creates the schema once per run with the real migrations, plus demo users."""
    if TEST_DB == "postgres":
        asyncio.run(_pg_admin(f'CREATE DATABASE "{_PG_NAME}"'))
        # A throw-away database: commits need not wait for the disk (thousands of them).
        asyncio.run(_pg_admin(f'ALTER DATABASE "{_PG_NAME}" SET synchronous_commit = off'))
    from portal.cli import migrate
    from portal.demo import load_base

    async def setup():
        await migrate()
        return await load_base()

    viewers = asyncio.run(setup())
    yield viewers
    if TEST_DB == "postgres":
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{_PG_NAME}" WITH (FORCE)'))


@pytest.fixture
def viewers(database):
    """Demo users by username → Viewer(id, role, department); tables emptied for this test."""
    from db.tables import Complaint

    async def clean():
        from db.transactions import atomic

        async with atomic():  # one commit, not one per table
            for table in PER_TEST_TABLES:
                await Complaint.raw(f"DELETE FROM {table}")
            # The header switch saves the language in the account, and sign-in applies it.
            await Complaint.raw("UPDATE portal_user SET language = 'zh_CN' "
                                "WHERE language <> 'zh_CN'")

    asyncio.run(clean())
    return database


def make_settings(data_dir: Path) -> Settings:
    return Settings(
        database_url=os.environ["DATABASE_URL"],
        data_dir=data_dir,
        secret_key=os.environ["PORTAL_SECRET_KEY"],
        policy_path=None,
        base_url="http://testserver",
        timezone=ZoneInfo("Asia/Shanghai"),
        secure_cookies=False,
        scheduler=False,  # tests run the sweep and the mail themselves, with their own clock
    )


@pytest.fixture
def settings(tmp_path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture(scope="session")
def shared_app(database, tmp_path_factory):
    """One app per test process: building one costs more than most tests (routes, signatures,
    templates), and every page test needs one. `app` hands it to each test reset."""
    from portal.app import create_app

    return create_app(make_settings(tmp_path_factory.mktemp("app") / "data"))


def reset_app(app, settings: Settings):
    """The app with these settings and the policy file in force, as create_app() leaves a new
    one (a version saved by an earlier test is gone with its table rows)."""
    from db.policy_store import Live, file_raw
    from portal.app import install_policy
    from portal.policy import load_policy

    app.state.settings = settings
    install_policy(app.state, Live(0, file_raw(settings.policy_path),
                                   load_policy(settings.policy_path)))
    return app


@pytest.fixture
def app(settings, viewers, shared_app):
    return reset_app(shared_app, settings)


class PortalClient:
    """A browser-like test client: cookies, CSRF token, and database calls on the app's loop."""

    def __init__(self, client) -> None:
        self.http = client

    def __getattr__(self, name):
        return getattr(self.http, name)

    @property
    def csrf(self) -> str:
        if "portal_csrf" not in self.http.cookies:
            self.http.get("/login")
        return self.http.cookies["portal_csrf"]

    def login(self, username: str, password: str = "demo-pass"):  # noqa: S107
        self.http.cookies.clear()
        return self.http.post("/login", data={"username": username, "password": password,
                                              "_csrf_token": self.csrf})

    def post_form(self, url: str, data: dict | None = None, files=None, htmx: bool = False,
                  csrf: bool = True):
        data = dict(data or {})
        if csrf:
            data.setdefault("_csrf_token", self.csrf)
        headers = {"HX-Request": "true"} if htmx else {}
        return self.http.post(url, data=data, files=files, headers=headers)

    def run(self, fn, *args, **kwargs):
        """Run an async database function on the app's event loop and return its result."""
        return self.http.blocking_portal.call(lambda: fn(*args, **kwargs))


@pytest.fixture
def client(app):
    from litestar.testing import TestClient

    with TestClient(app, base_url="http://testserver.local") as http:
        http.follow_redirects = False
        yield PortalClient(http)


@pytest.fixture
def policy():
    from portal.policy import load_policy

    return load_policy()


def csrf_from(html: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', html).group(1)
