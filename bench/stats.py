"""Time the statistics (db.stats.report() and db.stats.people()) directly on the benchmark
databases, without HTTP: what /stats and /leaderboard spend in the database.

    .venv/bin/python bench/stats.py 100000 1000000 [--runs=30] [--explain]

It uses bench/run.py's databases portal_bench_<size> (each created, migrated and generated
when it does not hold <size> complaints yet; only `portal migrate` runs otherwise, so a new
index migration applies), then, in one child process with a connection pool per database
(as the server has), times for the current quarter (PORTAL_TIMEZONE's calendar; the previous
quarter is read too, for the comparison):

- report (by department): `report(period, "department", tz, now)` — /stats as the office sees it;
- report (QA head, by category): `report(period, "category", tz, now, department="QA")`;
- people: `people(period, penalty_grades, names)` — the employee ranking's figures;
- assessment: `db.assessment.assessment(period, rules, tz, now)` — all /leaderboard computes
  (departments and employees, this quarter and the one before), when that module exists.

Two warm-up rounds, then RUNS rounds (`--runs=N`, default 30). A round runs every case at
every size, so that load from elsewhere on the shared machine hits the sizes alike and the
ratio stays meaningful. The table gives median and p95 in ms and the ratio of the last size's
median to the first's; below it, the median time of each SQL statement (timed at the engine).
`--explain` writes EXPLAIN (ANALYZE, BUFFERS) of every statement of one run of each case to
bench/results/stats-explain-<size>.txt. JSON results go to bench/results/stats-<time>.json.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import PYTHON, RESULTS, ROOT, bench_env, prepare  # noqa: E402  (bench/run.py)

RUNS_DEFAULT = 30


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def label(sql: str) -> str:
    """A short name for one of db/stats.py's statements."""
    if "FROM stats_person_day" in sql:
        return "people: stats_person_day sums"
    if "FROM stats_day" in sql and "GROUP BY day" in sql:
        return "trend: stats_day by day"
    if "FROM stats_day" in sql:
        return "rollup: stats_day sums (both periods)"
    if "result_submitted_at IS NULL" in sql:
        return "missing results (live)"
    if "resolve_minutes" in sql and "FROM complaint" in sql:
        return "median " + ("by group" if "COALESCE(" in sql.split(" AS g", 1)[0] else "overall")
    if "FROM complaint" in sql and "result_submitted_at IS NULL" in sql:
        return "missing results (live)"
    words = re.findall(r"FROM (?:\"?)(\w+)", sql)
    return f"{words[0] if words else sql[:20]} query"


def use(engine) -> None:
    """Points every table at `engine` (one database per size, in one process)."""
    from piccolo.table import Table

    def walk(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)

    for table in walk(Table):
        table._meta.db = engine


async def child(sizes: list[int], runs: int, explain: bool) -> list[dict]:
    """Measures every size in this process, round-robin."""
    from piccolo.engine.postgres import PostgresEngine

    import portal  # noqa: F401  (sets PICCOLO_CONF)
    from db.stats import people, report
    from db.tables import User
    from portal.config import load_settings
    from portal.periods import quarter_of
    from portal.policy import load_policy
    from portal.timeutil import utcnow

    settings = load_settings()
    policy = load_policy(settings.policy_path)
    tz = settings.timezone
    now = utcnow()
    period = quarter_of(now.astimezone(tz).date())
    grades = policy.assessment.employee_penalty_grades if policy.assessment else ("I", "II")

    # Time every statement at the engine (and keep its text for EXPLAIN).
    log: list[tuple[str, list, float]] = []
    original = PostgresEngine.run_querystring

    async def timed(self, querystring, in_pool: bool = True):
        t = time.perf_counter()
        try:
            return await original(self, querystring, in_pool)
        finally:
            sql, args = querystring.compile_string(engine_type=self.engine_type)
            log.append((sql, list(args), time.perf_counter() - t))

    engines, names = {}, {}
    for size in sizes:
        engine = PostgresEngine(config={"dsn": bench_env(size)["DATABASE_URL"]})
        await engine.start_connection_pool(min_size=1, max_size=2)
        engines[size] = engine
        use(engine)
        names[size] = {u["id"]: (u["display_name"], u["username"])
                       for u in await User.select(User.id, User.display_name, User.username)}

    try:  # the leaderboard's own call (db/assessment.py), when it exists
        from db.assessment import assessment
    except ImportError:
        assessment = None

    def cases(size: int) -> dict:
        out = {
            "report (quarter, by department)": lambda: report(period, "department", tz, now),
            "report (quarter, QA head, by category)": lambda: report(period, "category", tz, now,
                                                                     department="QA"),
            "people (quarter)": lambda: people(period, grades, names[size]),
        }
        if assessment and policy.assessment:
            out["assessment (quarter, as /leaderboard)"] = lambda: assessment(
                period, policy.assessment, tz, now)
        return out

    PostgresEngine.run_querystring = timed
    times: dict[tuple[int, str], list[float]] = {(s, n): [] for s in sizes for n in cases(s)}
    per_query: dict[tuple[int, str], dict[str, list[float]]] = {k: {} for k in times}
    statements: dict[int, dict[str, list[tuple[str, list]]]] = {s: {} for s in sizes}
    for run in range(runs + 2):  # two warm-up rounds
        for size in sizes:
            use(engines[size])
            for name, call in cases(size).items():
                log.clear()
                t = time.perf_counter()
                await call()
                elapsed = (time.perf_counter() - t) * 1000
                if run < 2:
                    continue
                times[(size, name)].append(elapsed)
                seen: dict[str, int] = {}
                for sql, _args, d in log:
                    what = label(sql)
                    seen[what] = seen.get(what, 0) + 1
                    key = what if seen[what] == 1 else f"{what} #{seen[what]}"
                    per_query[(size, name)].setdefault(key, []).append(d * 1000)
                statements[size][name] = [(sql, args) for sql, args, _ in log]
    PostgresEngine.run_querystring = original
    out = []
    for size in sizes:
        result: dict = {"size": size, "period": period.key, "runs": runs, "cases": {}}
        for name in cases(size):
            values = times[(size, name)]
            result["cases"][name] = r = {
                "median_ms": statistics.median(values), "p95_ms": percentile(values, 0.95),
                "min_ms": min(values),
                "queries": {q: statistics.median(v) for q, v in per_query[(size, name)].items()},
            }
            print(f"{size:>9,}  {name:40} median {r['median_ms']:7.1f} ms  p95 {r['p95_ms']:7.1f} ms",
                  flush=True)
        if explain:
            result["explain"] = await explain_all(statements[size], size)
        out.append(result)
    for engine in engines.values():
        await engine.close_connection_pool()
    return out


