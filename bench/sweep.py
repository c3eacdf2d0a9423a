"""Benchmark the deadline sweep (db/sweep.py) on PostgreSQL at N complaints, OPEN of them open.

    uv run python bench/sweep.py [N] [OPEN] [--reuse]     # defaults: 1000000 50000

Steps: a fresh database `portal_sweep_bench` (on PORTAL_BENCH_PG), `portal migrate`, the demo
departments and users, then N complaints by COPY. The last OPEN of them are open
(dispatched / acknowledged / in_progress / result_submitted) in the departments that have a
handler and a head (QA, SVC), dispatched at instants spread evenly over the working time of
the last 7 working days before the fixed instant T0 (a Wednesday, 10:30 Asia/Shanghai); their
deadlines come from portal.deadlines.compute on the business calendar, and they look as a
steady-state system has them at T0: every reminder / breach notice due at or before T0 is in
deadline_alert (sent at its due instant) and next_due / next_alert_at are portal.schedule.plan
with those alerts sent, so next_alert_at > T0. The other N - OPEN complaints are finished
(replied / closed / invalid) over the three years before, with deadlines but no next_alert_at.

Then, after ANALYZE, it times `sweep(now, env)` for: nothing due (now = T0), a normal minute
(T0 + 1 min) and a catch-up after an hour of downtime (T0 + 60 min), RUNS times each (the
first run of each scenario is a warm-up and not counted). Before every run the complaints the
sweep may touch are restored from a snapshot and the rows it wrote (deadline_alert,
notification, outbox_email, complaint_event) are deleted, then VACUUM ANALYZE. Prints a
markdown table (also written to bench/results/sweep-<N>.md) with the EXPLAIN ANALYZE of the
sweep's claim query. `--reuse` skips creating and filling the database (same N/OPEN only).

Environment: PORTAL_BENCH_PG (default postgresql://postgres@127.0.0.1:5432), BENCH_RUNS (5),
BENCH_SWEEP_DB (the database name, default portal_sweep_bench).
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
from run import SERVER, admin  # noqa: E402  (bench/run.py; it does not import the portal)

DB = os.environ.get("BENCH_SWEEP_DB", "portal_sweep_bench")
URL = f"{SERVER}/{DB}"
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
# Piccolo reads DATABASE_URL when portal.piccolo_conf is first imported: set it before.
os.environ["DATABASE_URL"] = URL
os.environ.setdefault("PORTAL_SECRET_KEY", "bench-" + "k" * 40)

import asyncpg  # noqa: E402
from generate import (  # noqa: E402  (bench/generate.py: the same names, texts and weights)
    CATEGORIES,
    CHANNELS,
    CITIES,
    CRITERIA,
    DEMANDS,
    DEPARTMENTS,
    GIVEN,
    PROBLEMS,
    PRODUCTS,
    SURNAMES,
    pick,
)

import portal  # noqa: E402, F401  (sets PICCOLO_CONF)
from db.commands import Env  # noqa: E402
from db.sweep import BATCH, SweepResult, sweep  # noqa: E402
from portal.deadlines import DUE_COLUMN, Deadline, alerts, compute  # noqa: E402
from portal.demo import load_base  # noqa: E402
from portal.policy import load_policy  # noqa: E402
from portal.schedule import dues_of, plan, running_of  # noqa: E402
from portal.workcalendar import BusinessCalendar  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 25, 10, 30, tzinfo=TZ).astimezone(UTC)  # a Wednesday, working time
WINDOW_DAYS = 7  # open complaints were dispatched within this many working days before T0
OPEN_DEPARTMENTS = [("QA", 0.55), ("SVC", 0.45)]  # the demo departments with handler + head
SCENARIOS = [
    ("idle (nothing due)", timedelta(0)),
    ("normal minute", timedelta(minutes=1)),
    ("catch-up after 1 h down", timedelta(minutes=60)),
]
COLUMNS = ["id", "number", "status", "version", "received_at", "logged_at", "channel", "category",
           "logged_by", "customer_name", "customer_phone", "customer_email", "customer_address",
           "product", "model_batch", "order_no", "occurred_at", "location", "complained_department",
           "complained_person", "description", "demand", "claimed_loss", "criteria", "grade",
           "urgent", "is_second", "previous_number", "department", "invalid_kind",
           "invalid_reason", "cause", "solution", "corrective_action", "reply", "dispatched_at",
           "acknowledged_at", "acknowledged_by", "first_contact_at", "result_submitted_at",
           "replied_at", "clock_start", "acknowledge_due", "contact_due", "result_due", "cap_due",
           "next_due", "next_alert_at"]
EV_COLUMNS = ["complaint", "at", "actor", "action", "from_status", "to_status", "note", "changes"]
ALERT_COLUMNS = ["complaint", "kind", "deadline", "due", "sent_at"]
# What the sweep may change on a complaint: restored before every run.
SNAPSHOT = ["next_alert_at", "next_due", "version", "grade", "criteria", "acknowledge_due",
            "contact_due", "result_due", "cap_due"]
WRITTEN = ["deadline_alert", "notification", "outbox_email", "complaint_event"]


def sh(*cmd: str) -> None:
    subprocess.run(cmd, cwd=ROOT, env=os.environ, check=True, stdout=subprocess.DEVNULL)


def window_start(cal: BusinessCalendar) -> datetime:
    """The same local time of day WINDOW_DAYS working days before T0."""
    local = T0.astimezone(TZ)
    day = local.date()
    for _ in range(WINDOW_DAYS):
        day = cal.previous_working_day(day)
    return datetime.combine(day, local.timetz().replace(tzinfo=None), TZ)


def person(rng: random.Random) -> tuple:
    name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.5 else "")
    phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
    email = f"u{rng.randrange(10**8)}@example.com" if rng.random() < 0.4 else ""
    return name, phone, email


def open_status(rng: random.Random, age_hours: float) -> str:
    """Young complaints wait for acknowledgement; older ones are further along."""
    if age_hours < 2:
        return "dispatched" if rng.random() < 0.7 else "acknowledged"
    return pick(rng, [("dispatched", 0.1), ("acknowledged", 0.25), ("in_progress", 0.45),
                      ("result_submitted", 0.2)])


class Filler:
    def __init__(self, n: int, n_open: int, users: dict[str, int], seed: int = 11) -> None:
        self.n, self.n_open, self.users = n, n_open, users
        self.rng = random.Random(seed)
        self.policy = load_policy()
        self.rules = self.policy.deadlines
        self.cal = BusinessCalendar.build(TZ, self.policy.work_start, self.policy.work_end)
        self.counters: dict[int, int] = {}
        self.stats = {"alerts_sent_before_t0": 0, "by_status": {}}

    def number(self, logged: datetime) -> str:
        year = logged.astimezone(TZ).year
        self.counters[year] = self.counters.get(year, 0) + 1
        return f"TS-{year}-{self.counters[year]:06d}"

    def base(self, i: int, logged: datetime, status: str, dept: str | None) -> dict:
        rng = self.rng
        grade = pick(rng, [("I", 0.05), ("II", 0.45), ("M", 0.5)])
        category = pick(rng, CATEGORIES)
        name, phone, email = person(rng)
        product = rng.choice(PRODUCTS)
        replied = status in ("replied", "closed")
        return {
            "id": i, "number": self.number(logged), "status": status, "version": 1,
            "received_at": logged - timedelta(hours=1), "logged_at": logged,
            "channel": rng.choice(CHANNELS), "category": category,
            "logged_by": self.users["clerk"], "customer_name": name, "customer_phone": phone,
            "customer_email": email, "customer_address": rng.choice(CITIES), "product": product,
            "model_batch": "", "order_no": f"SO{rng.randrange(10**9)}", "occurred_at": None,
            "location": "", "complained_department": dept if category == "service" else None,
            "complained_person": "", "description": f"{product}{rng.choice(PROBLEMS)}",
            "demand": rng.choice(DEMANDS), "claimed_loss": Decimal(rng.choice([0, 0, 100, 500, 2000])),
            "criteria": rng.choice(CRITERIA[grade]), "grade": grade, "urgent": rng.random() < 0.03,
            "is_second": False, "previous_number": None, "department": dept,
            "invalid_kind": "invalid" if status == "invalid" else "",
            "invalid_reason": "非本公司产品" if status == "invalid" else "",
            "cause": "来料不良" if replied else "", "solution": "换新" if replied else "",
            "corrective_action": "", "reply": "已为您处理完毕，感谢反馈。" if replied else "",
            "dispatched_at": None, "acknowledged_at": None, "acknowledged_by": None,
            "first_contact_at": None, "result_submitted_at": None, "replied_at": None,
            "clock_start": None, **{c: None for c in DUE_COLUMN.values()},
            "next_due": None, "next_alert_at": None,
        }

    def dues(self, row: dict, start: datetime) -> None:
        dues = compute(self.rules, row["grade"], row["urgent"], start, self.cal)
        row.update({"dispatched_at": start, "clock_start": start,
                    **{DUE_COLUMN[d]: dues[d] for d in Deadline}})

    def closed(self, i: int, logged: datetime) -> tuple[dict, list]:
        r = self.rng.random()
        status = "invalid" if r < 0.03 else "closed" if r < 0.05 else "replied"
        dept = None if status == "invalid" else pick(self.rng, DEPARTMENTS)
        row = self.base(i, logged, status, dept)
        events = [(i, logged, self.users["clerk"], "log", "", "logged", "", "")]
        if dept:
            start = logged + timedelta(hours=2)
            self.dues(row, start)
            row["acknowledged_at"] = start + timedelta(hours=3)
            row["first_contact_at"] = start + timedelta(hours=5)
            row["result_submitted_at"] = start + timedelta(days=2)
            row["replied_at"] = logged + timedelta(days=3)
            events.append((i, start, self.users["office"], "dispatch", "logged", "dispatched", "", ""))
            events.append((i, row["replied_at"], self.users["office"], "reply", "verified",
                           "replied", "", ""))
        return row, events

    def open(self, i: int, start: datetime) -> tuple[dict, list, list]:
        rng = self.rng
        age = self.cal.working_time_between(start, T0).total_seconds() / 3600
        status = open_status(rng, age)
        dept = pick(rng, OPEN_DEPARTMENTS)
        logged = start - timedelta(minutes=rng.uniform(20, 240))
        row = self.base(i, logged, status, dept)
        self.dues(row, start)
        elapsed = T0 - start
        if status != "dispatched":
            row["acknowledged_at"] = start + elapsed * rng.uniform(0.02, 0.3)
            row["acknowledged_by"] = self.users["qa.staff" if dept == "QA" else "svc.staff"]
        if status in ("in_progress", "result_submitted"):
            row["first_contact_at"] = start + elapsed * rng.uniform(0.3, 0.6)
        if status == "result_submitted":
            row["result_submitted_at"] = start + elapsed * rng.uniform(0.6, 0.95)
        # Steady state at T0: everything due so far has gone out.
        schedule = alerts(dues_of(row), running_of(row), start, self.rules.reminder_at, self.cal)
        sent = [a for a in schedule if a.at <= T0]
        after = plan(row, self.rules, self.cal, [(str(a.kind), str(a.deadline), a.due) for a in sent])
        assert after.next_alert_at is not None and after.next_alert_at > T0, row
        row["next_due"], row["next_alert_at"] = after.next_due, after.next_alert_at
        events = [(i, logged, self.users["clerk"], "log", "", "logged", "", ""),
                  (i, start, self.users["office"], "dispatch", "logged", "dispatched", "", "")]
        alert_rows = [(i, str(a.kind), str(a.deadline), a.due, a.at) for a in sent]
        self.stats["alerts_sent_before_t0"] += len(alert_rows)
        self.stats["by_status"][status] = self.stats["by_status"].get(status, 0) + 1
        return row, events, alert_rows

    def rows(self):
        """(complaint, events, alerts) in id order: ids follow time."""
        closed_n = self.n - self.n_open
        w0 = window_start(self.cal)
        span_h = self.cal.working_time_between(w0, T0).total_seconds() / 3600
        first = T0 - timedelta(days=3 * 365)
        last = w0 - timedelta(days=1)
        step = (last - first) / max(closed_n, 1)
        for i in range(1, closed_n + 1):
            row, events = self.closed(i, first + step * i)
            yield row, events, []
        starts = sorted(self.cal.add_working_hours(w0, self.rng.uniform(0, span_h))
                        for _ in range(self.n_open))
        for k, start in enumerate(starts, closed_n + 1):
            yield self.open(k, start)


async def fill(n: int, n_open: int) -> dict:
    viewers = await load_base()
    users = {name: v.id for name, v in viewers.items()}
    conn = await asyncpg.connect(URL)
    try:
        await conn.execute("TRUNCATE complaint_event, attachment, notification, contact_view, "
                           "deadline_alert, outbox_email, complaint, complaint_counter "
                           "RESTART IDENTITY CASCADE")
        filler = Filler(n, n_open, users)
        batch, events, alert_rows = [], [], []
        totals = {"events": 0, "alerts": 0}
        t0 = time.monotonic()

        async def flush() -> None:
            await conn.copy_records_to_table("complaint", columns=COLUMNS,
                                             records=[tuple(r[c] for c in COLUMNS) for r in batch])
            await conn.copy_records_to_table("complaint_event", records=events, columns=EV_COLUMNS)
            if alert_rows:
                await conn.copy_records_to_table("deadline_alert", records=alert_rows,
                                                 columns=ALERT_COLUMNS)
            totals["events"] += len(events)
            totals["alerts"] += len(alert_rows)

        for row, ev, al in filler.rows():
            batch.append(row)
            events += ev
            alert_rows += al
            if len(batch) >= 50_000:
                await flush()
                batch, events, alert_rows = [], [], []
                print(f"\r{row['id']:>9,} complaints, {totals['events']:,} events, "
                      f"{totals['alerts']:,} alerts, {time.monotonic() - t0:5.0f} s", end="", flush=True)
        if batch:
            await flush()
        print(f"\r{n:>9,} complaints, {totals['events']:,} events, {totals['alerts']:,} alerts, "
              f"{time.monotonic() - t0:5.0f} s")
        for table, value in (("complaint", n), ("complaint_event", totals["events"]),
                             ("deadline_alert", totals["alerts"])):
            await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), $1)",
                               max(value, 1))
        await conn.executemany("INSERT INTO complaint_counter (year, value) VALUES ($1, $2)",
                               sorted(filler.counters.items()))
        await conn.execute("VACUUM ANALYZE")
        return {**filler.stats, **totals}
    finally:
        await conn.close()


class State:
    """Puts the database back as it was at T0 before every run."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.marks: dict[str, int] = {}

    async def save(self, until: datetime) -> int:
        """Snapshot the complaints due by `until` and the last ids of the tables the sweep
        writes; kept in the database, so a `--reuse` run starts from the same state."""
        exists = await self.conn.fetchval("SELECT to_regclass('sweep_marks') IS NOT NULL")
        if not exists:
            await self.conn.execute(f"CREATE TABLE sweep_snapshot AS SELECT id, {', '.join(SNAPSHOT)} "
                                    "FROM complaint WHERE next_alert_at <= $1", until)
            await self.conn.execute("CREATE TABLE sweep_marks (name text PRIMARY KEY, value bigint)")
            for table in WRITTEN:
                await self.conn.execute(
                    f"INSERT INTO sweep_marks SELECT '{table}', coalesce(max(id), 0) FROM {table}")
        self.marks = {r["name"]: r["value"] for r in await self.conn.fetch("SELECT * FROM sweep_marks")}
        await self.restore()
        return await self.conn.fetchval("SELECT count(*) FROM sweep_snapshot")

    async def restore(self) -> None:
        async with self.conn.transaction():
            sets = ", ".join(f"{c} = s.{c}" for c in SNAPSHOT)
            await self.conn.execute(f"UPDATE complaint c SET {sets} FROM sweep_snapshot s "
                                    "WHERE c.id = s.id")
            for table in WRITTEN:
                await self.conn.execute(f"DELETE FROM {table} WHERE id > $1", self.marks[table])
        for table in ["complaint", *WRITTEN]:
            await self.conn.execute(f"VACUUM ANALYZE {table}")

    async def written(self) -> dict[str, int]:
        return {t: await self.conn.fetchval(f"SELECT count(*) FROM {t} WHERE id > $1", self.marks[t])
                for t in WRITTEN}


