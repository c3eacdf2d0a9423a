"""`portal demo`: departments, the demo log-ins and a few dozen complaints in every status.

Idempotent: users are (re)set to the demo password; complaints are generated only once,
through the same commands the pages use, so their histories are real.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from db.commands import Env, IntakeData, log_complaint, perform
from db.tables import Complaint, Department
from portal.cli import create_user
from portal.config import load_settings
from portal.policy import load_policy
from portal.scheduler import env_for
from portal.timeutil import months_before, utcnow
from portal.workflow import Action, Viewer

DEMO_PASSWORD = "demo-pass"  # noqa: S105 (documented demo log-in)

DEPARTMENTS = [
    ("QA", "质量部", "Quality"),
    ("TECH", "技术支持部", "Technical support"),
    ("SVC", "客服部", "Customer service"),
    ("SALES", "销售部", "Sales"),
    ("PROD", "生产部", "Production"),
]

USERS = [
    ("clerk", "employee", "SALES", "李晓梅", "clerk@example.com"),
    ("office", "office", None, "王建国（投诉管理）", "office@example.com"),
    ("cshead", "cs_head", None, "陈静（客服负责人）", "cshead@example.com"),
    ("admin", "admin", None, "系统管理员", "admin@example.com"),
    ("qa.head", "dept_head", "QA", "赵强（质量部负责人）", "qa.head@example.com"),
    ("qa.staff", "handler", "QA", "孙丽（质量部）", "qa.staff@example.com"),
    ("svc.head", "dept_head", "SVC", "周敏（客服部负责人）", "svc.head@example.com"),
    ("svc.staff", "handler", "SVC", "吴刚（客服部）", "svc.staff@example.com"),
]

CUSTOMERS = [
    ("张伟", "13812345678", "zhangwei@example.com", "上海市浦东新区张江路 88 号"),
    ("王芳", "13987654321", "", "北京市朝阳区建国路 1 号"),
    ("刘洋", "", "liuyang@example.cn", "广州市天河区体育西路 10 号"),
    ("陈丽", "15011112222", "chenli@example.com", "杭州市西湖区文三路 200 号"),
    ("杨磊", "18633334444", "", "成都市武侯区人民南路 4 段"),
    ("黄敏", "021-62345678", "huangmin@example.com", "上海市徐汇区漕溪北路 5 号"),
    ("赵军", "13755556666", "", "南京市鼓楼区中山路 18 号"),
    ("周婷", "", "zhouting@example.com", "深圳市南山区科技园"),
    ("吴斌", "13566667777", "wubin@example.com", "武汉市洪山区珞喻路 129 号"),
    ("徐静", "17788889999", "", "西安市雁塔区小寨东路"),
]

MATTERS = [
    ("quality", "QA", "电热水壶", "KT-1802", "使用两周后底座漏电，跳闸两次，客户担心安全。", "更换新品并检测同批次产品", ["II-5"], True),
    ("quality", "QA", "空气净化器", "AP-300", "滤网异味明显，开机后房间有刺鼻气味。", "退货退款", ["II-7"], False),
    ("service", "SVC", "", "", "客服热线等待超过 40 分钟，接通后被转接三次仍未解决。", "希望有专人跟进", ["II-1"], False),
    ("service", "SVC", "", "", "上门安装师傅态度冷淡，安装完未清理现场。", "道歉", ["II-4"], False),
    ("usage", "TECH", "智能门锁", "SL-9", "说明书中指纹录入步骤与实际界面不符，无法完成设置。", "远程指导", ["M-2"], False),
    ("quality", "QA", "儿童座椅", "CS-07", "卡扣断裂，孩子险些受伤。", "全额赔偿并召回", ["I-6"], True),
    ("service", "SVC", "", "", "门店店员与客户发生争执并推搡客户。", "严肃处理当事员工", ["I-3"], True),
    ("other", None, "", "", "客户认为官网活动规则表述不清，有误导嫌疑。", "", ["M-3"], False),
    ("quality", "PROD", "电饭煲", "RC-5L", "内胆涂层脱落，已使用三个月。", "更换内胆", ["II-7"], False),
    ("service", "SVC", "", "", "退款承诺 7 天到账，实际 20 天仍未到账。", "尽快退款并补偿", ["II-1", "II-2"], False),
]

# How far along each demo complaint goes: the actions applied after logging.
PATHS = {
    "logged": [],
    "dispatched": [Action.DISPATCH],
    "acknowledged": [Action.DISPATCH, Action.ACKNOWLEDGE],
    "in_progress": [Action.DISPATCH, Action.ACKNOWLEDGE, Action.START, Action.CONTACT],
    "result_submitted": [Action.DISPATCH, Action.ACKNOWLEDGE, Action.START, Action.CONTACT,
                         Action.SUBMIT_RESULT],
    "signed_off": [Action.DISPATCH, Action.ACKNOWLEDGE, Action.START, Action.CONTACT,
                   Action.SUBMIT_RESULT, Action.SIGN_OFF],
    "verified": [Action.DISPATCH, Action.ACKNOWLEDGE, Action.START, Action.CONTACT,
                 Action.SUBMIT_RESULT, Action.SIGN_OFF, Action.VERIFY],
    "replied": [Action.DISPATCH, Action.ACKNOWLEDGE, Action.START, Action.CONTACT,
                Action.SUBMIT_RESULT, Action.SIGN_OFF, Action.VERIFY, Action.REPLY],
    "invalid": [Action.INVALID],
    "appealed": [Action.DISPATCH, Action.APPEAL],
    "extension": [Action.DISPATCH, Action.ACKNOWLEDGE, Action.START, Action.CONTACT,
                  Action.REQUEST_EXTENSION],
}
PLAN = (["logged"] * 6 + ["dispatched"] * 4 + ["acknowledged"] * 4 + ["in_progress"] * 5
        + ["result_submitted"] * 3 + ["signed_off"] * 3 + ["verified"] * 2 + ["replied"] * 8
        + ["invalid"] * 3 + ["extension", "appealed"])

FIELDS = {
    Action.DISPATCH: {},
    Action.ACKNOWLEDGE: {"note": "已签收"},
    Action.START: {"note": "开始调查"},
    Action.CONTACT: {"note": "已电话联系客户，说明处理进度，客户表示理解。"},
    Action.SUBMIT_RESULT: {"cause": "经检验为同批次零部件供应商来料不良。",
                           "solution": "为客户更换新品，并上门检测。",
                           "corrective_action": "对该批次来料全检，供应商限期整改。",
                           "compensation": Decimal("200.00")},
    Action.SIGN_OFF: {"note": "同意处理结果"},
    Action.VERIFY: {"note": "核实无误"},
    Action.REPLY: {"reply": "您好，您反映的问题已处理完毕：已为您更换新品并赠送延保一年。感谢您的反馈。"},
    Action.INVALID: {"kind": "invalid", "reason": "经核实非本公司产品。", "original": None},
    Action.APPEAL: {"kind": "not-our-business", "reason": "该问题属于物流配送环节，非本部门职责。"},
    Action.REQUEST_EXTENSION: {"reason": "需等待供应商的检测报告，预计还需两个工作日。"},
}


async def _ensure_departments() -> None:
    for code, zh, en in DEPARTMENTS:
        if not await Department.exists().where(Department.code == code):
            await Department(code=code, name_zh=zh, name_en=en).save()


async def load_base() -> dict[str, Viewer]:
    """Departments and the demo users (password reset to the demo one); returns their viewers."""
    await _ensure_departments()
    viewers = {}
    for username, role, dept, name, email in USERS:
        uid = await create_user(username, DEMO_PASSWORD, role, dept, name, email)
        viewers[username] = Viewer(uid, role, dept)
    return viewers


def actor_for(action: Action, department: str, viewers: dict[str, Viewer]) -> Viewer:
    """Which demo user takes an action for a complaint handled by QA or SVC."""
    prefix = "qa" if department == "QA" else "svc"
    if action in (Action.DISPATCH, Action.INVALID, Action.VERIFY, Action.REPLY, Action.APPROVE_EXTENSION,
                  Action.REFUSE_EXTENSION, Action.APPEAL_REASSIGN, Action.APPEAL_UPHOLD,
                  Action.SEND_BACK, Action.REGRADE):
        return viewers["office"]
    if action in (Action.SIGN_OFF, Action.APPEAL, Action.REQUEST_EXTENSION):
        return viewers[f"{prefix}.head"]
    return viewers[f"{prefix}.staff"]


def default_env() -> Env:
    settings = load_settings()
    return env_for(settings, load_policy(settings.policy_path))


async def advance(number: str, target: str, viewers: dict[str, Viewer], department: str = "QA",
                  start: datetime | None = None, step=timedelta(hours=1), now: datetime | None = None,
                  env: Env | None = None) -> None:
    """Walk a logged complaint along the workflow to `target`, as the demo users would."""
    env = env or default_env()
    at = start or utcnow()
    for action in PATHS[target]:
        at += step
        row = await Complaint.select(Complaint.version, Complaint.cap_due).where(
            Complaint.number == number).first()
        fields = dict(FIELDS[action])
        if action is Action.DISPATCH:
            fields["department"] = department
        if action is Action.REQUEST_EXTENSION:
            fields["new_due"] = row["cap_due"]
        await perform(number, action, actor_for(action, department, viewers), row["version"],
                      fields, min(at, now) if now else at, env)


HISTORY = 72  # replied complaints over the five months before the last fortnight


async def _demo_history(viewers: dict[str, Viewer], env: Env, policy, settings, now: datetime,
                        rng: random.Random) -> None:
    """DOMAIN §6–§7 in the demo: months of handled complaints before the recent ones, so the
    statistics have a trend and a previous period, and both demo handlers qualify for the
    quarter's ranking. Some results come late; most revisits are answered."""
    first = now - timedelta(days=150)
    span = (now - timedelta(days=16) - first) / HISTORY
    for i in range(HISTORY):
        category, dept, product, model, text, demand, criteria, _urgent = MATTERS[i % len(MATTERS)]
        name, _phone, _email, address = CUSTOMERS[(i * 7 + 3) % len(CUSTOMERS)]
        # Customers of their own (one in twelve comes back about the same matter): the
        # statistics' repeat rate stays realistic.
        who = i - 1 if i % 12 == 11 else i
        phone = f"1590000{who:04d}"
        email = f"kehu{who}@example.com" if who % 2 else ""
        logged = first + span * i + timedelta(hours=rng.randint(0, 5))
        handling = "SVC" if (dept == "SVC" or i % 3 == 0) else "QA"
        data = IntakeData(
            customer_name=name, customer_phone=phone, customer_email=email,
            customer_address=address, channel=rng.choice(policy.offered("channels")).code, category=category,
            received_at=logged - timedelta(hours=1), occurred_at=None, location="",
            product=product, model_batch=model, order_no="", purchase_date=None,
            complained_department=dept if category == "service" else None,
            complained_person="", description=text, demand=demand,
            claimed_loss=Decimal(rng.choice([0, 150, 800])), criteria=criteria, urgent=False,
            callback_requested=i % 2 == 0)
        number = await log_complaint(data, viewers["clerk"].id, [], logged, policy,
                                     settings.attachments_dir, settings.timezone)
        # One in five takes too long: its result misses the deadline.
        step = timedelta(hours=rng.randint(26, 32) if i % 5 == 0 else rng.randint(1, 4))
        await advance(number, "replied", viewers, handling, start=logged, step=step, now=now,
                      env=env)
        row = await Complaint.select(Complaint.version, Complaint.revisit_state,
                                     Complaint.replied_at).where(Complaint.number == number).first()
        if row["revisit_state"] != "pending" or i % 4 == 3:
            continue  # not drawn, or still waiting for its revisit call
        overall = [5, 4, 5, 3, 4, 2, 5, 4][i % 8]
        at = row["replied_at"] + timedelta(days=2)
        await perform(number, Action.REVISIT_ATTEMPT, viewers["office"], row["version"], {
            "outcome": "reached", "overall": overall, "speed": max(1, overall - 1),
            "attitude": overall, "solved": overall >= 3, "comments": ""}, at, env)
        if overall <= 2:  # reopened: the department handles it again and the office replies
            for action in (Action.SUBMIT_RESULT, Action.SIGN_OFF, Action.VERIFY, Action.REPLY):
                at += timedelta(hours=3)
                current = await Complaint.select(Complaint.version).where(
                    Complaint.number == number).first()
                await perform(number, action, actor_for(action, handling, viewers),
                              current["version"], dict(FIELDS[action]), at, env)


