"""Fill a PostgreSQL portal database with N realistic complaints, fast (COPY).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/portal_bench \
        uv run python bench/generate.py 1000000 [--python-rollup] [--check-rollup]
        uv run python bench/generate.py --rollup-only [--python-rollup] [--check-rollup]

The schema must exist (`portal migrate`); demo departments and users are loaded first, plus
HANDLERS generated handlers across the departments (password: the demo one). Complaints are
spread over three years up to now, across all departments and statuses, with their history
rows ('log', plus 'dispatch' for dispatched ones and 'reply' for replied ones) and what the
statistics read: the result's deadline, submission (≈15 % late) and author, the working
minutes to resolve, revisits (drawn at the policy's rate for the grade, or on a call-back
request) with their answered surveys, reopens, second complaints, appeals, extension requests,
people complained about and call-back requests.

The statistics rollups (stats_day, stats_person_day) are then filled by `rollup_sql()`: one
INSERT … SELECT … GROUP BY per rollup, the SQL equivalent of db.rollup.rebuild() (PostgreSQL
only; `--python-rollup` runs db.rollup.rebuild() itself instead, and `--check-rollup` compares
what the SQL wrote with db.rollup.computed(); `--rollup-only` refills only the rollups of an
existing database). Finally VACUUM ANALYZE, so that index-only scans work from the start.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg

import portal  # noqa: F401  (sets PICCOLO_CONF)
from portal.demo import load_base

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国晨欣怡子轩浩然梓涵雨婷思远志宏海燕晓东佳琪俊杰文博雪梅"
CITIES = ["北京市朝阳区", "上海市浦东新区", "广州市天河区", "深圳市南山区", "杭州市西湖区", "成都市武侯区",
          "武汉市洪山区", "南京市鼓楼区", "西安市雁塔区", "重庆市渝北区", "苏州市工业园区", "天津市河西区"]
PRODUCTS = ["电热水壶", "空气净化器", "智能门锁", "电饭煲", "扫地机器人", "洗碗机", "冰箱", "空调", "热水器",
            "儿童座椅", "吸尘器", "微波炉", "电风扇", "净水器", "加湿器"]
PROBLEMS = ["使用不到一个月出现故障，无法正常开机。", "外观有明显划痕，包装破损。", "噪音过大，影响休息。",
            "售后电话长时间无人接听。", "安装师傅迟到三小时且态度冷淡。", "退款承诺七天到账，至今未到。",
            "说明书与实际操作不符，无法完成设置。", "产品有异味，担心影响健康。", "配件缺失，多次联系未补发。",
            "门店店员推销时误导消费者。", "维修后同一问题再次出现。", "快递送货未按约定时间。"]
DEMANDS = ["退货退款", "换新", "上门维修", "赔偿损失", "道歉并说明原因", "尽快处理", ""]
CHANNELS = ["phone", "online", "email", "letter", "walk-in", "media", "forwarded"]
CATEGORIES = [("quality", 0.45), ("usage", 0.2), ("service", 0.3), ("other", 0.05)]
DEPARTMENTS = [("QA", 0.35), ("TECH", 0.2), ("SVC", 0.25), ("SALES", 0.1), ("PROD", 0.1)]
CRITERIA = {"I": ["I-2", "I-3", "I-5", "I-6"], "II": ["II-1", "II-3", "II-4", "II-5", "II-7"],
            "M": ["M-1", "M-2", "M-3"]}
OPEN = ["dispatched", "acknowledged", "in_progress", "result_submitted"]
SUBMITTED = ("result_submitted", "signed_off", "verified", "replied", "closed")
RESOLVED = ("replied", "closed")
# Generated handlers per department (the demo's qa.staff and svc.staff come on top).
HANDLERS = {"QA": 5, "TECH": 4, "SVC": 5, "SALES": 3, "PROD": 3}
APPEALS = [("not-our-business", "该问题属于物流配送环节，非本部门职责。"),
           ("dispute-facts", "客户所述与检测记录不符，附检测报告。")]
SCORES = [(5, 0.5), (4, 0.3), (3, 0.1), (2, 0.06), (1, 0.04)]
LATE_SHARE = 0.15  # results submitted after their deadline
WORKING_SHARE = 0.27  # ≈ working hours per calendar hour (9 of 24, 5 days of 7)


def pick(rng: random.Random, weighted):
    r = rng.random()
    for value, weight in weighted:
        r -= weight
        if r <= 0:
            return value
    return weighted[-1][0]


def status_for(rng: random.Random, age_days: float, from_newest: int) -> str:
    """Old complaints are finished; the last weeks hold the open work. The triage queue is
    today's intake (about 50 waiting), whatever the size of the history."""
    if from_newest < 100:
        return "logged" if rng.random() < 0.5 else "dispatched"
    if age_days < 30 and rng.random() < 0.6:
        return rng.choice(OPEN + ["signed_off", "verified"])
    r = rng.random()
    if r < 0.03:
        return "invalid"
    if r < 0.05:
        return "closed"
    return "replied"


