"""A real server on a free port with demo data, a real SMTP server (aiosmtpd, in this process)
that it sends its mail to, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import email
import email.policy
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
SHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "demo-pass"  # noqa: S105


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """An aiosmtpd handler keeping every message the server sends; tests wait for theirs."""

    def __init__(self) -> None:
        self._messages: list[email.message.EmailMessage] = []
        self._arrived = threading.Condition()
        self.url = ""

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=email.policy.default)
        with self._arrived:
            self._messages.append(message)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def to(self, recipient: str, subject_contains: str = "") -> list[email.message.EmailMessage]:
        with self._arrived:
            return [m for m in self._messages
                    if m["To"] == recipient and subject_contains in m["Subject"]]

    def wait_for(self, recipient: str, subject_contains: str = "", timeout: float = 30):
        """The first message to `recipient` whose subject contains the text, waiting up to
        `timeout` seconds: the server's scheduler sends the outbox every PORTAL_SWEEP_SECONDS."""
        with self._arrived:
            if self._arrived.wait_for(lambda: self.to(recipient, subject_contains), timeout):
                return self.to(recipient, subject_contains)[0]
            seen = [(m["To"], m["Subject"]) for m in self._messages]
        raise AssertionError(f"no mail to {recipient} about {subject_contains!r} in {timeout} s;"
                             f" the SMTP server got {seen}")


@pytest.fixture(scope="session")
def mailbox():
    """A real SMTP server on a free port of 127.0.0.1, in this process, for the whole run."""
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    box.url = f"smtp://127.0.0.1:{controller.port}"
    yield box
    controller.stop()


SERVER_ENV: dict[str, str] = {}  # the running server's environment (its database)


def seed(status: str, department: str = "QA") -> str:
    """A new complaint of this test's own in `status` (e2e/seed.py); returns its number."""
    out = subprocess.run([sys.executable, "-m", "e2e.seed", status, department], env=SERVER_ENV,
                         cwd=ROOT, check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def server(mailbox):
    tmp = Path(tempfile.mkdtemp(prefix="portal-e2e-"))
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp / 'e2e.db'}",
           "PORTAL_DATA_DIR": str(tmp / "data"), "PORTAL_SECRET_KEY": secrets.token_hex(32),
           "PORTAL_BASE_URL": f"http://127.0.0.1:{port}", "PORTAL_POLL_SECONDS": "1",
           "PORTAL_SWEEP_SECONDS": "5", "SMTP_URL": mailbox.url}
    cli = [sys.executable, "-m", "portal.cli"]
    subprocess.run([*cli, "demo"], env=env, cwd=ROOT, check=True, capture_output=True)
    log = (tmp / "server.log").open("w")
    proc = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env, cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/login", timeout=1)  # noqa: S310
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("server did not start:\n" + (tmp / "server.log").read_text()) from None
            time.sleep(0.1)
    SERVER_ENV.update(env)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:  # a loaded machine: don't fail a passed run on shutdown
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def browser() -> Browser:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def login(browser, server):
    """login("qa.staff") -> a Page logged in through the real form, in its own context."""
    contexts = []

    def _login(username: str, locale: str = "zh-CN", **context_args) -> Page:
        context = browser.new_context(base_url=server, locale=locale,
                                      viewport=context_args.pop("viewport", {"width": 1360, "height": 900}),
                                      **context_args)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto("/login")
        page.locator("[name=username]").fill(username)
        page.locator("[name=password]").fill(PASSWORD)
        page.locator("form[action='/login'] button[type=submit]").click()
        expect(page).not_to_have_url(re.compile(r"/login"))
        return page

    yield _login
    for context in contexts:
        context.close()


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
