"""Benchmark the portal's pages on PostgreSQL at several sizes with wrk from a second process.

    uv run python bench/run.py 10000 1000000        # sizes to measure (default: 10000 1000000)
    uv run python bench/run.py 100000 1000000 --reuse --pages=stats,leaderboard

For each size: a fresh database (portal_bench_<size> on PORTAL_BENCH_PG), `portal migrate`,
the data generator (which also fills the statistics rollups), `portal serve --workers 2`,
log-ins for qa.staff, office and cshead, then wrk (Debian's package; `apt-get install wrk`) for
DURATION seconds per page with 4 connections. Prints a markdown table of median and p99 per
page and size, and the last/first size ratio; writes JSON to bench/results/.

--reuse: keep a database that already holds <size> complaints (only `portal migrate` runs on
it, for new indexes) instead of regenerating it; implies --keep. --keep: leave the databases
in place afterwards (they are dropped otherwise). --pages=a,b: only the pages whose name
contains one of these words. A page that does not answer 200 (not built yet) is skipped.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SERVER = os.environ.get("PORTAL_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
DB_PREFIX = os.environ.get("BENCH_DB_PREFIX", "portal_bench_")  # bench_h7_: search.py's
DURATION = int(os.environ.get("BENCH_SECONDS", "15"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "4"))
WORKERS = os.environ.get("BENCH_WORKERS", "2")


def current_quarter() -> str:
    """The current quarter's key (2026-Q4) on the company's calendar (PORTAL_TIMEZONE)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    today = datetime.now(ZoneInfo(os.environ.get("PORTAL_TIMEZONE", "Asia/Shanghai"))).date()
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


QUARTER = current_quarter()
PAGES = [
    ("/inbox (first page)", "qa.staff", "/inbox"),
    ("/inbox (filtered)", "qa.staff", "/inbox?status=all&grade=II&urgent=true"),
    ("/complaints/{number}", "qa.staff", None),
    ("/triage", "office", "/triage"),
    ("/inbox (office, every department)", "office", "/inbox"),
    ("/stats (quarter, by department)", "office", f"/stats?period={QUARTER}&by=department"),
    ("/leaderboard (quarter)", "office", f"/leaderboard?quarter={QUARTER}"),
    # The header search as a whole page (bench/search.py measures its queries alone); the rare
    # word is in 20 descriptions of search.py's databases (BENCH_DB_PREFIX=bench_h7_).
    ("/search (rare word)", "office", "/search?q=" + quote("蓝牙断连")),
    ("/search (number fragment)", "office", "/search?q=000113"),
    # Two characters (most Chinese words): the bigram index. 漏水 occurs nowhere in the generated
    # texts; 蓝牙 only in the rare word's 20 descriptions, most of them older than the newest
    # 100,000 complaints; 退款 in about a fifth of them (bench/generate.py PROBLEMS, DEMANDS).
    ("/search (two characters, no match)", "office", "/search?q=" + quote("漏水")),
    ("/search (two characters, old matches)", "office", "/search?q=" + quote("蓝牙")),
    ("/search (two characters, common)", "office", "/search?q=" + quote("退款")),
]
USERS = ("qa.staff", "office", "cshead")


# The venv's interpreter and console script (bench/run.py runs as `uv run python …` or with
# .venv/bin/python: either way sys.executable is the project's environment).
PYTHON = sys.executable
PORTAL = str(Path(sys.executable).parent / "portal")


def sh(*cmd, env=None, **kw):
    return subprocess.run(cmd, cwd=ROOT, env={**os.environ, **(env or {})}, check=True, **kw)


async def admin(sql: str) -> None:
    """Runs one statement (CREATE/DROP DATABASE) on the server's maintenance database."""
    conn = await asyncpg.connect(f"{SERVER}/test")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def recreate_database(db: str) -> str:
    import asyncio

    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
    asyncio.run(admin(f'CREATE DATABASE "{db}"'))
    return f"{SERVER}/{db}"


def filled(db: str, size: int) -> bool:
    """The database exists and holds `size` complaints and a filled rollup."""
    import asyncio

    async def check() -> bool:
        try:
            conn = await asyncpg.connect(f"{SERVER}/{db}")
        except asyncpg.InvalidCatalogNameError:
            return False
        try:
            n = await conn.fetchval("SELECT count(*) FROM complaint")
            rollup = await conn.fetchval("SELECT count(*) > 0 FROM stats_day")
            return n == size and rollup
        except asyncpg.UndefinedTableError:
            return False
        finally:
            await conn.close()

    return asyncio.run(check())


def bench_env(size: int) -> dict:
    # The deadline sweep is measured on its own (bench/sweep.py); here it would catch up on the
    # generated backlog while wrk measures pages.
    return {"DATABASE_URL": f"{SERVER}/{DB_PREFIX}{size}", "PORTAL_SECRET_KEY": "bench-" + "k" * 40,
            "PORTAL_SCHEDULER": "0"}


