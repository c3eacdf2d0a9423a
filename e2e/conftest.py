"""A real server on a free port with demo data, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
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


@pytest.fixture(scope="session")
def server():
    tmp = Path(tempfile.mkdtemp(prefix="portal-e2e-"))
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp / 'e2e.db'}",
           "PORTAL_DATA_DIR": str(tmp / "data"), "PORTAL_SECRET_KEY": secrets.token_hex(32),
           "PORTAL_BASE_URL": f"http://127.0.0.1:{port}", "PORTAL_POLL_SECONDS": "1",
           "PORTAL_SWEEP_SECONDS": "5"}
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
    yield base
    proc.terminate()
    proc.wait(timeout=10)


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