async def explain_all(statements: dict[str, list[tuple[str, list]]], size: int) -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) of each statement (run once before, so warm) into a file;
    returns each statement's execution time and whether JIT ran."""
    import asyncpg

    conn = await asyncpg.connect(bench_env(size)["DATABASE_URL"])
    lines, summary = [], {}
    try:
        seen = set()
        for case, items in statements.items():
            for sql, args in items:
                if (sql, repr(args)) in seen:
                    continue
                seen.add((sql, repr(args)))
                await conn.fetch(f"EXPLAIN (ANALYZE) {sql}", *args)
                plan = "\n".join(r[0] for r in await conn.fetch(
                    f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *args))
                ms = float(re.search(r"Execution Time: ([\d.]+) ms", plan).group(1))
                key = f"{case}: {label(sql)}"
                key += f" #{sum(k.startswith(key) for k in summary) + 1}" if key in summary else ""
                summary[key] = {"execution_ms": ms, "jit": "JIT:" in plan}
                lines += [f"-- {key} ({ms:.1f} ms)", sql, f"-- args: {args!r}", plan, ""]
    finally:
        await conn.close()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"stats-explain-{size}.txt").write_text("\n".join(lines), encoding="utf-8")
    return summary


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        sizes = [int(n) for n in sys.argv[2].split(",")]
        results = asyncio.run(child(sizes, int(sys.argv[3]), sys.argv[4] == "1"))
        print("RESULT " + json.dumps(results, default=str))
        return
    sizes = [int(a) for a in sys.argv[1:] if not a.startswith("--")] or [100_000, 1_000_000]
    runs = next((int(a.split("=", 1)[1]) for a in sys.argv if a.startswith("--runs=")),
                RUNS_DEFAULT)
    explain = "--explain" in sys.argv
    for size in sizes:
        prepare(size, reuse=True)
    # Piccolo wants a DATABASE_URL at import; the child then has one engine per size.
    env = bench_env(sizes[0])
    proc = subprocess.run([PYTHON, __file__, "--child", ",".join(map(str, sizes)), str(runs),
                           str(int(explain))], cwd=ROOT, env={**os.environ, **env}, check=True,
                          text=True, stdout=subprocess.PIPE)
    results: list[dict] = []
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            results = json.loads(line[7:])
        else:
            print(line)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"stats-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(
        json.dumps(results, indent=2))
    print(f"\n{runs} rounds after 2 warm-ups; period {results[0]['period']} "
          "(and the quarter before)\n")
    header = "| call | " + " | ".join(f"{r['size']:,}: median / p95 (ms)" for r in results)
    if len(results) > 1:
        header += f" | median ratio {results[-1]['size']:,}/{results[0]['size']:,}"
    print(header + " |")
    print("|---" * header.count("|") + "|")
    for name in results[0]["cases"]:
        cells = [f"{r['cases'][name]['median_ms']:.1f} / {r['cases'][name]['p95_ms']:.1f}"
                 for r in results]
        if len(results) > 1:
            first, last = results[0]["cases"][name], results[-1]["cases"][name]
            cells.append(f"{last['median_ms'] / first['median_ms']:.2f}×")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print("\nMedian per statement (ms):\n")
    for r in results:
        for name, case in r["cases"].items():
            print(f"- {r['size']:,} {name}: "
                  + ", ".join(f"{q} {v:.1f}" for q, v in case["queries"].items()))
        for q, e in r.get("explain", {}).items():
            print(f"  EXPLAIN {r['size']:,} {q}: {e['execution_ms']:.1f} ms"
                  f"{' (JIT)' if e['jit'] else ''}")


if __name__ == "__main__":
    main()