async def handlers(viewers) -> dict[str, list[tuple[int, str]]]:
    """(user id, display name) of the handlers per department: the demo's staff and HANDLERS
    generated ones (created or updated through portal.cli.create_user)."""
    from portal.cli import create_user
    from portal.demo import DEMO_PASSWORD, USERS

    names = {u[0]: u[3] for u in USERS}
    out: dict[str, list[tuple[int, str]]] = {d: [] for d, _ in DEPARTMENTS}
    for username, dept in (("qa.staff", "QA"), ("svc.staff", "SVC")):
        out[dept].append((viewers[username].id, names[username]))
    rng = random.Random(11)
    seen: set[str] = set(names.values())
    for dept, count in HANDLERS.items():
        for k in range(1, count + 1):
            name = ""
            while not name or name in seen:
                name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
            seen.add(name)
            uid = await create_user(f"{dept.lower()}.h{k}", DEMO_PASSWORD, "handler", dept, name,
                                    f"{dept.lower()}.h{k}@example.com")
            out[dept].append((uid, name))
    return out


def lifecycle(rng: random.Random, now: datetime, logged: datetime, status: str, dept: str | None,
              grade: str, category: str, staff: dict, rates: dict) -> dict:
    """When things happened to one complaint, and what the statistics read of it. Instants
    stay before now (a recent complaint's timeline is compressed to fit)."""
    out = {"dispatched_at": None, "acknowledged_at": None, "result_due": None,
           "result_submitted_at": None, "signed_off_at": None, "verified_at": None,
           "replied_at": None, "resolve_minutes": None, "result_by": None, "revisit_state": "",
           "satisfaction": None, "reopen_count": 0, "appeal_kind": "", "appeal_reason": "",
           "extension_requests": 0, "complained_person": "", "surveys": []}
    callback = rng.random() < 0.10
    out["callback_requested"] = callback
    if category == "service" and dept and rng.random() < 0.05:
        out["complained_person"] = rng.choice(staff[dept])[1]
    if not dept:
        return out
    if status != "invalid":
        if rng.random() < 0.02:
            out["appeal_kind"], out["appeal_reason"] = rng.choice(APPEALS)
        if rng.random() < 0.05:
            out["extension_requests"] = 2 if rng.random() < 0.2 else 1
    room = now - timedelta(minutes=5) - logged  # what fits between logging and now
    dispatched = logged + min(timedelta(hours=2), room / 4)
    due = dispatched + timedelta(days=2)
    marks = {"dispatched_at": dispatched}
    if status not in SUBMITTED:
        if status != "dispatched":
            marks["acknowledged_at"] = dispatched + min(timedelta(hours=3), room / 4)
        if due < now and rng.random() < 0.9:
            # Most open work past its first deadline had an extension approved: only a few
            # results are missing past their deadline at any time.
            due = now + timedelta(hours=rng.uniform(2, 72))
            out["extension_requests"] = max(out["extension_requests"], 1)
        out.update(marks, result_due=due)
        return out
    if rng.random() < LATE_SHARE:
        submitted = due + timedelta(hours=rng.uniform(1, 48))
    else:
        submitted = dispatched + (due - dispatched) * rng.uniform(0.15, 0.98)
    marks["acknowledged_at"] = dispatched + (submitted - dispatched) * 0.1
    marks["result_submitted_at"] = submitted
    gap = timedelta(hours=rng.uniform(2, 48))  # submission → reply
    if status in ("signed_off", "verified", "replied", "closed"):
        marks["signed_off_at"] = submitted + gap * 0.3
    if status in ("verified", "replied", "closed"):
        marks["verified_at"] = submitted + gap * 0.6
    if status in RESOLVED:
        marks["replied_at"] = submitted + gap
    last = max(marks.values())
    if last > logged + room:  # too recent for this timeline: compress it
        factor = room / (last - logged)
        marks = {k: logged + (v - logged) * factor for k, v in marks.items()}
        due = marks["dispatched_at"] + timedelta(days=2)
    out.update(marks, result_due=due, result_by=rng.choice(staff[dept])[0])
    if status not in RESOLVED:
        return out
    replied = marks["replied_at"]
    received = logged - timedelta(hours=1)
    out["resolve_minutes"] = max(1, round((replied - received).total_seconds() / 60 * WORKING_SHARE))
    reopened = rng.random() < 0.03
    out["reopen_count"] = int(reopened)
    drawn = reopened or callback or status == "closed" or rng.random() < rates.get(grade, 1.0)
    if not drawn:
        out["revisit_state"] = "not-drawn"
        return out
    if reopened:  # the first answer was unsatisfied: round 0, before the second reply
        first = max(submitted, replied - timedelta(hours=rng.uniform(12, 36)))
        out["surveys"].append((0, first, rng.choice((1, 2))))
    if status == "replied" and replied > now - timedelta(days=7):
        out["revisit_state"] = "pending"
        return out
    if status == "closed" and rng.random() < 0.15:
        out["revisit_state"] = "unreachable"
        return out
    answered = min(replied + timedelta(days=rng.uniform(1, 6)), now - timedelta(minutes=1))
    overall = pick(rng, SCORES)
    out["surveys"].append((out["reopen_count"], answered, overall))
    out["revisit_state"] = "done"
    out["satisfaction"] = overall
    return out