def prepare(size: int, reuse: bool) -> tuple[dict, float | None]:
    """The database for `size` complaints: kept (reuse and already filled: only migrated) or
    created, migrated and generated. Returns its environment and the generation time."""
    db = f"{DB_PREFIX}{size}"
    env = bench_env(size)
    if reuse and filled(db, size):
        print(f"\n== {size:,} complaints: reusing {db} (migrate only)", flush=True)
        sh(PORTAL, "migrate", env=env, stdout=subprocess.DEVNULL)
        return env, None
    recreate_database(db)
    print(f"\n== {size:,} complaints: migrate and generate into {db}", flush=True)
    sh(PORTAL, "migrate", env=env, stdout=subprocess.DEVNULL)
    t0 = time.monotonic()
    # Up to 100,000 complaints, check that the generator's SQL rollup is what db.rollup computes
    # (a few seconds; it guards the SQL copy of the rollup rules against drifting).
    sh(PYTHON, "bench/generate.py", str(size), *(["--check-rollup"] if size <= 100_000 else []),
       env=env)
    return env, time.monotonic() - t0


def sample_numbers(url: str, department: str, k: int = 500) -> list[str]:
    import asyncio

    async def fetch():
        conn = await asyncpg.connect(url)
        try:
            rows = await conn.fetch(
                "SELECT number FROM complaint WHERE department = $1 AND id % 97 = 0 LIMIT $2",
                department, k)
            return [r["number"] for r in rows]
        finally:
            await conn.close()

    return asyncio.run(fetch())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def login(base: str, username: str) -> str:
    with httpx.Client(base_url=base) as client:
        client.get("/login")
        token = client.cookies["portal_csrf"]
        r = client.post("/login", data={"username": username, "password": "demo-pass",
                                        "_csrf_token": token})
        assert r.status_code == 303, r.text
        return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


def to_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, cookie: str, script: Path | None = None) -> dict:
    cmd = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--latency", "-H", f"Cookie: {cookie}"]
    if script:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    pct = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)$", out, re.M))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"p50_ms": to_ms(pct["50"]), "p90_ms": to_ms(pct["90"]), "p99_ms": to_ms(pct["99"]),
            "rps": rps, "non_2xx": int(errors.group(1)) if errors else 0}


def measure(size: int, reuse: bool = False, only: list[str] | None = None) -> dict:
    env, generate_s = prepare(size, reuse)
    url = env["DATABASE_URL"]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(RESULTS / f"server-{size}.log", "w")  # noqa: SIM115
    server = subprocess.Popen([PORTAL, "serve", "--port", str(port), "--workers", WORKERS],
                              cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(300):
            try:
                httpx.get(base + "/login", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        cookies = {u: login(base, u) for u in USERS}
        numbers = sample_numbers(url, "QA")
        script = Path(tempfile.mkstemp(suffix=".lua")[1])
        script.write_text("local paths = {" + ",".join(f'"/complaints/{n}"' for n in numbers) + "}\n"
                          "request = function()\n"
                          "  return wrk.format('GET', paths[math.random(#paths)])\nend\n")
        results = {"size": size, "generate_s": generate_s and round(generate_s, 1), "pages": {}}
        for name, user, path in PAGES:
            if only and not any(word in name for word in only):
                continue
            # Warm the caches once, then measure.
            target = base + (path or f"/complaints/{numbers[0]}")
            first = httpx.get(target, headers={"Cookie": cookies[user]}, timeout=60)
            if first.status_code != 200:
                print(f"{name:24} skipped: HTTP {first.status_code} (not built yet?)", flush=True)
                continue
            httpx.get(target, headers={"Cookie": cookies[user]}, timeout=60)
            r = wrk(target, cookies[user], None if path else script)
            results["pages"][name] = r
            print(f"{name:24} median {r['p50_ms']:7.2f} ms   p99 {r['p99_ms']:7.2f} ms   "
                  f"{r['rps']:7.1f} req/s   non-2xx {r['non_2xx']}", flush=True)
        return results
    finally:
        server.terminate()
        server.wait(timeout=20)


def main() -> None:
    sizes = [int(s) for s in sys.argv[1:] if not s.startswith("--")] or [10_000, 1_000_000]
    reuse = "--reuse" in sys.argv
    keep = reuse or "--keep" in sys.argv
    only = next((a.split("=", 1)[1].split(",") for a in sys.argv if a.startswith("--pages=")), None)
    RESULTS.mkdir(parents=True, exist_ok=True)
    runs = [measure(size, reuse, only) for size in sizes]
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"bench-{stamp}.json").write_text(json.dumps(runs, indent=2))
    print(f"\nwrk -t1 -c{CONNECTIONS} -d{DURATION}s, portal serve --workers {WORKERS}, PostgreSQL\n")
    header = "| page | " + " | ".join(f"{r['size']:,}: median / p99 (ms)" for r in runs)
    if len(runs) > 1:
        header += f" | median ratio {runs[-1]['size']:,}/{runs[0]['size']:,}"
    print(header + " |")
    print("|---" * header.count("|") + "|")
    for name, _, _ in PAGES:
        if not all(name in r["pages"] for r in runs):
            continue
        cells = [f"{r['pages'][name]['p50_ms']:.1f} / {r['pages'][name]['p99_ms']:.1f}" for r in runs]
        if len(runs) > 1:
            cells.append(f"{runs[-1]['pages'][name]['p50_ms'] / runs[0]['pages'][name]['p50_ms']:.2f}×")
        print(f"| {name} | " + " | ".join(cells) + " |")
    if not keep:
        import asyncio

        for size in sizes:
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{DB_PREFIX}{size}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