async def _demo_revisits(viewers: dict[str, Viewer], env: Env, now: datetime) -> None:
    """DOMAIN §5 in the demo: of the replied complaints waiting for a revisit, one gets the
    emailed survey, one a failed call, one a satisfied answer and one an unsatisfied answer
    (reopened to its department); the rest wait in the phone queue."""
    waiting = await Complaint.select(Complaint.number, Complaint.customer_email).where(
        Complaint.revisit_state == "pending").order_by(Complaint.id)
    with_email = [r["number"] for r in waiting if r["customer_email"]]
    others = [r["number"] for r in waiting if r["number"] not in with_email[:1]]
    steps = [(with_email[:1], Action.SEND_SURVEY, {}),
             (others[:1], Action.REVISIT_ATTEMPT, {"outcome": "no-answer", "note": "无人接听，明天再打"}),
             (others[1:2], Action.REVISIT_ATTEMPT, {
                 "outcome": "reached", "overall": 5, "speed": 4, "attitude": 5, "solved": True,
                 "comments": "处理及时，态度很好。"}),
             (others[2:3], Action.REVISIT_ATTEMPT, {
                 "outcome": "reached", "overall": 1, "speed": 2, "attitude": 3, "solved": False,
                 "comments": "新换的产品还是有同样的问题。"})]
    for numbers, action, fields in steps:
        for number in numbers:
            row = await Complaint.select(Complaint.version).where(Complaint.number == number).first()
            await perform(number, action, viewers["office"], row["version"], dict(fields),
                          now - timedelta(minutes=30), env)