def closed_at(life: dict, status: str, logged: datetime, now: datetime) -> datetime | None:
    """When it became final (DOMAIN §8 counts the years to its anonymization from there): a
    closed one some days after its reply (the revisit), an invalid one an hour after logging."""
    if status == "closed":
        return min(life["replied_at"] + timedelta(days=3), now - timedelta(minutes=1))
    if status == "invalid":
        return min(logged + timedelta(hours=1), now - timedelta(minutes=1))
    return None


def deadlines(life: dict, status: str, logged: datetime) -> None:
    """The deadlines dispatch would have stored (Class II-like spans in calendar time: close
    enough for list order and index shape; bench/sweep.py computes them exactly on the business
    calendar), and for the open complaints the nearest one (next_due, the inbox's order) and the
    sweep's next look; a logged one gets its dispatch target. Computed here rather than by
    UPDATEs after the COPY, which rewrote every row (a table twice its size)."""
    start = life["dispatched_at"]
    life.update(clock_start=start, acknowledge_due=None, contact_due=None, cap_due=None,
                next_due=None)
    if start is not None:
        life.update(acknowledge_due=start + timedelta(days=1), contact_due=start + timedelta(days=1),
                    cap_due=start + timedelta(days=9))
    life["next_due"] = {
        "logged": logged - timedelta(hours=1) + timedelta(days=1),
        "dispatched": life["acknowledge_due"],
        "acknowledged": life["result_due"], "in_progress": life["result_due"],
        "result_submitted": life["cap_due"],
    }.get(status)
    life["next_alert_at"] = life["next_due"]


