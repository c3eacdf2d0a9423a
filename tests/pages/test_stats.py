"""DOMAIN §6 statistics (db.stats.report) proved on a hand-checked fixture, on SQLite and
PostgreSQL: 34 complaints made through the real commands with fixed clocks, in October,
November and December 2026 (company time zone Asia/Shanghai), and every figure of November —
overall, by department, by grade, the channel and category shares — with October as the
previous period, the department head's view limited to QA, and the quarterly trend, written
out by hand below.

Working hours are 09:00–18:00 (9 h a day). The fixture avoids the National Day holiday
(1–7 October 2026) and its make-up Saturday (10 October): October dates are 19–30 October,
all ordinary weekdays; November has no holiday. Most complaints are received at 09:00 and
dispatched at 11:00 (tests.deadline_support.dispatched), so a deadline of N working days
falls N working days later at 11:00 (Class II result: 2 days; Class I and Minor: 3 days;
cap: 7 days) and the working time to resolve a complaint received at 09:00 and replied to
k working days later at hh:00 is 9 k + (hh − 9) hours.

The report is asked for at NOW, Friday 4 December 2026 12:00.

The fixture (created in this order, so the numbers TS-2026-000001 … 000034 are known and the
revisit draw, HMAC of the number, is known too: see test_the_fixture_is_what_the_figures_assume).
N24 and D1 are received early in the morning of the first day of a month, when it is still the
previous day in UTC: they belong to November and December on the company's calendar.

October (the previous period)
  O1  QA  II quality phone    dispatched Mon 19 Oct; result Tue 20 15:00 ≤ due Wed 21 11:00 (on
                              time); replied Wed 21 15:00: 9 + 9 + 6 = 24 h; drawn, unanswered
  O2  SVC M  service online   dispatched Tue 20; result Mon 26 10:00 > due Fri 23 11:00 (late);
                              replied Tue 27 10:00: 5 × 9 + 1 = 46 h; not drawn
  O3  QA  II quality email    dispatched Mon 26; result due Wed 28 11:00 still missing
  O4  –   II quality phone    logged Thu 22, invalid
  O5  QA  I  quality phone    call-back; dispatched Tue 20; result Thu 22 10:00 ≤ due Fri 23
                              11:00; replied Fri 23 10:00: 3 × 9 + 1 = 28 h; answered by phone
                              Mon 2 Nov: 5 (an answer of November, a revisit of October)
  O6  SVC II service letter   call-back; dispatched Wed 21; due Fri 23 11:00, extension asked and
                              approved to Tue 27 11:00; result Mon 26 16:00 (late for the first
                              deadline, on time for the approved one); replied Tue 27 16:00:
                              4 × 9 + 7 = 43 h; answered by phone Wed 28 Oct: 4
  O7  –   M  service walk-in  received Mon 19 09:00, resolved on the spot 11:00: 2 h; not drawn
  O8  –   M  usage phone      logged Wed 28, not dispatched (its customer complains again: N6)
  O9  QA  II quality online   received Fri 30 Oct; result Mon 2 Nov 16:00 ≤ due Tue 3 Nov 11:00
                              (due in November); replied Tue 3 Nov 16:00: 9 + 9 + 7 = 25 h
                              (replied in November); drawn, unanswered
November (the period)
  N1  QA  II quality phone    call-back; dispatched Mon 2; result Tue 3 14:00 ≤ due Wed 4
                              11:00; replied Wed 4 12:00: 2 × 9 + 3 = 21 h; phone Thu 5: 5
  N2  QA  II quality online   call-back; dispatched Tue 3; result Thu 5 15:00 > due Thu 5 11:00
                              (late); replied Fri 6 15:00: 3 × 9 + 6 = 33 h; phone Mon 9: 3
  N3  QA  M  usage email      dispatched Wed 4; due Mon 9 11:00; extension asked Fri 6 and
                              approved to Wed 11 11:00; result Tue 10 10:00 (on time thanks to
                              the extension); replied Wed 11 15:00: 5 × 9 + 6 = 51 h; not drawn
  N4  QA  I  quality phone    dispatched Thu 5; due Tue 10 11:00; extension asked Mon 9 and
                              refused; the result is still missing
  N5  QA  II service walk-in  dispatched Mon 9; appealed (dispute the facts), upheld Tue 10;
                              result Wed 11 10:00 ≤ due Wed 11 11:00; replied Thu 12 12:00:
                              3 × 9 + 3 = 30 h; drawn, unanswered
  N6  QA  II quality phone    second complaint of O8's customer (is_second; M then II: no
                              automatic rule); call-back; dispatched Tue 10; result Thu 12 10:00
                              ≤ due Thu 12 11:00; replied Fri 13 10:00: 3 × 9 + 1 = 28 h; survey
                              emailed Mon 16, answered on the link Tue 17: 4
  N7  QA  I  quality media    dispatched Mon 16; result Wed 18 10:00, replied Thu 19 10:00;
                              phone Fri 20 10:00: 2 → reopened, result due again Wed 25 10:00;
                              result Tue 24 10:00 (on time); replied Wed 25 12:00: 7 × 9 + 3 =
                              66 h; phone Thu 26: 4 → closed (resolved, but not the first time)
  N8  SVC II service phone    call-back; dispatched Mon 23; result Tue 24 15:00 ≤ due Wed 25
                              11:00; replied Wed 25 15:00; phone Fri 27 10:00: 1 → reopened,
                              result due again Tue 1 Dec 10:00 and missing (December's)
  N9  SVC II service phone    call-back; dispatched Mon 2; result Wed 4 17:00 > due Wed 4 11:00
                              (late); replied Thu 5 11:00: 3 × 9 + 2 = 29 h; phone Fri 6: 4
  N10 SVC M  service online   dispatched Wed 11; result Fri 13 16:00 ≤ due Mon 16 11:00;
                              replied Mon 16 16:00: 3 × 9 + 7 = 34 h; not drawn
  N11 SVC II service email    dispatched Thu 12; due Mon 16 11:00; the result is still missing
  N12 SVC II service letter   call-back; dispatched Mon 16; due Wed 18 11:00, extension approved
                              to Fri 20 11:00; result Mon 23 10:00 (late even so); replied Tue
                              24 11:00: 6 × 9 + 2 = 56 h; phone Wed 25: 5
  N13 SVC I  service walk-in  dispatched to QA Tue 17 11:00, appealed (not our business),
                              reassigned to SVC Wed 18 10:00 (clock restarts: due Mon 23 10:00);
                              result Fri 20 15:00; replied Mon 23 15:00: 4 × 9 + 6 = 42 h;
                              phone Tue 24: 3
  N14 SVC M  other phone      dispatched Wed 18, appealed, ruled invalid Thu 19
  N15 SVC II service online   dispatched Wed 25; result Thu 26 10:00 ≤ due Fri 27 11:00; not
                              yet signed off (not resolved)
  N16 SVC II service phone    dispatched Mon 30; result Tue 1 Dec 10:00 ≤ due Wed 2 Dec 11:00
                              (due in December)
  N17 –   M  service walk-in  received Tue 3 09:00, resolved on the spot 10:30: 1.5 h; not drawn
  N18 –   M  other letter     logged Mon 30, not dispatched
  N19 –   II quality phone    logged Thu 5, invalid
  N20 –   I  quality phone    N1's customer again (II after II: I-7, Class I), invalid duplicate
  N21 –   II service online   N10's customer again (minor twice: II-6, Class II), logged Fri 20,
                              not dispatched
  N22 SVC I  service phone    N9's customer again (II after II: I-7); dispatched Fri 20; result
                              Tue 24 10:00 ≤ due Wed 25 11:00; replied Wed 25 17:00: 3 × 9 + 8 =
                              35 h; drawn, unanswered
  N23 QA  M  quality email    call-back; dispatched Mon 23; result Wed 25 10:00 ≤ due Thu 26
                              11:00; replied Thu 26 10:00: 3 × 9 + 1 = 28 h; three unanswered
                              calls: unreachable (not revisited)
December
  D1  –   M  service phone    received Tue 1 Dec 07:30 (30 Nov 23:30 UTC), not dispatched
  N24 –   M  other online     received Sun 1 Nov 07:30 (31 Oct 23:30 UTC), resolved on the spot
                              Mon 2 Nov 10:00: Sunday does not count, 09:00 → 10:00 = 1 h;
                              not drawn
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from db import revisits
from db.stats import Figures, report
from db.tables import Complaint, Survey
from portal.periods import month, quarter
from portal.survey_token import make_token
from portal.workflow import Action
from tests.conftest import PER_TEST_TABLES
from tests.deadline_support import TZ, act, env, in_progress, local, logged, reload

NOW = local(2026, 12, 4, 12)
NOV, OCT, Q4 = month(2026, 11), month(2026, 10), quarter(2026, 4)
RESULT = {"cause": "来料不良", "solution": "为客户换新"}


# ---- the fixture, through the real commands ----------------------------------------------------

def _staff(dept: str) -> str:
    return "qa.staff" if dept == "QA" else "svc.staff"


def _head(dept: str) -> str:
    return "qa.head" if dept == "QA" else "svc.head"


class Fixture:
    def __init__(self, viewers) -> None:
        self.v = viewers
        self.n: dict[str, str] = {}  # label -> complaint number

    async def start(self, label: str, dept: str, at, **intake) -> str:
        """Received at `at` − 2 h, logged at − 1 h, dispatched at `at`, acknowledged,
        started and the customer contacted a few minutes later."""
        row = await in_progress(self.v, at, dept, **intake)
        self.n[label] = row["number"]
        return row["number"]

    async def log(self, label: str, at, **intake) -> str:
        """Received at `at` − 1 h, logged at `at`."""
        row = await logged(self.v, at, **intake)
        self.n[label] = row["number"]
        return row["number"]

    async def do(self, label: str, action: Action, user: str, at, **fields) -> dict:
        return await act(self.v, self.n[label], action, user, at, **fields)

    async def submit(self, label: str, dept: str, at) -> None:
        await self.do(label, Action.SUBMIT_RESULT, _staff(dept), at, **RESULT)

    async def reply(self, label: str, dept: str, at) -> None:
        await self.do(label, Action.SIGN_OFF, _head(dept), at - timedelta(minutes=20))
        await self.do(label, Action.VERIFY, "office", at - timedelta(minutes=10))
        await self.do(label, Action.REPLY, "office", at, reply="已处理完毕")

    async def phone(self, label: str, at, overall: int) -> None:
        await self.do(label, Action.REVISIT_ATTEMPT, "office", at, outcome="reached",
                      overall=overall, speed=overall, attitude=overall, solved=overall >= 4,
                      comments="")

    async def extension(self, label: str, dept: str, at, new_due, approve: bool) -> None:
        await self.do(label, Action.REQUEST_EXTENSION, _head(dept), at, new_due=new_due,
                      reason="等待检测报告")
        await self.do(label, Action.APPROVE_EXTENSION if approve else Action.REFUSE_EXTENSION,
                      "office", at + timedelta(hours=1))

    async def invalid(self, label: str, at, kind: str = "invalid", original=None) -> None:
        await self.do(label, Action.INVALID, "office", at, kind=kind, reason="经核实无效",
                      original=original)


def _d(day: int, hour: int, minute: int = 0, m: int = 11):
    return local(2026, m, day, hour, minute)


def _o(day: int, hour: int, minute: int = 0):
    return local(2026, 10, day, hour, minute)


Q, S = "QA", "SVC"
II, I_, M_ = ["II-5"], ["I-6"], ["M-2"]


async def build(viewers) -> dict[str, str]:
    f = Fixture(viewers)
    # ---- October --------------------------------------------------------------------------
    await f.start("O1", Q, _o(19, 11), criteria=II, category="quality", channel="phone")
    await f.submit("O1", Q, _o(20, 15))
    await f.reply("O1", Q, _o(21, 15))

    await f.start("O2", S, _o(20, 11), criteria=["M-1"], category="service", channel="online")
    await f.submit("O2", S, _o(26, 10))
    await f.reply("O2", S, _o(27, 10))

    await f.start("O3", Q, _o(26, 11), criteria=II, category="quality", channel="email")

    await f.log("O4", _o(22, 10), criteria=II, category="quality", channel="phone")
    await f.invalid("O4", _o(22, 11))

    await f.start("O5", Q, _o(20, 11), criteria=I_, category="quality", channel="phone",
                  callback_requested=True)
    await f.submit("O5", Q, _o(22, 10))
    await f.reply("O5", Q, _o(23, 10))
    await f.phone("O5", _d(2, 10), 5)

    await f.start("O6", S, _o(21, 11), criteria=["II-1"], category="service", channel="letter",
                  callback_requested=True)
    await f.extension("O6", S, _o(22, 10), _o(27, 11), approve=True)
    await f.submit("O6", S, _o(26, 16))
    await f.reply("O6", S, _o(27, 16))
    await f.phone("O6", _o(28, 10), 4)

    await f.log("O7", _o(19, 10), criteria=["M-1"], category="service", channel="walk-in")
    await f.do("O7", Action.RESOLVE_ON_SPOT, "clerk", _o(19, 11), reply="当场处理")

    await f.log("O8", _o(28, 10), criteria=M_, category="usage", channel="phone",
                customer_phone="13700000008")

    await f.start("O9", Q, _o(30, 11), criteria=["II-7"], category="quality", channel="online")
    await f.submit("O9", Q, _d(2, 16))
    await f.reply("O9", Q, _d(3, 16))

    # ---- November -------------------------------------------------------------------------
    await f.start("N1", Q, _d(2, 11), criteria=II, category="quality", channel="phone",
                  callback_requested=True, customer_phone="13700000101")
    await f.submit("N1", Q, _d(3, 14))
    await f.reply("N1", Q, _d(4, 12))
    await f.phone("N1", _d(5, 10), 5)

    await f.start("N2", Q, _d(3, 11), criteria=["II-7"], category="quality", channel="online",
                  callback_requested=True)
    await f.submit("N2", Q, _d(5, 15))
    await f.reply("N2", Q, _d(6, 15))
    await f.phone("N2", _d(9, 10), 3)

    await f.start("N3", Q, _d(4, 11), criteria=M_, category="usage", channel="email")
    await f.extension("N3", Q, _d(6, 10), _d(11, 11), approve=True)
    await f.submit("N3", Q, _d(10, 10))
    await f.reply("N3", Q, _d(11, 15))

    await f.start("N4", Q, _d(5, 11), criteria=I_, category="quality", channel="phone")
    await f.extension("N4", Q, _d(9, 10), _d(12, 11), approve=False)

    # N5: an appeal the office rejects (upheld: back to the department, clock unchanged).
    row = await logged(viewers, _d(9, 10), criteria=["II-3"], category="service",
                       channel="walk-in")
    f.n["N5"] = row["number"]
    await f.do("N5", Action.DISPATCH, "office", _d(9, 11), department=Q)
    await f.do("N5", Action.APPEAL, "qa.head", _d(9, 14), kind="dispute-facts", reason="事实有误")
    await f.do("N5", Action.APPEAL_UPHOLD, "office", _d(10, 10), reason="维持派单")
    await f.do("N5", Action.ACKNOWLEDGE, "qa.staff", _d(10, 10, 5))
    await f.do("N5", Action.START, "qa.staff", _d(10, 10, 6))
    await f.submit("N5", Q, _d(11, 10))
    await f.reply("N5", Q, _d(12, 12))

    await f.start("N6", Q, _d(10, 11), criteria=II, category="quality", channel="phone",
                  callback_requested=True, customer_phone="13700000008",
                  customer_email="n6@example.com")
    await f.submit("N6", Q, _d(12, 10))
    await f.reply("N6", Q, _d(13, 10))
    await f.do("N6", Action.SEND_SURVEY, "office", _d(16, 10))
    survey = await Survey.select().where(
        Survey.complaint == (await reload(f.n["N6"]))["id"]).first()
    token = make_token(env().secret_key, survey["id"], survey["expires_at"])
    assert await revisits.answer_survey(
        token, {"overall": 4, "speed": 4, "attitude": 5, "solved": True},
        _d(17, 10), env()) == revisits.SurveyLink.OPEN

    await f.start("N7", Q, _d(16, 11), criteria=["I-2"], category="quality", channel="media")
    await f.submit("N7", Q, _d(18, 10))
    await f.reply("N7", Q, _d(19, 10))
    await f.phone("N7", _d(20, 10), 2)  # reopened
    await f.submit("N7", Q, _d(24, 10))
    await f.reply("N7", Q, _d(25, 12))
    await f.phone("N7", _d(26, 10), 4)

    await f.start("N8", S, _d(23, 11), criteria=["II-4"], category="service", channel="phone",
                  callback_requested=True)
    await f.submit("N8", S, _d(24, 15))
    await f.reply("N8", S, _d(25, 15))
    await f.phone("N8", _d(27, 10), 1)  # reopened

    await f.start("N9", S, _d(2, 11), criteria=["II-4"], category="service", channel="phone",
                  callback_requested=True, customer_phone="13700000109")
    await f.submit("N9", S, _d(4, 17))
    await f.reply("N9", S, _d(5, 11))
    await f.phone("N9", _d(6, 10), 4)

    await f.start("N10", S, _d(11, 11), criteria=["M-1"], category="service", channel="online",
                  customer_phone="13700000110")
    await f.submit("N10", S, _d(13, 16))
    await f.reply("N10", S, _d(16, 16))

    await f.start("N11", S, _d(12, 11), criteria=["II-1"], category="service", channel="email")

    await f.start("N12", S, _d(16, 11), criteria=["II-1"], category="service", channel="letter",
                  callback_requested=True)
    await f.extension("N12", S, _d(17, 10), _d(20, 11), approve=True)
    await f.submit("N12", S, _d(23, 10))
    await f.reply("N12", S, _d(24, 11))
    await f.phone("N12", _d(25, 10), 5)

    # N13: appealed by QA, reassigned to SVC (the department's clock restarts).
    row = await logged(viewers, _d(17, 10), criteria=["I-3"], category="service",
                       channel="walk-in")
    f.n["N13"] = row["number"]
    await f.do("N13", Action.DISPATCH, "office", _d(17, 11), department=Q)
    await f.do("N13", Action.APPEAL, "qa.head", _d(17, 14), kind="not-our-business",
               reason="属于客服部")
    await f.do("N13", Action.APPEAL_REASSIGN, "office", _d(18, 10), department=S)
    await f.do("N13", Action.ACKNOWLEDGE, "svc.staff", _d(18, 10, 5))
    await f.do("N13", Action.START, "svc.staff", _d(18, 10, 6))
    await f.submit("N13", S, _d(20, 15))
    await f.reply("N13", S, _d(23, 15))
    await f.phone("N13", _d(24, 10), 3)

    # N14: appealed, then ruled invalid.
    row = await logged(viewers, _d(18, 10), criteria=["M-3"], category="other", channel="phone")
    f.n["N14"] = row["number"]
    await f.do("N14", Action.DISPATCH, "office", _d(18, 11), department=S)
    await f.do("N14", Action.APPEAL, "svc.head", _d(18, 14), kind="dispute-facts",
               reason="非公司原因")
    await f.invalid("N14", _d(19, 10))

    await f.start("N15", S, _d(25, 11), criteria=["II-7"], category="service", channel="online")
    await f.submit("N15", S, _d(26, 10))

    await f.start("N16", S, _d(30, 11), criteria=["II-1"], category="service", channel="phone")
    await f.submit("N16", S, _d(1, 10, m=12))

    await f.log("N17", _d(3, 10), criteria=["M-1"], category="service", channel="walk-in")
    await f.do("N17", Action.RESOLVE_ON_SPOT, "clerk", _d(3, 10, 30), reply="当场退款")

    await f.log("N18", _d(30, 10), criteria=["M-3"], category="other", channel="letter")

    await f.log("N19", _d(5, 10), criteria=II, category="quality", channel="phone")
    await f.invalid("N19", _d(5, 11))

    await f.log("N20", _d(5, 10), criteria=II, category="quality", channel="phone",
                customer_phone="13700000101")
    await f.invalid("N20", _d(5, 11), kind="duplicate", original=f.n["N1"])

    await f.log("N21", _d(20, 10), criteria=["M-1"], category="service", channel="online",
                customer_phone="13700000110")

    await f.start("N22", S, _d(20, 11), criteria=["II-4"], category="service", channel="phone",
                  customer_phone="13700000109")
    await f.submit("N22", S, _d(24, 10))
    await f.reply("N22", S, _d(25, 17))

    await f.start("N23", Q, _d(23, 11), criteria=M_, category="quality", channel="email",
                  callback_requested=True)
    await f.submit("N23", Q, _d(25, 10))
    await f.reply("N23", Q, _d(26, 10))
    for day, m in ((27, 11), (30, 11), (1, 12)):
        await f.do("N23", Action.REVISIT_ATTEMPT, "office", _d(day, 10, m=m), outcome="no-answer")

    # ---- December -------------------------------------------------------------------------
    await f.log("D1", _d(1, 8, 30, m=12), criteria=["M-1"], category="service", channel="phone")

    # ---- the first hours of November (still October in UTC) -------------------------------
    await f.log("N24", _d(1, 8, 30), criteria=["M-2"], category="other", channel="online")
    await f.do("N24", Action.RESOLVE_ON_SPOT, "clerk", _d(2, 10), reply="当场解释")

    return f.n


@pytest.fixture(scope="module")
def built(database):
    """The fixture and the reports, computed once for the module (tables emptied first, as
    the `viewers` fixture does)."""
    viewers = database

    async def go():
        for table in PER_TEST_TABLES:
            await Complaint.raw(f"DELETE FROM {table}")  # noqa: S608 (our names)
        numbers = await build(viewers)
        rows = {label: await reload(number) for label, number in numbers.items()}
        return {
            "rows": rows,
            "department": await report(NOV, "department", TZ, NOW),
            "grade": await report(NOV, "grade", TZ, NOW),
            "channel": await report(NOV, "channel", TZ, NOW),
            "qa": await report(NOV, "department", TZ, NOW, department="QA"),
            "quarter": await report(Q4, "department", TZ, NOW),
        }

    return asyncio.run(go())


# ---- what the figures are compared with --------------------------------------------------------

def kpis(f: Figures) -> dict:
    return {
        "count": f.received, "valid": f.valid, "repeats": f.repeats,
        "resolved": f.resolved, "resolution_rate": f.resolution_rate,
        "first_time": f.first_time,
        "due": f.due, "on_time": f.on_time, "late": f.late, "missing": f.missing,
        "on_time_rate": f.on_time_rate, "overdue": f.overdue,
        "mean_hours": f.mean_hours, "median_hours": f.median_hours,
        "answers": f.answers, "satisfaction_rate": f.satisfaction_rate,
        "mean_score": f.mean_score,
        "replied": f.replied, "revisited": f.revisited, "revisit_rate": f.revisit_rate,
        "revisit_target": f.revisit_target,
        "repeat_rate": f.repeat_rate, "appeals": f.appeals, "extensions": f.extensions,
    }


def check(figures: Figures, expected: dict) -> None:
    got = kpis(figures)
    assert set(expected) == set(got)
    # A figure nobody could measure is None, not 0.
    assert {k for k, v in got.items() if v is None} == {
        k for k, v in expected.items() if v is None}
    # Exact for counts; approx only for the rounding of the ratios.
    assert {k: v for k, v in got.items() if v is not None} == pytest.approx(
        {k: v for k, v in expected.items() if v is not None}, rel=1e-12, abs=1e-12)


# ---- November, overall ------------------------------------------------------------------------

NOVEMBER = {
    # received in November: N1 … N24
    "count": 24,
    # invalid: N14, N19, N20 → 24 − 3
    "valid": 21,
    # second complaints among the valid: N6, N21, N22 (N20 is one too, but invalid)
    "repeats": 3,
    "repeat_rate": 3 / 21,
    # replied or closed now: N1 N2 N3 N5 N6 N7 N9 N10 N12 N13 N17 N22 N23 N24; not: N4 N8
    # (reopened) N11 N15 N16 N18 N21
    "resolved": 14,
    "resolution_rate": 14 / 21,
    # resolved without a reopen: all but N7
    "first_time": 13,
    # due in November and settled: O9 N1 N2 N3 N5 N6 N7 N9 N10 N12 N13 N15 N22 N23 (14;
    # N3 on its extended deadline, N7 on the one after the reopen, N16 is due in December);
    # late: N2, N9, N12 (3); on time: 14 − 3 = 11; missing past the deadline: N4, N11 (2)
    "due": 16, "on_time": 11, "late": 3, "missing": 2,
    "on_time_rate": 11 / 16,
    "overdue": 5,  # late 3 + missing 2
    # hours to resolve: N1 21, N2 33, N3 51, N5 30, N6 28, N7 66, N9 29, N10 34, N12 56,
    # N13 42, N17 1.5, N22 35, N23 28, N24 1 → 455.5 h / 14
    "mean_hours": 455.5 / 14,
    # sorted: 1 1.5 21 28 28 29 [30 33] 34 35 42 51 56 66 → the 7th and 8th of 14
    "median_hours": (30 + 33) / 2,
    # answered in November: O5 5, N1 5, N2 3, N6 4, N7 2 and 4, N8 1, N9 4, N12 5, N13 3
    # → 10 answers; ≥ 4: O5 N1 N6 N7(4) N9 N12 = 6; sum 5+5+3+4+2+4+1+4+5+3 = 36
    "answers": 10, "satisfaction_rate": 6 / 10, "mean_score": 36 / 10,
    # replied in November: O9 N1 N2 N3 N5 N6 N7 N8 N9 N10 N12 N13 N17 N22 N23 N24 (16);
    # the customer answered: N1 N2 N6 N7 N8 (answered, then reopened) N9 N12 N13 (8)
    "replied": 16, "revisited": 8, "revisit_rate": 8 / 16,
    # shares: II 0.8 × 8 (O9 N1 N2 N5 N6 N8 N9 N12) + I 1.0 × 3 (N7 N13 N22)
    # + M 0.2 × 5 (N3 N10 N17 N23 N24) = 6.4 + 3 + 1.0 = 10.4 over 16
    "revisit_target": 10.4 / 16,
    "appeals": 2,  # N5, N13 (N14 was appealed but is invalid)
    "extensions": 3,  # N3 (approved), N4 (refused), N12 (approved)
}

OCTOBER = {
    "count": 9,  # O1 … O9
    "valid": 8,  # O4 invalid
    "repeats": 0, "repeat_rate": 0.0,
    "resolved": 6, "resolution_rate": 6 / 8,  # O1 O2 O5 O6 O7 O9
    "first_time": 6,
    # settled and due in October: O1 (on time), O2 (late), O5 (on time), O6 (on time with
    # the approved extension); missing: O3 → due 5, on time 3
    "due": 5, "on_time": 3, "late": 1, "missing": 1,
    "on_time_rate": 3 / 5, "overdue": 2,
    # O1 24, O2 46, O5 28, O6 43, O7 2, O9 25 → 168 h / 6 = 28 h
    "mean_hours": 28.0,
    # sorted: 2 24 [25 28] 43 46 → (25 + 28) / 2
    "median_hours": 26.5,
    # answered in October: O6 4 (O5 answered in November)
    "answers": 1, "satisfaction_rate": 1.0, "mean_score": 4.0,
    # replied in October: O1 O2 O5 O6 O7 (O9 in November); answered: O5, O6
    "replied": 5, "revisited": 2, "revisit_rate": 2 / 5,
    # O1 0.8 + O2 0.2 + O5 1.0 + O6 0.8 + O7 0.2 = 3.0 over 5
    "revisit_target": 3.0 / 5,
    "appeals": 0, "extensions": 1,  # O6
}


def test_november_overall_and_october_before_it(built):
    r = built["department"]
    assert (r.period, r.previous) == (NOV, OCT)
    check(r.overall, NOVEMBER)
    check(r.previous_overall, OCTOBER)


def test_the_shares_of_categories_and_channels(built):
    r = built["department"]
    # quality: N1 N2 N4 N6 N7 N19 N20 N23; usage: N3; service: N5 N8 N9 N10 N11 N12 N13 N15
    # N16 N17 N21 N22; other: N14 N18 N24
    assert r.category_share == {"service": 12, "quality": 8, "other": 3, "usage": 1}
    assert list(r.category_share)[:2] == ["service", "quality"]  # most first
    # phone: N1 N4 N6 N8 N9 N14 N16 N19 N20 N22; online: N2 N10 N15 N21 N24; email: N3 N11
    # N23; walk-in: N5 N13 N17; letter: N12 N18; media: N7
    assert r.channel_share == {"phone": 10, "online": 5, "email": 3, "walk-in": 3,
                               "letter": 2, "media": 1}


# ---- November by department ----------------------------------------------------------------------

QA_NOVEMBER = {
    # N1 N2 N3 N4 N5 N6 N7 N23 (N13 was dispatched to QA but reassigned to SVC)
    "count": 8, "valid": 8,
    "repeats": 1, "repeat_rate": 1 / 8,  # N6
    "resolved": 7, "resolution_rate": 7 / 8,  # all but N4
    "first_time": 6,  # N7 was reopened
    # settled: O9 N1 N2(late) N3 N5 N6 N7 N23 (8), on time 7; missing N4
    "due": 9, "on_time": 7, "late": 1, "missing": 1,
    "on_time_rate": 7 / 9, "overdue": 2,
    # N1 21 + N2 33 + N3 51 + N5 30 + N6 28 + N7 66 + N23 28 = 257 h over 7
    "mean_hours": 257 / 7,
    # sorted 21 28 28 [30] 33 51 66
    "median_hours": 30.0,
    # O5 5, N1 5, N2 3, N6 4, N7 2, N7 4 → 6 answers, 4 satisfied, sum 23
    "answers": 6, "satisfaction_rate": 4 / 6, "mean_score": 23 / 6,
    # replied: O9 N1 N2 N3 N5 N6 N7 N23 (8); answered: N1 N2 N6 N7 (N23 unreachable)
    "replied": 8, "revisited": 4, "revisit_rate": 4 / 8,
    # 0.8 × 5 (O9 N1 N2 N5 N6) + 1.0 (N7) + 0.2 × 2 (N3 N23) = 5.4 over 8
    "revisit_target": 5.4 / 8,
    "appeals": 1,  # N5
    "extensions": 2,  # N3, N4
}

SVC_NOVEMBER = {
    # N8 N9 N10 N11 N12 N13 N14 N15 N16 N22; N14 invalid
    "count": 10, "valid": 9,
    "repeats": 1, "repeat_rate": 1 / 9,  # N22
    "resolved": 5, "resolution_rate": 5 / 9,  # N9 N10 N12 N13 N22
    "first_time": 5,
    # settled: N9(late) N10 N12(late) N13 N15 N22 (6), on time 4; missing N11
    "due": 7, "on_time": 4, "late": 2, "missing": 1,
    "on_time_rate": 4 / 7, "overdue": 3,
    # N9 29 + N10 34 + N12 56 + N13 42 + N22 35 = 196 h over 5
    "mean_hours": 196 / 5,
    # sorted 29 34 [35] 42 56
    "median_hours": 35.0,
    # N8 1, N9 4, N12 5, N13 3 → 2 satisfied, sum 13
    "answers": 4, "satisfaction_rate": 2 / 4, "mean_score": 13 / 4,
    # replied: N8 N9 N10 N12 N13 N22 (6); answered: N8 N9 N12 N13
    "replied": 6, "revisited": 4, "revisit_rate": 4 / 6,
    # 0.8 × 3 (N8 N9 N12) + 0.2 (N10) + 1.0 × 2 (N13 N22) = 4.6 over 6
    "revisit_target": 4.6 / 6,
    "appeals": 1,  # N13 (counted where it is now handled)
    "extensions": 1,  # N12
}

NOT_DISPATCHED_NOVEMBER = {
    # N17 N18 N19 N20 N21 N24; N19 and N20 invalid
    "count": 6, "valid": 4,
    "repeats": 1, "repeat_rate": 1 / 4,  # N21
    "resolved": 2, "resolution_rate": 2 / 4,  # N17, N24, on the spot
    "first_time": 2,
    "due": 0, "on_time": 0, "late": 0, "missing": 0, "on_time_rate": None, "overdue": 0,
    # N17 1.5 h, N24 1 h → mean and median (1.5 + 1) / 2
    "mean_hours": 1.25, "median_hours": 1.25,
    "answers": 0, "satisfaction_rate": None, "mean_score": None,
    "replied": 2, "revisited": 0, "revisit_rate": 0.0,  # N17, N24, not drawn
    "revisit_target": 0.2,  # (0.2 + 0.2) / 2
    "appeals": 0, "extensions": 0,
}


def test_november_by_department(built):
    r = built["department"]
    assert list(r.groups) == ["", "QA", "SVC"]
    check(r.groups["QA"], QA_NOVEMBER)
    check(r.groups["SVC"], SVC_NOVEMBER)
    check(r.groups[""], NOT_DISPATCHED_NOVEMBER)


def test_october_by_department(built):
    r = built["department"]
    assert list(r.previous_groups) == ["", "QA", "SVC"]
    qa, svc, none = (r.previous_groups[k] for k in ("QA", "SVC", ""))
    # QA: O1 O3 O5 O9, resolved O1 O5 O9; due O1 O5 on time, O3 missing
    assert (qa.received, qa.valid, qa.resolved, qa.due, qa.on_time, qa.overdue) == (
        4, 4, 3, 3, 2, 1)
    assert qa.mean_hours == pytest.approx((24 + 28 + 25) / 3)
    # replied O1, O5; answered O5 (in November: no answer counts in October)
    assert (qa.replied, qa.revisited, qa.answers) == (2, 1, 0)
    # SVC: O2 (late, not drawn), O6 (on time with its extension, answered 4 in October)
    assert (svc.received, svc.valid, svc.resolved, svc.due, svc.on_time, svc.late) == (
        2, 2, 2, 2, 1, 1)
    assert (svc.replied, svc.revisited, svc.answers, svc.score_sum, svc.extensions) == (
        2, 1, 1, 4, 1)
    assert svc.mean_hours == pytest.approx((46 + 43) / 2)
    # not dispatched: O4 (invalid), O7 (on the spot), O8
    assert (none.received, none.valid, none.resolved, none.resolve_minutes) == (3, 2, 1, 120)


# ---- November by grade (both branches of the median) and by channel -------------------------

GRADES_NOVEMBER = {
    "I": {
        # N4 N7 N13 N20 N22; N20 invalid
        "count": 5, "valid": 4,
        "repeats": 1, "repeat_rate": 1 / 4,  # N22 (I-7)
        "resolved": 3, "resolution_rate": 3 / 4,  # N7 N13 N22
        "first_time": 2,  # N7 reopened
        # settled N7 N13 N22, all on time; missing N4
        "due": 4, "on_time": 3, "late": 0, "missing": 1, "on_time_rate": 3 / 4, "overdue": 1,
        # N7 66 + N13 42 + N22 35 = 143 h over 3; sorted 35 [42] 66
        "mean_hours": 143 / 3, "median_hours": 42.0,
        # O5 5, N7 2, N7 4, N13 3 → 2 satisfied, sum 14
        "answers": 4, "satisfaction_rate": 2 / 4, "mean_score": 14 / 4,
        # replied N7 N13 N22; answered N7 N13
        "replied": 3, "revisited": 2, "revisit_rate": 2 / 3, "revisit_target": 1.0,
        "appeals": 1, "extensions": 1,  # N13; N4
    },
    "II": {
        # N1 N2 N5 N6 N8 N9 N11 N12 N15 N16 N19 N21; N19 invalid
        "count": 12, "valid": 11,
        "repeats": 2, "repeat_rate": 2 / 11,  # N6, N21 (II-6)
        "resolved": 6, "resolution_rate": 6 / 11,  # N1 N2 N5 N6 N9 N12
        "first_time": 6,
        # settled O9 N1 N2(late) N5 N6 N9(late) N12(late) N15 (8), on time 5; missing N11
        "due": 9, "on_time": 5, "late": 3, "missing": 1, "on_time_rate": 5 / 9, "overdue": 4,
        # N1 21 + N2 33 + N5 30 + N6 28 + N9 29 + N12 56 = 197 h over 6;
        # sorted 21 28 [29 30] 33 56 → (29 + 30) / 2
        "mean_hours": 197 / 6, "median_hours": 29.5,
        # N1 5, N2 3, N6 4, N8 1, N9 4, N12 5 → 4 satisfied, sum 22
        "answers": 6, "satisfaction_rate": 4 / 6, "mean_score": 22 / 6,
        # replied O9 N1 N2 N5 N6 N8 N9 N12 (8); answered N1 N2 N6 N8 N9 N12 (6)
        "replied": 8, "revisited": 6, "revisit_rate": 6 / 8, "revisit_target": 0.8,
        "appeals": 1, "extensions": 1,  # N5; N12
    },
    "M": {
        # N3 N10 N14 N17 N18 N23 N24; N14 invalid
        "count": 7, "valid": 6,
        "repeats": 0, "repeat_rate": 0.0,
        "resolved": 5, "resolution_rate": 5 / 6,  # N3 N10 N17 N23 N24
        "first_time": 5,
        "due": 3, "on_time": 3, "late": 0, "missing": 0, "on_time_rate": 1.0, "overdue": 0,
        # N3 51 + N10 34 + N17 1.5 + N23 28 + N24 1 = 115.5 h over 5;
        # sorted 1 1.5 [28] 34 51
        "mean_hours": 115.5 / 5, "median_hours": 28.0,
        "answers": 0, "satisfaction_rate": None, "mean_score": None,
        # replied N3 N10 N17 N23 N24; none answered (N23 unreachable, the others not drawn)
        "replied": 5, "revisited": 0, "revisit_rate": 0.0, "revisit_target": 0.2,
        "appeals": 0, "extensions": 1,  # N3
    },
}


def test_november_by_grade(built):
    r = built["grade"]
    assert list(r.groups) == ["I", "II", "M"]
    for grade, expected in GRADES_NOVEMBER.items():
        check(r.groups[grade], expected)
    check(r.overall, NOVEMBER)  # the breakdown does not change the totals


def test_november_by_channel(built):
    r = built["channel"]
    assert list(r.groups) == ["email", "letter", "media", "online", "phone", "walk-in"]
    phone = r.groups["phone"]
    # N1 N4 N6 N8 N9 N14 N16 N19 N20 N22; invalid N14 N19 N20; second N6 N22
    assert (phone.received, phone.valid, phone.repeats) == (10, 7, 2)
    # resolved N1 (21 h) N6 (28 h) N9 (29 h) N22 (35 h): mean 113 / 4, median (28 + 29) / 2
    assert phone.resolved == 4
    assert phone.mean_hours == pytest.approx(113 / 4)
    assert phone.median_hours == pytest.approx(28.5)
    # settled N1 N6 N9(late) N22 → on time 3; missing N4 → 3 / 5
    assert (phone.due, phone.on_time, phone.overdue) == (5, 3, 2)
    # answers: O5 5, N1 5, N6 4, N8 1, N9 4 (all phone complaints)
    assert (phone.answers, phone.satisfied, phone.score_sum) == (5, 4, 19)
    media = r.groups["media"]  # N7 alone
    assert (media.received, media.resolved, media.first_time, media.median_hours) == (
        1, 1, 0, 66.0)
    email = r.groups["email"]  # N3 (51 h), N11 (missing), N23 (28 h)
    assert (email.received, email.resolved, email.due, email.missing) == (3, 2, 3, 1)
    assert email.median_hours == pytest.approx((28 + 51) / 2)


# ---- a department head's view ------------------------------------------------------------------------

def test_a_department_scoped_report_counts_only_that_department(built):
    r = built["qa"]
    assert list(r.groups) == ["QA"]
    check(r.overall, QA_NOVEMBER)
    check(r.groups["QA"], QA_NOVEMBER)
    # October for QA: O1 O3 O5 O9
    prev = r.previous_overall
    assert (prev.received, prev.valid, prev.resolved, prev.due, prev.on_time, prev.missing) == (
        4, 4, 3, 3, 2, 1)
    # O1 24, O9 25, O5 28 → median 25
    assert prev.median_hours == pytest.approx(25.0)
    # quality: N1 N2 N4 N6 N7 N23; usage: N3; service: N5
    assert r.category_share == {"quality": 6, "usage": 1, "service": 1}
    assert r.channel_share == {"phone": 3, "online": 1, "email": 2, "walk-in": 1, "media": 1}
    # its trend (one month): the same counts as the QA group
    ((m, f),) = r.months
    assert (m, f.received, f.valid, f.due, f.on_time, f.late, f.missing) == (
        NOV, 8, 8, 9, 7, 1, 1)


# ---- the quarter's monthly trend ---------------------------------------------------------------------

def test_the_quarterly_trend_month_by_month(built):
    r = built["quarter"]
    assert [m.key for m, _ in r.months] == ["2026-10", "2026-11", "2026-12"]
    trend = {m.key: (f.received, f.valid, f.due, f.on_time, f.late, f.missing, f.on_time_rate)
             for m, f in r.months}
    assert trend == {
        # O1 … O9, O4 invalid; settled O1 O2(late) O5 O6; missing O3 → 3 / 5
        "2026-10": (9, 8, 5, 3, 1, 1, 3 / 5),
        # as NOVEMBER above → 11 / 16
        "2026-11": (24, 21, 16, 11, 3, 2, 11 / 16),
        # D1; settled N16 (due Wed 2 Dec, on time); missing N8 (due again Tue 1 Dec 10:00,
        # past at NOW) → 1 / 2
        "2026-12": (1, 1, 2, 1, 0, 1, 1 / 2),
    }
    q = r.overall
    # 9 + 24 + 1 received, 8 + 21 + 1 valid; due 5 + 16 + 2, on time 3 + 11 + 1;
    # overdue: late 1 + 3 + 0, missing 1 + 2 + 1
    assert (q.received, q.valid, q.due, q.on_time, q.overdue) == (34, 30, 23, 15, 8)
    # resolved: October's 6 + November's 14; hours 168 + 455.5 over 20
    assert (q.resolved, q.resolve_n) == (20, 20)
    assert q.mean_hours == pytest.approx(623.5 / 20)
    # sorted: 1 1.5 2 21 24 25 28 28 28 [29 30] 33 34 35 42 43 46 51 56 66 → 10th and 11th
    assert q.median_hours == pytest.approx((29 + 30) / 2)
    # answers: October 1 + November 10; satisfied 1 + 6; sum 4 + 36
    assert (q.answers, q.satisfied, q.score_sum) == (11, 7, 40)
    # replied: 5 + 16; revisited 2 + 8
    assert (q.replied, q.revisited) == (21, 10)
    assert (q.appeals, q.extensions, q.repeats) == (2, 4, 3)
    # nothing before the quarter
    assert r.previous_overall.received == 0 and r.previous_overall.on_time_rate is None


# ---- the fixture itself ----------------------------------------------------------------------------------

def test_the_fixture_is_what_the_figures_assume(built):
    rows = built["rows"]
    assert [rows[k]["number"] for k in ("O1", "N1", "D1", "N24")] == [
        "TS-2026-000001", "TS-2026-000010", "TS-2026-000033", "TS-2026-000034"]
    state = {k: (r["status"], r["department"] or "", r["grade"], r["revisit_state"])
             for k, r in rows.items()}
    assert state == {
        "O1": ("replied", "QA", "II", "pending"),  # draw 0.63 < 0.8
        "O2": ("closed", "SVC", "M", "not-drawn"),  # draw 0.91 ≥ 0.2
        "O3": ("in_progress", "QA", "II", ""),
        "O4": ("invalid", "", "II", ""),
        "O5": ("closed", "QA", "I", "done"),
        "O6": ("closed", "SVC", "II", "done"),
        "O7": ("closed", "", "M", "not-drawn"),  # draw 0.58 ≥ 0.2
        "O8": ("logged", "", "M", ""),
        "O9": ("replied", "QA", "II", "pending"),  # draw 0.39 < 0.8
        "N1": ("closed", "QA", "II", "done"),
        "N2": ("closed", "QA", "II", "done"),
        "N3": ("closed", "QA", "M", "not-drawn"),  # draw 0.45 ≥ 0.2
        "N4": ("in_progress", "QA", "I", ""),
        "N5": ("replied", "QA", "II", "pending"),  # draw 0.45 < 0.8
        "N6": ("closed", "QA", "II", "done"),
        "N7": ("closed", "QA", "I", "done"),
        "N8": ("in_progress", "SVC", "II", ""),
        "N9": ("closed", "SVC", "II", "done"),
        "N10": ("closed", "SVC", "M", "not-drawn"),  # draw 0.39 ≥ 0.2
        "N11": ("in_progress", "SVC", "II", ""),
        "N12": ("closed", "SVC", "II", "done"),
        "N13": ("closed", "SVC", "I", "done"),
        "N14": ("invalid", "SVC", "M", ""),
        "N15": ("result_submitted", "SVC", "II", ""),
        "N16": ("result_submitted", "SVC", "II", ""),
        "N17": ("closed", "", "M", "not-drawn"),  # draw 0.41 ≥ 0.2
        "N18": ("logged", "", "M", ""),
        "N19": ("invalid", "", "II", ""),
        "N20": ("invalid", "", "I", ""),
        "N21": ("logged", "", "II", ""),
        "N22": ("replied", "SVC", "I", "pending"),
        "N23": ("closed", "QA", "M", "unreachable"),
        "D1": ("logged", "", "M", ""),
        "N24": ("closed", "", "M", "not-drawn"),  # draw 0.94 ≥ 0.2
    }
    assert (rows["N24"]["received_at"], rows["D1"]["received_at"]) == (
        _d(1, 7, 30), _d(1, 7, 30, m=12))
    assert {k for k, r in rows.items() if r["is_second"]} == {"N6", "N20", "N21", "N22"}
    assert {k: rows[k]["reopen_count"] for k in ("N7", "N8")} == {"N7": 1, "N8": 1}
    # The working minutes to resolve, as written in the docstring.
    hours = {k: r["resolve_minutes"] / 60 for k, r in rows.items()
             if r["status"] in ("replied", "closed")}
    assert hours == {"O1": 24, "O2": 46, "O5": 28, "O6": 43, "O7": 2, "O9": 25, "N1": 21,
                     "N2": 33, "N3": 51, "N5": 30, "N6": 28, "N7": 66, "N9": 29, "N10": 34,
                     "N12": 56, "N13": 42, "N17": 1.5, "N22": 35, "N23": 28, "N24": 1}
    # The deadlines the on-time figures rest on (an approved extension moved O6, N3, N12;
    # the refused one left N4's; the reassignment restarted N13's; a reopen reset N7's, N8's).
    dues = {k: rows[k]["result_due"] for k in ("O6", "N3", "N4", "N7", "N8", "N12", "N13")}
    assert dues == {"O6": _o(27, 11), "N3": _d(11, 11), "N4": _d(10, 11), "N7": _d(25, 10),
                    "N8": _d(1, 10, m=12), "N12": _d(20, 11), "N13": _d(23, 10)}
    assert {k: rows[k]["extension_requests"] for k in ("O6", "N3", "N4", "N12")} == {
        "O6": 1, "N3": 1, "N4": 1, "N12": 1}
