"""Every word a user reads comes from the catalogs (issue 13).

Each demo role opens every page it may open, on the full demo data plus complaints with a rich
history; the visible text (tags, scripts and attribute values stripped) is read twice:

- in Chinese, no run of Latin-letter words may appear but complaint numbers, criteria codes,
  file formats, the language switch's "English", and what people typed (the demo's emails,
  usernames, model and order numbers); a department, channel or category code only next to
  its name;
- in English, no Han character may appear but the "中文" switch and what people typed
  (customer data, names, departments, notes, the policy's Chinese wording).

What people typed is read from the database, so the allowlists follow the demo data instead
of listing its strings. The CSV and XLSX exports are read the same way.
"""

from __future__ import annotations

import asyncio
import copy
import csv
import io
import json
import os
import re
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser

import openpyxl
import pytest

from db import policy_store
from db import users as user_store
from db.assessment import name_star
from db.calendar import set_day
from db.notify import Mailing
from db.tables import (
    AssessmentEvent,
    CalendarDay,
    Complaint,
    ComplaintEvent,
    Department,
    LoginAttempt,
    PolicyVersion,
    RevisitAttempt,
    ServiceStar,
    SetPasswordLink,
    Survey,
    User,
)
from portal.accounts import token_hash
from portal.cli import pooled
from portal.contact import mask_email, mask_phone
from portal.demo import load_demo
from portal.i18n import in_locale
from portal.labels import ROLE_LABELS
from portal.periods import quarter_of
from portal.policy import load_policy, parse_policy
from portal.staff_import import HEADERS
from portal.survey_token import make_token
from portal.timeutil import utcnow
from portal.workcalendar import DayKind
from portal.workflow import Action
from tests.deadline_support import TZ, act, local, logged

POLICY = load_policy()
ROLES = ("clerk", "office", "cshead", "admin", "qa.head", "qa.staff")
T = local(2026, 11, 24, 10)  # a Tuesday: the rich complaints' history starts here

# -- what may stay untranslated, and why ------------------------------------------------------

# Chinese pages: names that are the same in every language.
LATIN_NAMES = {
    "English",  # the language switch and the language choice name English in English
    "CSV", "XLSX", "Excel", "PDF", "Word", "Office", "UTF-8", "GBK", "KB", "MB",  # file formats
    "HMAC-SHA256",  # the revisit draw's formula, so anyone can recompute it
    "chinesecalendar",  # the package the official calendar comes from (/admin/calendar)
    "same-day",  # a deadline value the policy form accepts, explained next to it
}
LATIN_PATTERNS = [
    re.compile(r"TS-\d{4}-\d{6}"),  # complaint numbers
    re.compile(r"\d+[hd]"),  # deadline values the policy form accepts (2h, 3d)
]
CRITERIA = {c.code for c in POLICY.criteria}  # I-1 … M-3, shown with their wording
# English pages: the switch back to Chinese names Chinese in Chinese.
HAN_NAMES = {"中文", "中文（简体）"}

HAN = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]+")
TOKEN = re.compile(r"[A-Za-z0-9_*][A-Za-z0-9_*.@+\-'’]*")
LATIN = re.compile(r"[A-Za-z]")
NEAR = 40  # characters around a code in which its name must appear


@dataclass
class Allowed:
    """What people typed, from the database, and the codes that may stand next to a name."""

    latin: set[str] = field(default_factory=set)
    han: set[str] = field(default_factory=set)
    han_prefixes: set[str] = field(default_factory=set)  # a cut description ends in "…"
    names: dict[str, set[str]] = field(default_factory=dict)  # code -> its Chinese names

    def add_text(self, text) -> None:
        if not isinstance(text, str) or not text:
            return
        for token in tokens(text):
            self.latin.add(token)
        for run in HAN.findall(text):
            self.han.add(run)

    def add_code(self, code: str, zh: str) -> None:
        self.names.setdefault(code, set()).add(zh)
        self.add_text(zh)