async def generate(n: int, seed: int = 7, python_rollup: bool = False,
                   check_rollup: bool = False) -> None:
    from portal.config import load_settings
    from portal.policy import load_policy

    url = os.environ["DATABASE_URL"]
    settings = load_settings()
    policy = load_policy(settings.policy_path)
    rates = dict(policy.revisit.rates)
    viewers = await load_base()
    users = [v.id for v in viewers.values()]
    staff = await handlers(viewers)
    agents = [viewers["office"].id, viewers["cshead"].id]
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("TRUNCATE complaint_event, attachment, notification, contact_view, survey, "
                           "revisit_attempt, stats_day, stats_person_day, complaint, "
                           "complaint_counter RESTART IDENTITY CASCADE")
        rng = random.Random(seed)
        now = datetime.now(UTC)
        start = now - timedelta(days=3 * 365)
        span = (now - start).total_seconds()
        # Evenly spread, increasing instants: ids follow time as in real use.
        step = span / n
        columns = ["id", "number", "status", "version", "received_at", "logged_at", "channel", "category",
                   "logged_by", "customer_name", "customer_phone", "customer_email", "customer_address",
                   "product", "model_batch", "order_no", "occurred_at", "location", "complained_department",
                   "complained_person", "description", "demand", "claimed_loss", "criteria", "grade", "urgent",
                   "is_second", "previous_number", "department", "invalid_kind", "invalid_reason", "cause",
                   "solution", "corrective_action", "reply", "callback_requested"]
        extra = ["dispatched_at", "acknowledged_at", "clock_start", "acknowledge_due",
                 "contact_due", "result_due", "cap_due", "next_due", "next_alert_at",
                 "result_submitted_at",
                 "signed_off_at", "verified_at", "replied_at", "resolve_minutes", "result_by",
                 "revisit_state", "satisfaction", "reopen_count", "appeal_kind", "appeal_reason",
                 "extension_requests"]
        columns += [*extra, "closed_at"]
        survey_columns = ["complaint", "round", "channel", "sent_at", "sent_by", "recipient",
                          "expires_at", "used_at", "answered_at", "answered_by", "overall", "speed",
                          "attitude", "solved", "comments", "stats_department", "stats_category",
                          "stats_grade", "stats_channel"]
        recent: list[str] = []  # numbers of the last complaints (for second complaints)
        ev_columns = ["complaint", "at", "actor", "action", "from_status", "to_status", "note", "changes"]
        counters: dict[int, int] = {}
        batch, events, surveys = [], [], []
        event_id = survey_id = 0
        t0 = time.monotonic()
        for i in range(1, n + 1):
            logged = start + timedelta(seconds=i * step)
            year = logged.astimezone(UTC).year
            counters[year] = counters.get(year, 0) + 1
            number = f"TS-{year}-{counters[year]:06d}"
            age = (now - logged).total_seconds() / 86400
            status = status_for(rng, age, n - i)
            grade = pick(rng, [("I", 0.05), ("II", 0.45), ("M", 0.5)])
            category = pick(rng, CATEGORIES)
            dept = None if status in ("logged", "invalid") else pick(rng, DEPARTMENTS)
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.5 else "")
            phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
            email = f"u{rng.randrange(10**8)}@example.com" if rng.random() < 0.4 else ""
            product = rng.choice(PRODUCTS)
            text = f"{product}{rng.choice(PROBLEMS)}"
            replied = status in RESOLVED
            life = lifecycle(rng, now, logged, status, dept, grade, category, staff, rates)
            second = bool(recent) and rng.random() < 0.08
            channel = rng.choice(CHANNELS)
            deadlines(life, status, logged)
            batch.append((
                i, number, status, 1, logged - timedelta(hours=1), logged, channel, category,
                rng.choice(users), name, phone, email, rng.choice(CITIES), product, "", f"SO{rng.randrange(10**9)}",
                None, "", dept if category == "service" else None, life["complained_person"], text,
                rng.choice(DEMANDS), Decimal(rng.choice([0, 0, 100, 500, 2000])), rng.choice(CRITERIA[grade]),
                grade, rng.random() < 0.03, second, rng.choice(recent) if second else None, dept,
                "invalid" if status == "invalid" else "", "非本公司产品" if status == "invalid" else "",
                "来料不良" if replied else "", "换新" if replied else "", "",
                "已为您处理完毕，感谢反馈。" if replied else "", life["callback_requested"],
                *(life[c] for c in extra), closed_at(life, status, logged, now),
            ))
            recent.append(number)
            if len(recent) > 2000:
                del recent[:1000]
            for round_, answered, overall in life["surveys"]:
                by_phone = not email or rng.random() < 0.7
                sent = answered - timedelta(hours=rng.uniform(0.1, 20))
                surveys.append((
                    i, round_, "phone" if by_phone else "email", sent, rng.choice(agents),
                    phone if by_phone else email, None if by_phone else sent + timedelta(days=14),
                    answered, answered, rng.choice(agents) if by_phone else None, overall,
                    max(1, min(5, overall + rng.choice((-1, 0, 0, 1)))),
                    max(1, min(5, overall + rng.choice((-1, 0, 0, 1)))), overall >= 3, "",
                    dept or "", category, grade, channel))
            events.append((i, logged, users[0], "log", "", "logged", "", ""))
            if dept:
                events.append((i, life["dispatched_at"], users[1], "dispatch", "logged", "dispatched", "", ""))
            if replied:
                events.append((i, life["replied_at"], users[1], "reply", "verified", "replied", "", ""))
            if len(batch) >= 50_000 or i == n:
                await conn.copy_records_to_table("complaint", records=batch, columns=columns)
                await conn.copy_records_to_table("complaint_event", records=events, columns=ev_columns)
                await conn.copy_records_to_table("survey", records=surveys, columns=survey_columns)
                event_id += len(events)
                survey_id += len(surveys)
                batch, events, surveys = [], [], []
                print(f"\r{i:>9,} complaints, {event_id:,} events, {survey_id:,} surveys, "
                      f"{time.monotonic() - t0:5.0f} s", end="", flush=True)
        print()
        await conn.execute("SELECT setval(pg_get_serial_sequence('complaint', 'id'), $1)", n)
        await conn.execute("SELECT setval(pg_get_serial_sequence('complaint_event', 'id'), $1)", event_id)
        await conn.execute("SELECT setval(pg_get_serial_sequence('survey', 'id'), $1)", max(survey_id, 1))
        await conn.executemany("INSERT INTO complaint_counter (year, value) VALUES ($1, $2)",
                               sorted(counters.items()))
        await conn.execute("VACUUM ANALYZE complaint")
        t = time.monotonic()
        if python_rollup:
            from portal.cli import rebuild_stats

            rows = await rebuild_stats()
            how = "db.rollup.rebuild() (Python)"
        else:
            rows = await rollup_sql(conn, policy, settings.timezone)
            how = "SQL (rollup_sql)"
        print(f"statistics rollups: {rows:,} rows in {time.monotonic() - t:.1f} s by {how}", flush=True)
        if check_rollup:
            await check(policy, settings.timezone)
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