CLAIM = ("SELECT id FROM complaint WHERE next_alert_at <= $1 ORDER BY next_alert_at "
         f"LIMIT {BATCH} FOR UPDATE SKIP LOCKED")


async def explain(conn: asyncpg.Connection, now: datetime) -> str:
    tr = conn.transaction()
    await tr.start()
    try:
        rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {CLAIM}", now)
    finally:
        await tr.rollback()
    return "\n".join(r[0] for r in rows)


async def measure(n: int, n_open: int, info: dict) -> str:
    policy = load_policy()
    env = Env(policy, TZ)
    conn = await asyncpg.connect(URL)
    try:
        state = State(conn)
        horizon = T0 + max(d for _, d in SCENARIOS)
        snap = await state.save(horizon)
        pending = await conn.fetchval("SELECT count(*) FROM complaint WHERE next_alert_at IS NOT NULL")
        overdue = await conn.fetchval("SELECT count(*) FROM complaint WHERE next_alert_at <= $1", T0)
        assert overdue == 0, f"{overdue} complaints have an alert due at T0: not a steady state"
        lines = []
        for name, delta in SCENARIOS:
            now = T0 + delta
            due = 0
            times: list[float] = []
            result = SweepResult()
            written: dict[str, int] = {}
            for run in range(RUNS + 1):
                await state.restore()
                due = await conn.fetchval("SELECT count(*) FROM complaint WHERE next_alert_at <= $1",
                                          now)
                t = time.perf_counter()
                result = await sweep(now, env)
                elapsed = time.perf_counter() - t
                left = await conn.fetchval("SELECT count(*) FROM complaint WHERE next_alert_at <= $1",
                                           now)
                written = await state.written()
                print(f"{name:26} run {run}{' (warm-up)' if run == 0 else '          '} "
                      f"{elapsed:7.3f} s  complaints {result.complaints:5}  reminders "
                      f"{result.reminders:5}  breaches {result.breaches:5}  notifications "
                      f"{result.notifications:5}  skipped {result.skipped}  left due {left}",
                      flush=True)
                assert result.complaints == due and left == 0, (due, result, left)
                if run:
                    times.append(elapsed)
            lines.append({"name": name, "now": now, "due": due, "result": result, "times": times,
                          "written": written})
        await state.restore()
        plans = {name: await explain(conn, T0 + delta) for name, delta in SCENARIOS[1:]}
        sizes = {t: await conn.fetchval(f"SELECT count(*) FROM {t}")
                 for t in ("complaint", "complaint_event", "deadline_alert")}
        index_size = await conn.fetchval("SELECT pg_size_pretty(pg_relation_size('complaint_next_alert'))")
        version = await conn.fetchval("SHOW server_version")
    finally:
        await conn.close()
    return report(n, n_open, info, lines, plans, sizes, pending, snap, index_size, version)