def tokens(text: str) -> list[str]:
    return [t.rstrip(".-'’") for t in TOKEN.findall(text) if LATIN.search(t)]


async def allowed_from_data() -> Allowed:
    allowed = Allowed()
    text_columns = {
        Complaint: ("customer_name", "customer_phone", "customer_email", "customer_address",
                    "location", "product", "model_batch", "order_no", "complained_person",
                    "description", "demand", "cause", "solution", "corrective_action", "reply",
                    "invalid_reason", "appeal_reason", "extension_reason"),
        RevisitAttempt: ("note",),
        Survey: ("comments", "recipient"),
        User: ("username", "display_name", "email"),
        Department: ("name_zh", "name_en"),
        CalendarDay: ("name",),
        LoginAttempt: ("username", "ip"),
        ServiceStar: ("citation", "reason"),
        AssessmentEvent: ("reason",),
    }
    for table, columns in text_columns.items():
        for row in await table.select(*(getattr(table, c) for c in columns)):
            for value in row.values():
                allowed.add_text(value)
    # Notes people wrote; the system's own rows (no actor) are rendered from data instead.
    for row in await ComplaintEvent.select(ComplaintEvent.note).where(
            ComplaintEvent.actor.is_not_null()):
        allowed.add_text(row["note"])
    for row in await Complaint.select(Complaint.customer_phone, Complaint.customer_email):
        allowed.add_text(mask_phone(row["customer_phone"]))
        allowed.add_text(mask_email(row["customer_email"]))
    for d in await Department.select():
        allowed.add_code(d["code"], d["name_zh"])
    for item in (*POLICY.channels, *POLICY.categories):
        allowed.add_code(item.code, item.zh)
    with in_locale("zh_CN"):
        for role, label in ROLE_LABELS.items():
            allowed.add_code(role, str(label))
    for header in HEADERS:  # the column names an import file may use, in either language
        allowed.add_text(header)
    for item in (*POLICY.grades, *POLICY.criteria):
        allowed.add_text(item.zh)
    for q in POLICY.revisit.questions:
        allowed.add_text(q.zh)
    for version in await PolicyVersion.select(PolicyVersion.changes):
        for path, before, after in json.loads(version["changes"]):
            if path.endswith((".zh", ".en")):  # names the administrator typed
                allowed.add_text(before)
                allowed.add_text(after)
    newest = await PolicyVersion.select(PolicyVersion.data).order_by(
        PolicyVersion.id, ascending=False).first()
    for kind in ("channels", "categories"):  # codes added since the policy file
        for item in json.loads(newest["data"])[kind] if newest else ():
            allowed.add_code(item["code"], item["zh"])
    allowed.latin.add(POLICY.revisit.key_id)
    allowed.latin.add("testclient")  # the address the test client signs in from (/admin/logins)  # names the sampling key in the revisit draw
    allowed.han_prefixes = {run[:n] for run in allowed.han for n in range(1, len(run))}
    return allowed


def untranslated(text: str, locale: str, allowed: Allowed) -> list[tuple[str, str]]:
    """The pieces of `text` in the other language that no allowlist accounts for."""
    found = []
    if locale == "zh_CN":
        for m in TOKEN.finditer(text):
            token = m.group(0).rstrip(".-'’")
            if not LATIN.search(token) or _latin_ok(token, text, m.start(), allowed):
                continue
            found.append(_context(text, m.start(), m.end()))
    else:
        for m in HAN.finditer(text):
            run = m.group(0)
            if run in HAN_NAMES or run in allowed.han:
                continue
            if run in allowed.han_prefixes and text[m.end():m.end() + 1] == "…":
                continue
            found.append(_context(text, m.start(), m.end()))
    return found


def _latin_ok(token: str, text: str, at: int, allowed: Allowed) -> bool:
    if token in LATIN_NAMES or token in CRITERIA or token in allowed.latin:
        return True
    if any(p.fullmatch(token) for p in LATIN_PATTERNS):
        return True
    names = allowed.names.get(token)
    if names:  # a code: only where its name is shown next to it
        around = text[max(0, at - NEAR):at + len(token) + NEAR]
        return any(name in around for name in names)
    return False


