"""Benchmark the search (db/search.py) on PostgreSQL at several sizes.

    uv run python bench/search.py 100000 1000000      # sizes (default: 100000 1000000)
    uv run python bench/search.py 1000000 --reuse     # keep a filled database, migrate only

For each size: a fresh database bench_h7_<size> (on PORTAL_BENCH_PG), `portal migrate`, the
generator (bench/generate.py), then a rare word written into 20 random descriptions, ANALYZE,
and in a second process with the portal's own engine: each query `search_page` as the office
(every complaint visible, the largest scope) and as qa.staff, 5 warm-up calls then RUNS timed
calls; median and p99 in ms; EXPLAIN (ANALYZE, BUFFERS) of every tier's query into
bench/results/search-<size>-<query>.txt. The databases are dropped afterwards unless --keep or
--reuse. Prints a markdown table and the last/first median ratio."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RUNS = int(os.environ.get("BENCH_RUNS", "50"))
RARE_WORD = "蓝牙断连"
# Two characters (the bigram index, migration 2026-12-05T06:30): 漏水 is absent from the
# generated texts; 蓝牙 only in the rare word's 20 descriptions (random, so mostly older than
# the newest 100,000); 箱退 (冰箱 followed by a problem starting 退) in about 0.5% of them,
# too many to read them all (~5,000 at 1M), too few for the primary key walk; 退款 in about a
# fifth. One character (漏, absent) keeps the bounded scan of the newest SHORT_WINDOW.
QUERIES = {"rare word": RARE_WORD, "number fragment": "000113", "last four of a phone": "5678",
           "two characters, no match": "漏水", "two characters, 20 old matches": RARE_WORD[:2],
           "two characters, 0.5% match": "箱退", "two characters, common": "退款",
           "one character, no match": "漏"}


def prepare(size: int, reuse: bool) -> dict:
    from bench import run

    run.DB_PREFIX = "bench_h7_"
    env, _ = run.prepare(size, reuse)
    asyncio.run(_rare_word(env["DATABASE_URL"]))
    return env


async def _rare_word(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "UPDATE complaint SET description = description || $1 WHERE id IN "
            "(SELECT id FROM complaint ORDER BY md5(id::text) LIMIT 20) "
            "AND position($1 in description) = 0", f"，{RARE_WORD}")
        await conn.execute("ANALYZE complaint")
    finally:
        await conn.close()


async def measure() -> dict:
    """In the child process: DATABASE_URL names the database."""
    from db.search import search_page, short_floor, tier_conditions, tier_query, visible_to
    from db.tables import Complaint, User
    from portal.search import parse_query
    from portal.workflow import Viewer

    users = {u["username"]: u for u in await User.select(User.id, User.username, User.role,
                                                          User.department)}
    viewers = {name: Viewer(id=users[name]["id"], role=users[name]["role"],
                            department=users[name]["department"])
               for name in ("office", "qa.staff")}
    out: dict = {}
    size = os.environ["BENCH_SIZE"]
    for label, q in QUERIES.items():
        sq = parse_query(q)
        for who, viewer in viewers.items():
            for _ in range(5):
                rows, _cursor = await search_page(sq, viewer)
            times = []
            for _ in range(RUNS):
                t0 = time.perf_counter()
                rows, _cursor = await search_page(sq, viewer)
                times.append((time.perf_counter() - t0) * 1000)
            times.sort()
            out[f"{label} ({who})"] = {
                "median": round(statistics.median(times), 1),
                "p99": round(times[min(len(times) - 1, int(len(times) * 0.99))], 1),
                "rows": len(rows)}
        plans = []
        floor = await short_floor(sq)
        for tier, condition in enumerate(tier_conditions(sq, floor)):
            query = tier_query(condition, visible_to(viewers["office"]), None, 26)
            sql = query.__str__()
            plan = await Complaint.raw(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plans.append(f"-- tier {tier}\n{sql}\n" + "\n".join(r["QUERY PLAN"] for r in plan))
        path = ROOT / "bench" / "results" / f"search-{size}-{label.replace(' ', '-')}.txt"
        path.parent.mkdir(exist_ok=True)
        path.write_text("\n\n".join(plans) + "\n")
    return out


def main() -> None:
    from bench import run

    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    reuse, keep = "--reuse" in sys.argv, "--keep" in sys.argv or "--reuse" in sys.argv
    if "--measure" in sys.argv:
        print(json.dumps(asyncio.run(measure())))
        return
    sizes = [int(a) for a in args] or [100_000, 1_000_000]
    results = {}
    for size in sizes:
        env = prepare(size, reuse)
        load = os.getloadavg()
        child = subprocess.run([sys.executable, __file__, "--measure"], check=True,
                               capture_output=True, text=True, cwd=ROOT,
                               env={**os.environ, **env, "BENCH_SIZE": str(size)})
        results[size] = {"load": [round(x, 2) for x in load],
                         "queries": json.loads(child.stdout.strip().splitlines()[-1])}
        print(f"{size:,}: load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
        if not keep:
            asyncio.run(run.admin(f'DROP DATABASE IF EXISTS "bench_h7_{size}" WITH (FORCE)'))
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "search.json").write_text(json.dumps(results, indent=1))
    first, last = sizes[0], sizes[-1]
    print("\n| query | " + " | ".join(f"{s:,}: median / p99 (ms)" for s in sizes)
          + f" | median ratio {last:,}/{first:,} |")
    print("|---|" + "---|" * len(sizes) + "---|")
    for name in results[first]["queries"]:
        cells = [f"{results[s]['queries'][name]['median']} / {results[s]['queries'][name]['p99']}"
                 for s in sizes]
        ratio = results[last]["queries"][name]["median"] / max(
            results[first]["queries"][name]["median"], 0.01)
        print(f"| {name} | " + " | ".join(cells) + f" | {ratio:.2f}× |")


if __name__ == "__main__":
    main()