async def _demo_anonymized(viewers: dict[str, Viewer], env: Env, policy, settings,
                           now: datetime) -> int:
    """DOMAIN §8 in the demo: a complaint closed a month longer ago than the policy keeps
    customers' data, anonymized the way the server's daily round does it."""
    from db.anonymize import anonymize_due

    years = policy.privacy.anonymize_after_years
    if not years:
        return 0
    logged = months_before(now, 12 * years) - timedelta(days=40)
    data = IntakeData(
        customer_name="郑浩", customer_phone="13612340000", customer_email="zhenghao@example.com",
        customer_address="苏州市工业园区星湖街 328 号", channel="phone", category="quality",
        received_at=logged - timedelta(hours=1), occurred_at=None, location="",
        product="电饭煲", model_batch="RC-5L", order_no="SO20230118", purchase_date=None,
        complained_department=None, complained_person="",
        description="郑先生反映电饭煲内胆涂层脱落，请回电 13612340000。", demand="更换内胆",
        claimed_loss=Decimal(0), criteria=["II-7"], urgent=False, callback_requested=True)
    number = await log_complaint(data, viewers["clerk"].id, [], logged, policy,
                                 settings.attachments_dir, settings.timezone)
    await advance(number, "replied", viewers, "QA", start=logged, step=timedelta(hours=2),
                  env=env)
    row = await Complaint.select(Complaint.version).where(Complaint.number == number).first()
    await perform(number, Action.REVISIT_ATTEMPT, viewers["office"], row["version"], {
        "outcome": "reached", "overall": 4, "speed": 4, "attitude": 5, "solved": True,
        "comments": "郑先生表示满意。"}, logged + timedelta(days=3), env)
    return (await anonymize_due(now, env, settings.attachments_dir)).anonymized