# The SQL twin of portal.rollup.contributions() / answer_contribution() /
# person_contributions(), summed as db.rollup.computed() sums them. $1: the time zone,
# $2: the revisit rates as JSON, $3: satisfied_from.
_DAY = "(({col}) AT TIME ZONE $1)::date"
_STATS_DAY = f"""
WITH c AS (
    SELECT received_at, result_due, result_submitted_at, replied_at, category, grade, channel,
        revisit_state, coalesce(department, '') AS dept, status <> 'invalid' AS ok,
        status IN ('replied', 'closed') AS res, coalesce(is_second, false) AS is_second,
        coalesce(reopen_count, 0) AS reopen_count, resolve_minutes,
        coalesce(appeal_kind, '') <> '' AS appealed,
        coalesce(extension_requests, 0) AS extension_requests,
        coalesce(urge_count, 0) AS urge_count
    FROM complaint),
parts AS (
    SELECT {_DAY.format(col="received_at")} AS day, dept, category, grade, channel,
        1 AS received, ok::int AS valid, (ok AND is_second)::int AS repeats,
        (ok AND res)::int AS resolved, (ok AND res AND reopen_count = 0)::int AS first_time,
        (ok AND res AND resolve_minutes IS NOT NULL)::int AS resolve_n,
        CASE WHEN ok AND res THEN coalesce(resolve_minutes, 0) ELSE 0 END AS resolve_minutes,
        (ok AND appealed)::int AS appeals,
        CASE WHEN ok THEN extension_requests ELSE 0 END AS extensions,
        0 AS due_settled, 0 AS on_time, 0 AS late, 0 AS replied, 0 AS revisited,
        0 AS target_milli, 0 AS answers, 0 AS satisfied, 0 AS score_sum,
        CASE WHEN ok THEN urge_count ELSE 0 END AS urges
    FROM c
    UNION ALL
    SELECT {_DAY.format(col="result_due")}, dept, category, grade, channel,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 1, (result_submitted_at <= result_due)::int,
        (result_submitted_at > result_due)::int, 0, 0, 0, 0, 0, 0, 0
    FROM c WHERE ok AND result_due IS NOT NULL AND result_submitted_at IS NOT NULL
    UNION ALL
    SELECT {_DAY.format(col="replied_at")}, dept, category, grade, channel,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
        (coalesce(revisit_state, '') IN ('done', 'escalated') OR reopen_count > 0)::int,
        round(coalesce(($2::jsonb ->> grade)::numeric, 1.0) * 1000)::int, 0, 0, 0, 0
    FROM c WHERE ok AND replied_at IS NOT NULL
    UNION ALL
    SELECT {_DAY.format(col="answered_at")}, coalesce(stats_department, ''), stats_category,
        stats_grade, stats_channel, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        1, (overall >= $3)::int, overall, 0
    FROM survey WHERE answered_at IS NOT NULL)
INSERT INTO stats_day (day, department, category, grade, channel, {{counters}})
SELECT day, dept, category, grade, channel, {{sums}}
FROM parts GROUP BY day, dept, category, grade, channel
ORDER BY day, dept, category, grade, channel"""
_STATS_PERSON_DAY = f"""
WITH parts AS (
    SELECT {_DAY.format(col="received_at")} AS day, 'n' || btrim(complained_person) AS person,
        grade, 0 AS resolved, 0 AS on_time, 0 AS due_settled, 0 AS rated, 0 AS rating_sum,
        1 AS against
    FROM complaint WHERE status <> 'invalid' AND btrim(complained_person) <> ''
    UNION ALL
    SELECT {_DAY.format(col="replied_at")}, 'u' || result_by, grade, 1,
        (result_due IS NOT NULL AND result_submitted_at IS NOT NULL
         AND result_submitted_at <= result_due)::int,
        (result_due IS NOT NULL AND result_submitted_at IS NOT NULL)::int,
        (satisfaction IS NOT NULL)::int, coalesce(satisfaction, 0), 0
    FROM complaint
    WHERE status IN ('replied', 'closed') AND result_by IS NOT NULL AND result_by <> 0
      AND replied_at IS NOT NULL)
INSERT INTO stats_person_day (day, person, grade, {{counters}})
SELECT day, person, grade, {{sums}} FROM parts GROUP BY day, person, grade
ORDER BY day, person, grade"""