def _context(text: str, start: int, end: int) -> tuple[str, str]:
    return text[start:end], text[max(0, start - 30):end + 30]


class VisibleText(HTMLParser):
    """The text a reader sees: no tags, scripts, styles or attribute values."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.hidden += 1
        self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.hidden -= 1
        self.parts.append(" ")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return re.sub(r"\s+", " ", "".join(parser.parts))


# -- the data: the demo, and complaints whose history holds every kind of change --------------

async def rich_history(viewers) -> dict[str, str]:
    """Complaints whose histories show every kind of row: dispatch, appeal and reassignment,
    acknowledgement, assignment, re-grade, extension, result, reply with the revisit draw,
    revisit calls, a reopen; a duplicate and a malicious one closed as invalid."""
    row = await logged(viewers, T, callback_requested=True, customer_name="郑美玲",
                       customer_email="zml@example.com", product="电热水壶", model_batch="KT-1802")
    n = row["number"]
    steps = [
        (Action.DISPATCH, "office", {"department": "SVC"}),
        (Action.APPEAL, "svc.head", {"kind": "not-our-business", "reason": "属于质量问题"}),
        (Action.APPEAL_REASSIGN, "office", {"department": "QA"}),
        (Action.ACKNOWLEDGE, "qa.staff", {"note": "已签收"}),
        (Action.ASSIGN, "qa.head", {"assignee": "qa.staff"}),
        (Action.REGRADE, "office", {"grade": "I", "urgent": True, "reason": "涉及安全"}),
        (Action.START, "qa.staff", {}),
        (Action.CONTACT, "qa.staff", {"note": "已联系客户"}),
        (Action.URGE, "office", {"note": "请尽快处理"}),
        (Action.NOTE, "qa.staff", {"note": "等待检测报告"}),
    ]
    at = T
    for action, who, fields in steps:
        at += timedelta(minutes=10)
        await act(viewers, n, action, who, at, **fields)
    current = await Complaint.select(Complaint.result_due, Complaint.cap_due).where(
        Complaint.number == n).first()
    new_due = min(current["result_due"] + timedelta(hours=4), current["cap_due"])
    more = [
        (Action.REQUEST_EXTENSION, "qa.head", {"new_due": new_due, "reason": "等待检测"}),
        (Action.APPROVE_EXTENSION, "office", {"reason": "同意"}),
        (Action.SUBMIT_RESULT, "qa.staff", {"cause": "来料不良", "solution": "换新",
                                            "corrective_action": "", "compensation": 200}),
        (Action.SIGN_OFF, "qa.head", {}),
        (Action.VERIFY, "office", {}),
        (Action.REPLY, "office", {"reply": "已为您换新"}),
        (Action.REVISIT_ATTEMPT, "office", {"outcome": "no-answer", "note": "无人接听"}),
        (Action.REVISIT_ATTEMPT, "office", {"outcome": "reached", "overall": 2, "speed": 3,
                                            "attitude": 4, "solved": False,
                                            "comments": "还是漏电"}),
    ]
    for action, who, fields in more:
        at += timedelta(minutes=10)
        await act(viewers, n, action, who, at, **fields)

    dup = await logged(viewers, T, customer_name="钱多多")
    at = T + timedelta(minutes=5)
    await act(viewers, dup["number"], Action.DISPATCH, "office", at, department="QA")
    await act(viewers, dup["number"], Action.APPEAL, "qa.head", at + timedelta(minutes=5),
              kind="not-our-business", reason="重复登记")
    await act(viewers, dup["number"], Action.INVALID, "office", at + timedelta(minutes=10),
              kind="duplicate", reason="同一投诉", original=n)
    bad = await logged(viewers, T, customer_name="孙小明")
    await act(viewers, bad["number"], Action.INVALID, "office", T + timedelta(minutes=3),
              kind="malicious", reason="恶意投诉")
    return {"rich": n, "duplicate": dup["number"], "malicious": bad["number"]}


async def load_everything(viewers) -> dict[str, str]:
    """The whole demo, the rich histories, a company holiday with the admin's own name, an
    open survey and a set-password link. Returns the numbers and tokens the pages need."""

    await load_demo()
    numbers = await rich_history(viewers)
    await set_day(local(2026, 12, 31).date(), DayKind.HOLIDAY, "公司年会", viewers["admin"].id,
                  utcnow())
    survey = await Survey.select(Survey.id, Survey.expires_at).where(
        Survey.used_at.is_null()).first()
    token = "a-set-password-link-token-" + "x" * 20
    await SetPasswordLink(user=viewers["qa.staff"].id, token_hash=token_hash(token),
                          created_at=utcnow(), expires_at=utcnow() + timedelta(hours=24),
                          created_by=viewers["admin"].id).save()
    await change_logs(viewers)
    return {**numbers, "set_password": token,
            "survey": make_token(os.environ["PORTAL_SECRET_KEY"], survey["id"],
                                 survey["expires_at"])}


EXTRA_USER = "i18n.extra"


async def change_logs(viewers) -> None:
    """A user the administrator created and changed, a saved policy version and a service
    star: the change logs of /admin/users/{username} and /admin/policy/history, the stars'
    history of /leaderboard."""
    now = utcnow()
    values = {"username": EXTRA_USER, "display_name": "冯晓东", "email": "", "role": "employee",
              "department": "SALES", "language": "zh_CN"}
    uid = await user_store.create_user(values, "a-long-demo-password", viewers["admin"].id, now,
                                       Mailing("http://testserver", TZ))
    await user_store.update_user(uid, {**values, "role": "handler", "department": "QA",
                                       "language": "en", "is_active": False},
                                 viewers["admin"].id, now)
    before = policy_store.file_raw(None)
    after = copy.deepcopy(before)
    after["deadlines"]["grades"]["I"]["acknowledge"] = "3h"
    after["deadlines"]["grades"]["II"]["contact"] = "same-day"
    after["revisit"]["rates"]["M"] = 0.3
    after["assessment"]["department_weights"].update(on_time=40, satisfaction=30)
    after["assessment"]["employee_penalty_grades"] = ["I"]
    after["session"]["idle_working_hours"] = 6
    after["categories"][-1]["route"] = "QA"
    after["channels"].append({"code": "wechat", "zh": "微信", "en": "WeChat"})
    parse_policy(after)
    await policy_store.save_version(after, before, viewers["cshead"].id, now)
    await name_star(quarter_of(now.astimezone(TZ).date()), viewers["qa.staff"].id, "回访满意度全优",
                    "", None, viewers["cshead"].id, now)


@pytest.fixture(scope="module")
def demo(database):
    """Loaded once for the module and only read by its tests; the extra user goes after."""
    from tests.conftest import PER_TEST_TABLES

    async def load():
        for table in PER_TEST_TABLES:
            await Complaint.raw(f"DELETE FROM {table}")
        return await load_everything(database)

    async def remove_extra_user():
        await User.delete().where(User.username == EXTRA_USER)

    yield asyncio.run(pooled(load))
    asyncio.run(remove_extra_user())


@pytest.fixture(scope="module")
def allowed(demo):
    return asyncio.run(allowed_from_data())


@pytest.fixture
def app(settings, demo, shared_app):
    """Overrides conftest's app: the demo data stays (conftest's `viewers` empties tables)."""
    from tests.conftest import reset_app

    return reset_app(shared_app, settings)


# -- the pages --------------------------------------------------------------------------------

def pages_for(role: str, demo: dict, client) -> list[str]:
    from tests.pages.test_security_headers import PAGES

    ids = client.run(_ids)
    paths = [p for p in PAGES if p != "/login"]
    paths += [
        "/admin/calendar?year=2026", "/admin/calendar?year=2027",
        "/inbox?status=appealed", "/inbox?status=invalid", "/inbox?extension=true",
        "/revisits?state=pending", "/revisits?state=survey", "/revisits?state=escalated",
        "/stats?by=category", "/stats?by=grade", "/stats?by=channel", "/stats?period=2026",
        "/stats/export.csv?by=grade", "/leaderboard/departments/QA",
        f"/leaderboard/people/{ids['qa.staff']}", "/admin/users/qa.head", "/admin/logins?outcome=ok",
        "/search?q=000113", "/search?q=电热水壶", "/no-such-page", f"/admin/users/{EXTRA_USER}",
        *(f"/complaints/{demo[k]}" for k in ("rich", "duplicate", "malicious")),
        *(f"/complaints/{n}" for n in ids["by_status"]),
    ]
    return paths


async def _ids() -> dict:
    users = {u["username"]: u["id"] for u in await User.select(User.username, User.id)}
    rows = await Complaint.select(Complaint.number, Complaint.status,
                                  Complaint.anonymized_at).order_by(Complaint.id)
    by_status = {}
    for r in rows:
        by_status.setdefault(r["status"], r["number"])
        if r["anonymized_at"]:  # the demo's anonymized complaint (DOMAIN §8)
            by_status.setdefault("anonymized", r["number"])
    return {**users, "by_status": list(by_status.values())}


def read(response) -> str:
    kind = response.headers.get("content-type", "")
    if "spreadsheetml" in kind:
        book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        return " | ".join(str(cell) for sheet in book for row in sheet.iter_rows(values_only=True)
                          for cell in row if cell is not None)
    if "csv" in kind:
        rows = csv.reader(io.StringIO(response.content.decode("utf-8-sig")))
        return " | ".join(cell for row in rows for cell in row)
    return visible_text(response.text)


def problems_on(client, paths: list[str], locale: str, allowed: Allowed) -> list[tuple]:
    found = []
    for path in paths:
        r = client.get(path)
        if r.status_code in (403, 404) and path != "/no-such-page":
            continue  # not a page this role may open
        assert r.status_code in (200, 303, 404, 410), (path, r.status_code)
        if r.status_code == 303:
            r = client.get(r.headers["location"])
        for piece, context in untranslated(read(r), locale, allowed):
            found.append((path, piece, context))
    return found


def in_language(client, locale: str) -> None:
    client.cookies.set("portal_lang", locale)


def report(found: list[tuple[str, str, str]]) -> str:
    """One line per untranslated piece: where it was first seen, and how often."""
    first: dict[str, tuple[str, str]] = {}
    count: dict[str, int] = {}
    for path, piece, context in found:
        first.setdefault(piece, (path, context))
        count[piece] = count.get(piece, 0) + 1
    lines = [f"{piece!r} ×{count[piece]} on {path}: «{context}»"
             for piece, (path, context) in first.items()]
    return f"{len(lines)} untranslated piece(s):\n" + "\n".join(lines)


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_a_role_speaks_one_language(client, demo, allowed, role, locale):
    client.login(role)
    in_language(client, locale)
    found = problems_on(client, pages_for(role, demo, client), locale, allowed)
    assert not found, report(found)


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_the_pages_without_a_log_in_speak_one_language(client, demo, allowed, locale):
    in_language(client, locale)
    paths = ["/login", f"/survey/{demo['survey']}", "/survey/not-a-token",
             f"/set-password/{demo['set_password']}", "/set-password/unknown"]
    found = problems_on(client, paths, locale, allowed)
    assert not found, report(found)


def test_the_checker_finds_english_in_chinese_and_chinese_in_english(demo, allowed):
    assert untranslated("处理部门: — → SVC", "zh_CN", allowed)
    assert not untranslated("处理部门: — → 客服部 SVC", "zh_CN", allowed)
    assert untranslated("类型: — → invalid", "zh_CN", allowed)
    assert untranslated("Working day (make-up day, 调休)", "en", allowed)
    assert not untranslated("Customer 张伟, TS-2026-000001", "en", allowed)