def report(n, n_open, info, lines, plans, sizes, pending, snap, index_size, version) -> str:
    out = [f"# Deadline sweep at {n:,} complaints ({n_open:,} open)", "",
           f"`uv run python bench/sweep.py {n} {n_open}`, PostgreSQL {version.split()[0]}, "
           f"{time.strftime('%Y-%m-%d %H:%M')}; T0 = {T0.astimezone(TZ):%Y-%m-%d %H:%M} "
           f"Asia/Shanghai (a Wednesday); {RUNS} runs per scenario after one warm-up, the database "
           "restored before each.", "",
           f"Data: {sizes['complaint']:,} complaints, {sizes['complaint_event']:,} history rows, "
           f"{sizes['deadline_alert']:,} deadline_alert rows (every alert due by T0 already sent). "
           f"{pending:,} complaints have a next_alert_at (all > T0; the partial index "
           f"complaint_next_alert is {index_size}); {snap:,} of them fall due by T0 + 60 min.",
           ]
    if info:
        by = ", ".join(f"{k} {v:,}" for k, v in sorted(info["by_status"].items()))
        out += ["", f"Open complaints by status: {by}; generated in {info['generate_s']:.0f} s."]
    out += ["", "| scenario | now | complaints | reminders | breaches | notifications | emails "
            "| skipped | median (s) | max (s) |", "|---|---|---|---|---|---|---|---|---|---|"]
    for line in lines:
        r: SweepResult = line["result"]
        out.append(f"| {line['name']} | T0 + {int((line['now'] - T0).total_seconds() // 60)} min "
                   f"| {r.complaints:,} | {r.reminders:,} | {r.breaches:,} | {r.notifications:,} "
                   f"| {line['written']['outbox_email']:,} | {r.skipped:,} "
                   f"| {statistics.median(line['times']):.3f} | {max(line['times']):.3f} |")
    out += ["", "Runs (s): " + "; ".join(
        f"{line['name']}: " + ", ".join(f"{t:.3f}" for t in line["times"]) for line in lines)]
    catch = lines[-1]
    minute = lines[1]
    per = [statistics.median(x["times"]) / x["result"].complaints * 1000
           for x in (minute, catch) if x["result"].complaints]
    out += ["", "Per complaint processed: " + " / ".join(f"{p:.1f} ms" for p in per)
            + " (normal minute / catch-up); catch-up "
            f"{statistics.median(catch['times']) / statistics.median(minute['times']):.1f}× "
            "the normal minute. Target: the sweep over 1,000,000 complaints (about 50,000 open) "
            "in under 2 s."]
    for name, text in plans.items():
        out += ["", f"EXPLAIN (ANALYZE, BUFFERS) of the claim query, {name}:", "", "```",
                CLAIM, text, "```"]
    return "\n".join(out) + "\n"


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 1_000_000
    n_open = int(args[1]) if len(args) > 1 else 50_000
    if n_open > n:
        raise SystemExit("OPEN must not exceed N")
    info: dict = {}
    if "--reuse" not in sys.argv:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)'))
        asyncio.run(admin(f'CREATE DATABASE "{DB}"'))
        print(f"== {DB}: migrate and generate {n:,} complaints ({n_open:,} open)", flush=True)
        sh("uv", "run", "portal", "migrate")
        t = time.monotonic()
        info = asyncio.run(fill(n, n_open))
        info["generate_s"] = time.monotonic() - t
    text = asyncio.run(measure(n, n_open, info))
    print("\n" + text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"sweep-{n}.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