async def rollup_sql(conn: asyncpg.Connection, policy, tz) -> int:
    """Fills both rollups from the complaints and surveys in two statements (PostgreSQL),
    in key order (day first), as a running system appends them day after day: a period's
    rows sit together on disk."""
    import json

    from portal.rollup import COUNTERS, PERSON_COUNTERS

    rates = json.dumps({g: float(r) for g, r in policy.revisit.rates.items()})
    async with conn.transaction():
        # TRUNCATE, not DELETE: a refill (--rollup-only) must not leave the old rows' dead
        # space behind (a bloated table changes the plans being measured).
        await conn.execute("TRUNCATE stats_day, stats_person_day")
        day = await conn.execute(_STATS_DAY.format(
            counters=", ".join(COUNTERS), sums=", ".join(f"sum({c})" for c in COUNTERS)),
            tz.key, rates, policy.revisit.satisfied_from)
        person = await conn.execute(_STATS_PERSON_DAY.format(
            counters=", ".join(PERSON_COUNTERS),
            sums=", ".join(f"sum({c})" for c in PERSON_COUNTERS)), tz.key)
    return int(day.split()[-1]) + int(person.split()[-1])


async def check(policy, tz) -> None:
    """What the SQL stored equals db.rollup.computed() (Python over every row)."""
    from db.rollup import computed, stored

    t = time.monotonic()
    total, people = await computed(policy, tz)
    python_s = time.monotonic() - t
    want = ({k: {c: v for c, v in counts.items() if v} for k, counts in total.items()},
            {k: {c: v for c, v in counts.items() if v} for k, counts in people.items()})
    want = tuple({k: v for k, v in part.items() if v} for part in want)
    got = await stored()
    for name, w, g in zip(("stats_day", "stats_person_day"), want, got, strict=True):
        bad = [k for k in w.keys() | g.keys() if w.get(k) != g.get(k)]
        print(f"check {name}: {len(g):,} rows stored, {len(w):,} computed in Python "
              f"({python_s:.1f} s), {len(bad)} differ{': ' + repr(sorted(bad)[:3]) if bad else ''}",
              flush=True)
        if bad:
            for k in sorted(bad)[:3]:
                print("  ", k, "sql:", g.get(k), "python:", w.get(k))
            raise SystemExit(f"{name}: the SQL rollup differs from db.rollup.computed()")


