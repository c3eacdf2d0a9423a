#!/usr/bin/env python3
"""Set-up and checks from a fresh checkout, with nothing but Python 3.11+ and pip.

    python3 tasks.py demo    install, migrate, load demo data, serve on http://127.0.0.1:8000
    python3 tasks.py test    install (incl. Chromium via apt when missing) and run every test

`uv` is bootstrapped into .tools/ when it is not on PATH. Only the standard library here.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent
TOOLS = ROOT / ".tools"
CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
PG = os.environ.get("PORTAL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
WORKERS = os.environ.get("PORTAL_TEST_WORKERS", "auto")


def say(message: str) -> None:
    print(f"\n==> {message}", flush=True)


def run(*cmd: str, env: dict | None = None, check: bool = True) -> int:
    print("$", " ".join(cmd), flush=True)
    code = subprocess.call(cmd, cwd=ROOT, env={**os.environ, **(env or {})})
    if check and code != 0:
        sys.exit(code)
    return code


def uv() -> str:
    """The uv binary: on PATH, or installed once into .tools/ with pip."""
    found = shutil.which("uv")
    if found:
        return found
    local = TOOLS / "bin" / "uv"
    if not local.exists():
        say("bootstrapping uv into .tools/")
        run(sys.executable, "-m", "venv", str(TOOLS))
        run(str(TOOLS / "bin" / "python"), "-m", "pip", "install", "--quiet", "uv")
    return str(local)


def install(dev: bool) -> None:
    say("installing the portal and its dependencies (uv sync, from uv.lock)")
    args = [uv(), "sync", "--frozen"]
    if not dev:
        args.append("--no-dev")
    run(*args)


FONTS = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def ensure_chromium() -> None:
    """Debian's Chromium, and CJK fonts so that screenshots of the Chinese UI are legible."""
    if Path(CHROMIUM).exists() and FONTS.exists():
        return
    say("installing Debian's Chromium and CJK fonts for the browser tests")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    run(*sudo, "apt-get", "update", "-qq")
    run(*sudo, "apt-get", "install", "-y", "-qq", "chromium", "fonts-noto-cjk")


def postgres_reachable() -> bool:
    code = subprocess.call(
        [uv(), "run", "python", "-c",
         "import asyncio, asyncpg, sys; asyncio.run(asyncpg.connect(sys.argv[1], timeout=5))", PG],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return code == 0


def demo(args) -> None:
    install(dev=False)
    # Links in the demo's emails (survey links, notices) point at this server.
    host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    os.environ.setdefault("PORTAL_BASE_URL", f"http://{host}:{args.port}")
    say("creating the SQLite database and demo data")
    run(uv(), "run", "--no-dev", "portal", "demo")
    say(f"serving on http://{args.host}:{args.port}  (log in as clerk / demo-pass; Ctrl+C stops)")
    os.execv(uv(), [uv(), "run", "--no-dev", "portal", "serve", "--host", args.host,
                    "--port", str(args.port)])


def _count(junit: Path) -> tuple[int, int, int]:
    """(passed, failed, skipped) from a pytest JUnit report."""
    root = ET.parse(junit).getroot()
    suites = [root] if root.tag == "testsuite" else list(root)
    total = failed = skipped = 0
    for s in suites:
        total += int(s.get("tests", 0))
        failed += int(s.get("failures", 0)) + int(s.get("errors", 0))
        skipped += int(s.get("skipped", 0))
    return total - failed - skipped, failed, skipped


def test(args) -> None:
    started = time.monotonic()
    install(dev=True)
    ensure_chromium()
    reports = ROOT / ".tools" / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    for old in reports.glob("*.xml"):
        old.unlink()

    say("lint (ruff) and translation catalogs")
    run(uv(), "run", "ruff", "check", ".")
    run(uv(), "run", "python", "scripts/i18n.py", "check")

    suites = [("unit + integration on SQLite", ["tests"], {"PORTAL_TEST_DB": "sqlite"})]
    if args.sqlite_only:
        say("--sqlite-only: the PostgreSQL run is left out (CI never does this)")
    else:
        if not postgres_reachable():
            sys.exit(f"PostgreSQL is not reachable at {PG}. Start it, set PORTAL_TEST_PG, "
                     "or pass --sqlite-only on a machine without it.")
        suites.append(("integration on PostgreSQL", ["tests/pages"], {"PORTAL_TEST_DB": "postgres"}))
    # A file's browser tests share one server and may build on each other: keep them together.
    suites.append(("end-to-end in Chromium", ["e2e", "--dist", "loadfile"],
                   {"PORTAL_TEST_DB": "sqlite"}))

    failed_suites = []
    for i, (name, paths, env) in enumerate(suites):
        say(name)
        junit = reports / f"{i}.xml"
        # One worker per core (pytest-xdist): each has its own database and e2e server.
        code = run(uv(), "run", "pytest", *paths, "-q", "-p", "no:cacheprovider",
                   "-n", WORKERS, f"--junitxml={junit}", env=env, check=False)
        if code != 0:
            failed_suites.append(name)
    passed = failed = skipped = 0
    for junit in sorted(reports.glob("*.xml")):
        p, f, s = _count(junit)
        passed, failed, skipped = passed + p, failed + f, skipped + s
    minutes = (time.monotonic() - started) / 60
    say(f"all suites done in {minutes:.1f} min")
    print(f"total: {passed} passed, {failed} failed, {skipped} skipped")
    if failed_suites or failed or skipped:
        print("failing suites:", ", ".join(failed_suites) or "(skips are failures here)")
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="install and start the portal with demo data on SQLite")
    d.add_argument("--host", default="127.0.0.1")
    d.add_argument("--port", type=int, default=8000)
    t = sub.add_parser("test", help="install and run the whole test suite")
    t.add_argument("--sqlite-only", action="store_true", help="skip the PostgreSQL run (not for CI)")
    args = parser.parse_args()
    {"demo": demo, "test": test}[args.command](args)


if __name__ == "__main__":
    main()