async def load_demo() -> str:
    settings = load_settings()
    policy = load_policy(settings.policy_path)
    env = env_for(settings, policy)
    viewers = await load_base()
    clerk = viewers["clerk"].id
    if await Complaint.exists().where(Complaint.logged_by == clerk):
        return "demo users reset; demo complaints already present"

    rng = random.Random(20261124)  # the same demo every time
    now = utcnow()
    await _demo_history(viewers, env, policy, settings, now, rng)
    for i, target in enumerate(PLAN):
        category, dept, product, model, text, demand, criteria, urgent = MATTERS[i % len(MATTERS)]
        name, phone, email, address = CUSTOMERS[(i * 3) % len(CUSTOMERS)]
        if i % 4:  # most are new customers; every fourth is a known one (a second complaint)
            phone, email = f"1370000{i:04d}", f"kehu.r{i}@example.com" if i % 2 else ""
        # Spread over the last working fortnight: some deadlines are met, some near, some missed.
        logged = now - timedelta(hours=(len(PLAN) - i) * 8 + rng.randint(0, 6))
        data = IntakeData(
            customer_name=name, customer_phone=phone, customer_email=email,
            customer_address=address, channel=rng.choice(policy.offered("channels")).code,
            category=category, received_at=logged - timedelta(hours=2), occurred_at=None,
            location="", product=product, model_batch=model,
            order_no=f"SO{20260000 + i * 37}" if product else "", purchase_date=None,
            complained_department=dept if category == "service" else None,
            complained_person="", description=text, demand=demand,
            claimed_loss=Decimal(rng.choice([0, 150, 800, 3000])), criteria=criteria,
            urgent=urgent and target == "logged",
            callback_requested=target == "replied" and i % 2 == 0,
        )
        logger = clerk if i % 3 else viewers["svc.staff"].id
        number = await log_complaint(data, logger, [], logged, policy,
                                     settings.attachments_dir, settings.timezone)
        handling = dept if dept in ("QA", "SVC") else "QA"
        if target == "dispatched" and dept:
            handling = dept  # some wait in departments without demo users
        # Appeals and extensions must come early (within a day of dispatch, before the deadline).
        step = timedelta(hours=1 if target in ("appealed", "extension") else rng.randint(1, 20))
        await advance(number, target, viewers, handling, start=logged, step=step, now=now, env=env)
    await _demo_revisits(viewers, env, now)
    anonymized = await _demo_anonymized(viewers, env, policy, settings, now)
    return (f"demo loaded: {len(DEPARTMENTS)} departments, {len(USERS)} users, "
            f"{HISTORY + len(PLAN) + anonymized} complaints ({anonymized} anonymized)")