async def refill(python_rollup: bool, check_rollup: bool) -> None:
    """Only the rollups again, from the complaints already there (--rollup-only)."""
    from portal.config import load_settings
    from portal.policy import load_policy

    settings = load_settings()
    policy = load_policy(settings.policy_path)
    conn = await asyncpg.connect(os.environ["DATABASE_URL"])
    try:
        t = time.monotonic()
        if python_rollup:
            from portal.cli import rebuild_stats

            rows, how = await rebuild_stats(), "db.rollup.rebuild() (Python)"
        else:
            rows, how = await rollup_sql(conn, policy, settings.timezone), "SQL (rollup_sql)"
        print(f"statistics rollups: {rows:,} rows in {time.monotonic() - t:.1f} s by {how}", flush=True)
        if check_rollup:
            await check(policy, settings.timezone)
        await conn.execute("VACUUM ANALYZE stats_day")
        await conn.execute("VACUUM ANALYZE stats_person_day")
    finally:
        await conn.close()


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    python_rollup, check_rollup = "--python-rollup" in sys.argv, "--check-rollup" in sys.argv
    if "--rollup-only" in sys.argv:
        asyncio.run(refill(python_rollup, check_rollup))
    else:
        asyncio.run(generate(int(args[0]) if args else 10_000, python_rollup=python_rollup,
                             check_rollup=check_rollup))
