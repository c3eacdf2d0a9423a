"""Fill a PostgreSQL portal database with N realistic complaints, fast (COPY).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/portal_bench \
        uv run python bench/generate.py 1000000

The schema must exist (`portal migrate`); demo departments and users are loaded first.
Complaints are spread over three years up to now, across all departments and statuses, with
their history rows ('log', plus 'dispatch' for dispatched ones and 'reply' for replied ones).
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


async def generate(n: int, seed: int = 7) -> None:
    url = os.environ["DATABASE_URL"]
    viewers = await load_base()
    users = [v.id for v in viewers.values()]
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("TRUNCATE complaint_event, attachment, notification, contact_view, complaint, "
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
                   "solution", "corrective_action", "reply", "dispatched_at", "acknowledged_at",
                   "replied_at"]
        ev_columns = ["complaint", "at", "actor", "action", "from_status", "to_status", "note", "changes"]
        counters: dict[int, int] = {}
        batch, events = [], []
        event_id = 0
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
            replied = status in ("replied", "closed")
            dispatched = logged + timedelta(hours=2) if dept else None
            batch.append((
                i, number, status, 1, logged - timedelta(hours=1), logged, rng.choice(CHANNELS), category,
                rng.choice(users), name, phone, email, rng.choice(CITIES), product, "", f"SO{rng.randrange(10**9)}",
                None, "", dept if category == "service" else None, "", text, rng.choice(DEMANDS),
                Decimal(rng.choice([0, 0, 100, 500, 2000])), rng.choice(CRITERIA[grade]), grade,
                rng.random() < 0.03, False, None, dept, "invalid" if status == "invalid" else "",
                "非本公司产品" if status == "invalid" else "", "来料不良" if replied else "",
                "换新" if replied else "", "", "已为您处理完毕，感谢反馈。" if replied else "", dispatched,
                dispatched + timedelta(hours=3) if dispatched and status != "dispatched" else None,
                logged + timedelta(days=3) if replied else None,
            ))
            events.append((i, logged, users[0], "log", "", "logged", "", ""))
            if dept:
                events.append((i, dispatched, users[1], "dispatch", "logged", "dispatched", "", ""))
            if replied:
                events.append((i, logged + timedelta(days=3), users[1], "reply", "verified", "replied", "", ""))
            if len(batch) >= 50_000 or i == n:
                await conn.copy_records_to_table("complaint", records=batch, columns=columns)
                await conn.copy_records_to_table("complaint_event", records=events, columns=ev_columns)
                event_id += len(events)
                batch, events = [], []
                print(f"\r{i:>9,} complaints, {event_id:,} events, {time.monotonic() - t0:5.0f} s",
                      end="", flush=True)
        print()
        await conn.execute("SELECT setval(pg_get_serial_sequence('complaint', 'id'), $1)", n)
        await conn.execute("SELECT setval(pg_get_serial_sequence('complaint_event', 'id'), $1)", event_id)
        await conn.executemany("INSERT INTO complaint_counter (year, value) VALUES ($1, $2)",
                               sorted(counters.items()))
        # Deadlines of the open complaints, as dispatch would have stored them (Class II-like
        # spans in calendar time: close enough for list order and index shape; bench/sweep.py
        # computes them exactly on the business calendar), so /inbox's deadline order and the
        # sweep's partial index see realistic data. Logged ones get their dispatch target.
        await conn.execute("""
            UPDATE complaint SET clock_start = dispatched_at,
                acknowledge_due = dispatched_at + interval '1 day',
                contact_due = dispatched_at + interval '1 day',
                result_due = dispatched_at + interval '2 days',
                cap_due = dispatched_at + interval '9 days'
            WHERE dispatched_at IS NOT NULL""")
        await conn.execute("""
            UPDATE complaint SET next_due = CASE status
                    WHEN 'logged' THEN received_at + interval '1 day'
                    WHEN 'dispatched' THEN acknowledge_due
                    WHEN 'result_submitted' THEN cap_due
                    ELSE result_due END
            WHERE status IN ('logged', 'dispatched', 'acknowledged', 'in_progress',
                             'result_submitted')""")
        await conn.execute("UPDATE complaint SET next_alert_at = next_due WHERE next_due IS NOT NULL")
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


if __name__ == "__main__":
    asyncio.run(generate(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
