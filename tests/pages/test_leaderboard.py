"""DOMAIN §7 quarterly assessment and the service star, end to end on SQLite and PostgreSQL:
department scores and grades from known complaints, the employee ranking (the 5-resolved
minimum, penalties, ranks, the trend), the two-quarters flag, the breakdowns, closing
(frozen scores) and reopening, naming and changing the star, every role check, CSRF and the
403 / 409 / 422 refusals.

Clocks are fixed: complaints are walked through 2026-Q2 and 2026-Q3 with `now=`; the page's
clock is pinned to NOW (2026-11-24, in Q4, so Q3 is over and can be closed)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

import pytest

import pages.leaderboard.handlers as leaderboard_handlers
from db import assessment as store
from db.tables import (
    AssessmentEvent,
    AssessmentQuarter,
    AssessmentScore,
    ServiceStar,
    User,
)
from portal.assessment import Grade
from portal.cli import create_user
from portal.periods import quarter
from portal.workflow import Action, Viewer
from tests.deadline_support import POLICY, TZ, act, in_progress, local, logged

NOW = local(2026, 11, 24, 10)  # Tuesday, in 2026-Q4
Q2, Q3, Q4 = quarter(2026, 2), quarter(2026, 3), quarter(2026, 4)
RULES = POLICY.assessment
RESULT = {"cause": "来料不良", "solution": "为客户换新"}
QA2_NAME = "钱七"  # the extra QA handler's display name, as a complaint would name her


# -- fixtures and helpers ----------------------------------------------------------------------

@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setattr(leaderboard_handlers, "utcnow", lambda: NOW)


async def _deactivate(user_id: int) -> None:
    await User.update({User.is_active: False}).where(User.id == user_id)


@pytest.fixture
def staff(client, viewers):
    """The demo users plus a second QA handler (deactivated again afterwards, so other
    tests' audiences stay the demo's)."""
    uid = client.run(create_user, "lb.qa2", "demo-pass", "handler", "QA", QA2_NAME,
                     "lb.qa2@example.com")
    client.http.headers["Accept-Language"] = "en"  # the sentences below are the English ones
    yield {**viewers, "lb.qa2": Viewer(uid, "handler", "QA")}
    client.run(_deactivate, uid)


def weekdays(first: date):
    day = first
    while True:
        if day.weekday() < 5:
            yield local(day.year, day.month, day.day, 10)
        day += timedelta(days=1)


async def resolved(viewers, at, handler: str = "qa.staff", department: str = "QA",
                   late: bool = False, rating: int | None = None, callback: bool = False,
                   **overrides) -> dict:
    """Dispatched at `at`; the result by `handler` an hour later (or an hour after its
    deadline), signed off, verified and replied; then rated on a revisit call if asked."""
    prefix = "qa" if department == "QA" else "svc"
    row = await in_progress(viewers, at, department,
                            callback_requested=callback or rating is not None, **overrides)
    number = row["number"]
    submit = row["result_due"] + timedelta(hours=1) if late else at + timedelta(hours=1)
    await act(viewers, number, Action.SUBMIT_RESULT, handler, submit, **RESULT)
    await act(viewers, number, Action.SIGN_OFF, f"{prefix}.head", submit + timedelta(hours=1))
    await act(viewers, number, Action.VERIFY, "office", submit + timedelta(hours=2))
    row = await act(viewers, number, Action.REPLY, "office", submit + timedelta(hours=3),
                    reply="已处理")
    if rating is not None:
        row = await act(viewers, number, Action.REVISIT_ATTEMPT, "office",
                        submit + timedelta(days=1), outcome="reached", overall=rating,
                        speed=rating, attitude=rating, solved=rating >= 3, comments="")
    return row


async def q3_scenario(viewers) -> dict[str, list[str]]:
    """2026-Q3, known figures:
    - qa.staff resolves 6 for QA, the last one late; rated 5, 4 and 3 (3: unsatisfied); the
      4th waits for its revisit call (the customer asked for a call-back);
    - lb.qa2 resolves 5 for QA on time, rated 5 and 5; one valid Class II complaint names her
      (a Minor one and an invalid Class II one too, which do not count);
    - svc.staff resolves 4 for SVC on time: below the minimum of 5.
    QA: on time 10/11, satisfied 4/5, never reopened 11/11, no repeat → 89.8, pass.
    SVC: on time 4/4, no survey (left out), 4/4, no repeat → 100.0, excellent.
    lb.qa2: 40 + 40 + 20 × 5/6 − 5 = 91.7 (rank 1); qa.staff: 40 × 5/6 + 40 × 3/4 + 20 = 83.3."""
    days = weekdays(date(2026, 7, 6))
    out: dict[str, list[str]] = {"qa.staff": [], "lb.qa2": [], "svc.staff": [], "named": []}
    for i, rating in enumerate([5, 4, 3, None, None, None]):
        row = await resolved(viewers, next(days), "qa.staff", late=i == 5, rating=rating,
                             callback=i == 3)
        out["qa.staff"].append(row["number"])
    for rating in [5, 5, None, None, None]:
        row = await resolved(viewers, next(days), "lb.qa2", rating=rating)
        out["lb.qa2"].append(row["number"])
    for _i in range(4):
        row = await resolved(viewers, next(days), "svc.staff", "SVC")
        out["svc.staff"].append(row["number"])
    at = next(days)
    penalised = await logged(viewers, at, criteria=["II-4"], complained_person=QA2_NAME)
    await logged(viewers, at, criteria=["M-1"], complained_person=QA2_NAME)
    invalid = await logged(viewers, at, criteria=["II-4"], complained_person=QA2_NAME)
    await act(viewers, invalid["number"], Action.INVALID, "office", at + timedelta(minutes=5),
              kind="invalid", reason="非本公司员工")
    out["named"] = [penalised["number"], invalid["number"]]
    return out


async def q2_scenario(viewers) -> None:
    """2026-Q2: qa.staff resolves 5 on time (ranked first, 100.0); nobody else qualifies."""
    days = weekdays(date(2026, 5, 11))
    for _i in range(5):
        await resolved(viewers, next(days), "qa.staff")


async def failing(viewers, first: date) -> dict:
    """One SVC complaint: its result late, rated 3 → on time 0, satisfied 0 → 30.0, fail."""
    return await resolved(viewers, next(weekdays(first)), "svc.staff", "SVC", late=True,
                          rating=3)


def live(client, period=Q3):
    return client.run(store.assessment, period, RULES, TZ, NOW)


def page(client, username: str, key: str = "2026-Q3", htmx: bool = False) -> str:
    client.login(username)
    r = client.get(f"/leaderboard?quarter={key}", headers={"HX-Request": "true"} if htmx else {})
    assert r.status_code == 200, r.text
    return r.text


def row_of(html: str, attr: str, value) -> str:
    """The <tr …> of the row with data-{attr}="{value}", up to its </tr>."""
    found = re.search(rf'<tr[^>]*data-{attr}="{value}"[^>]*>.*?</tr>', html, re.S)
    assert found, f"no row with data-{attr}={value}"
    return unescape(found.group(0))


def rows(html: str, attr: str) -> list[str]:
    return re.findall(rf'<tr class="expandable" data-{attr}="([^"]+)"', html)


def post(client, key: str, action: str, data: dict | None = None, htmx: bool = False,
         csrf: bool = True):
    return client.post_form(f"/leaderboard/{key}/{action}", data or {}, htmx=htmx, csrf=csrf)


def flash_text(client) -> str:
    r = client.get("/leaderboard?quarter=2026-Q3")
    return unescape(" ".join(re.findall(r'class="flash[^"]*"[^>]*>(.*?)</p>', r.text, re.S)))


# -- scores, grades and ranks -----------------------------------------------------------------

def test_department_scores_and_grades_from_known_complaints(client, staff):
    client.run(q3_scenario, staff)
    result = live(client)
    qa, svc = result.department("QA"), result.department("SVC")
    assert (qa.score.total, qa.grade) == (89.8, Grade.PASS)
    assert {c.code: c.measure for c in qa.score.components} == pytest.approx(
        {"on_time": 10 / 11, "satisfaction": 0.8, "first_time": 1.0, "low_repeat": 1.0})
    assert (qa.due, qa.figures["on_time"], qa.figures["answers"], qa.figures["satisfied"]) == (
        11, 10, 5, 4)
    # SVC had no survey answer: satisfaction is left out and the rest scaled to 100.
    assert (svc.score.total, svc.grade) == (100.0, Grade.EXCELLENT)
    assert svc.score.component("satisfaction").measure is None
    assert svc.score.component("on_time").effective_weight == pytest.approx(35 * 100 / 65)
    # Nothing to measure: no score, no grade (never 0 and 不合格).
    assert result.department("TECH").score is None and result.department("TECH").grade is None
    assert not result.closed

    html = page(client, "cshead")
    assert 'data-state="open"' in html
    qa_row = row_of(html, "department", "QA")
    assert 'data-grade="pass"' in qa_row and "89.8" in qa_row
    assert 'data-grade="excellent"' in row_of(html, "department", "SVC")
    assert 'data-grade=""' in row_of(html, "department", "TECH")


def test_grades_read_in_chinese_by_default(client, staff):
    client.run(q3_scenario, staff)
    del client.http.headers["Accept-Language"]
    html = page(client, "cshead")
    assert 'lang="zh-CN"' in html
    assert ">合格<" in row_of(html, "department", "QA")
    assert ">优秀<" in row_of(html, "department", "SVC")


def test_ranking_minimum_penalties_and_ranks(client, staff):
    client.run(q3_scenario, staff)
    result = live(client)
    ranked = {e.user_id: e for e in result.ranked}
    qa2, qa = ranked[staff["lb.qa2"].id], ranked[staff["qa.staff"].id]
    assert (qa2.rank, qa2.score.total, qa2.score.penalty, qa2.figures["against"]) == (
        1, 91.7, 5.0, 1)
    assert (qa.rank, qa.score.total, qa.score.penalty) == (2, 83.3, 0.0)
    assert qa.mean_satisfaction == 4.0 and qa.on_time_rate == pytest.approx(5 / 6)
    assert qa2.score.component("volume").measure == pytest.approx(5 / 6)
    # Four resolved: below the policy's minimum of five, listed but not ranked.
    (svc,) = result.unranked
    assert (svc.user_id, svc.rank, svc.score, svc.figures["resolved"]) == (
        staff["svc.staff"].id, None, None, 4)

    html = page(client, "cshead")
    assert rows(html, "user") == [str(staff["lb.qa2"].id), str(staff["qa.staff"].id)]
    assert 'data-rank="1"' in row_of(html, "user", staff["lb.qa2"].id)
    assert "91.7" in row_of(html, "user", staff["lb.qa2"].id)
    assert "−5.0" in row_of(html, "user", staff["lb.qa2"].id)
    unranked = re.search(r'data-testid="unranked".*?</p>', html, re.S).group(0)
    assert f'data-user="{staff["svc.staff"].id}"' in unranked


def test_ties_share_a_rank(client, staff):
    days = weekdays(date(2026, 7, 6))

    async def build():
        for handler in ("qa.staff", "lb.qa2"):
            for _i in range(5):
                await resolved(staff, next(days), handler)

    client.run(build)
    assert sorted((e.rank, e.score.total) for e in live(client).ranked) == [(1, 100.0), (1, 100.0)]


def test_nobody_qualifies_is_explained(client, staff):
    client.run(resolved, staff, local(2026, 7, 7, 10), "qa.staff")
    html = page(client, "cshead")
    assert 'data-testid="nobody-ranked"' in html
    assert "at least 5 complaints resolved in the quarter" in unescape(html)
    assert 'data-testid="ranking"' not in html


def test_trend_against_the_previous_quarter(client, staff):
    client.run(q2_scenario, staff)
    client.run(q3_scenario, staff)
    before = live(client, Q2)
    assert [(e.user_id, e.rank, e.score.total) for e in before.ranked] == [
        (staff["qa.staff"].id, 1, 100.0)]
    html = page(client, "cshead")
    assert 'data-trend="down"' in row_of(html, "user", staff["qa.staff"].id)  # 1 → 2
    assert "was no. 1, 100.0" in row_of(html, "user", staff["qa.staff"].id)
    assert 'data-trend="new"' in row_of(html, "user", staff["lb.qa2"].id)
    # Closed, the previous quarter's trend reads its frozen ranks the same way.
    client.login("cshead")
    assert post(client, "2026-Q2", "close-quarter").status_code == 303
    assert 'data-trend="down"' in row_of(page(client, "cshead"), "user", staff["qa.staff"].id)


def test_a_department_failing_two_quarters_running_is_flagged(client, staff):
    client.run(failing, staff, date(2026, 5, 11))
    client.run(failing, staff, date(2026, 7, 7))
    result = live(client)
    svc = result.department("SVC")
    assert (svc.score.total, svc.grade, svc.previous.grade, svc.flagged) == (
        30.0, Grade.FAIL, Grade.FAIL, True)
    html = page(client, "cshead")
    assert 'data-testid="flag"' in row_of(html, "department", "SVC")
    # Once Q2 is closed, the flag reads Q2's frozen grade, not a live one.
    client.login("office")
    assert post(client, "2026-Q2", "close-quarter").status_code == 303

    async def regrade_frozen():
        await AssessmentScore.update({AssessmentScore.grade: "pass"}).where(
            (AssessmentScore.kind == "department") & (AssessmentScore.key == "SVC"))

    client.run(regrade_frozen)
    assert not live(client).department("SVC").flagged
    assert 'data-testid="flag"' not in row_of(page(client, "cshead"), "department", "SVC")


# -- breakdowns --------------------------------------------------------------------------------

def test_a_department_breakdown_lists_its_parts_and_complaints(client, staff):
    numbers = client.run(q3_scenario, staff)
    client.login("cshead")
    r = client.get("/leaderboard/departments/QA?quarter=2026-Q3", headers={"HX-Request": "true"})
    assert r.status_code == 200 and "<html" not in r.text  # a fragment for the table row
    html = unescape(r.text)
    assert 'data-testid="components"' in html
    assert all(f'data-part="{p}"' in html for p in ("on_time", "satisfaction", "first_time",
                                                     "low_repeat"))
    assert "10 of 11 results due in the quarter were submitted by their deadline" in html
    late = re.search(r'data-part="overdue".*?</section>', html, re.S).group(0)
    assert f'/complaints/{numbers["qa.staff"][5]}"' in late
    unsatisfied = re.search(r'data-part="unsatisfied".*?</section>', html, re.S).group(0)
    assert f'/complaints/{numbers["qa.staff"][2]}"' in unsatisfied  # rated 3
    assert numbers["qa.staff"][0] not in unsatisfied  # rated 5
    # Without htmx the same URL is a whole page.
    full = client.get("/leaderboard/departments/QA?quarter=2026-Q3")
    assert full.status_code == 200 and "<html" in full.text and 'data-testid="components"' in full.text
    assert client.get("/leaderboard/departments/NOPE?quarter=2026-Q3").status_code == 404


def test_a_person_breakdown_shows_the_penalty_and_its_complaints(client, staff):
    numbers = client.run(q3_scenario, staff)
    client.login("cshead")
    uid = staff["lb.qa2"].id
    r = client.get(f"/leaderboard/people/{uid}?quarter=2026-Q3", headers={"HX-Request": "true"})
    assert r.status_code == 200 and "<html" not in r.text
    html = unescape(r.text)
    assert "Rank 1 of 2 ranked." in html
    assert 'data-part="penalty"' in html and "−5.0" in html
    against = re.search(r'data-part="against".*?</section>', html, re.S).group(0)
    assert f'/complaints/{numbers["named"][0]}"' in against
    assert numbers["named"][1] not in against  # the invalid one
    late = client.get(f"/leaderboard/people/{staff['qa.staff'].id}?quarter=2026-Q3",
                      headers={"HX-Request": "true"}).text
    assert numbers["qa.staff"][5] in re.search(r'data-part="late".*?</section>', late, re.S).group(0)
    # Below the minimum: explained, not scored.
    svc = unescape(client.get(f"/leaderboard/people/{staff['svc.staff'].id}?quarter=2026-Q3").text)
    assert "Not ranked: 4 complaints resolved in the quarter, the ranking needs at least 5." in svc
    assert client.get(f"/leaderboard/people/{staff['clerk'].id}?quarter=2026-Q3").status_code == 404


# -- closing and reopening ---------------------------------------------------------------------

async def _reopen_by_answer(viewers, number: str) -> None:
    """After the close: the customer answers 1 on a revisit → the complaint is reopened, so
    it no longer counts as resolved (nor its result as on time) in Q3."""
    await act(viewers, number, Action.REVISIT_ATTEMPT, "office", NOW + timedelta(hours=1),
              outcome="reached", overall=1, speed=1, attitude=1, solved=False, comments="")


def test_closing_freezes_the_scores_and_reopening_computes_them_live(client, staff):
    numbers = client.run(q3_scenario, staff)
    client.login("office")
    r = post(client, "2026-Q3", "close-quarter")
    assert r.status_code == 303 and r.headers["location"] == "/leaderboard?quarter=2026-Q3"
    assert "Q3 2026 is closed" in flash_text(client)
    quarter_row = client.run(store.quarter_of, Q3)
    assert (quarter_row["status"], quarter_row["closed_by"]) == ("closed", staff["office"].id)
    stored = client.run(lambda: AssessmentScore.select().where(
        AssessmentScore.assessment == quarter_row["id"]))
    assert {(s["kind"], s["key"]) for s in stored} >= {
        ("department", "QA"), ("employee", str(staff["lb.qa2"].id))}

    # A complaint changes afterwards: live Q3 figures move, the closed quarter does not.
    client.run(_reopen_by_answer, staff, numbers["qa.staff"][3])
    frozen = live(client)
    assert frozen.closed and frozen.department("QA").score.total == 89.8
    assert frozen.employee(staff["qa.staff"].id).score.total == 83.3
    html = page(client, "cshead")
    assert 'data-state="closed"' in html and "89.8" in row_of(html, "department", "QA")
    breakdown = unescape(client.get("/leaderboard/departments/QA?quarter=2026-Q3",
                                    headers={"HX-Request": "true"}).text)
    assert "Frozen when the quarter was closed" in breakdown
    assert "10 of 11 results due in the quarter" in breakdown

    # Reopening: the CS head, with a reason; the scores are live again.
    r = post(client, "2026-Q3", "reopen-quarter", {"reason": "回访结果更正"})
    assert r.status_code == 303
    reopened = live(client)
    assert not reopened.closed
    qa = reopened.department("QA")
    # Reopened, it got new deadlines (in Q4): Q3 has one result due fewer, and one on time fewer.
    assert (qa.due, qa.figures["on_time"], qa.figures["resolved"]) == (10, 9, 10)
    assert qa.score.total < 89.8
    assert client.run(lambda: AssessmentScore.count().where(
        AssessmentScore.assessment == quarter_row["id"])) == 0
    events = client.run(store.events_of, quarter_row["id"])
    assert [(e["action"], e["reason"]) for e in events] == [("close", ""), ("reopen", "回访结果更正")]
    html = page(client, "cshead")
    assert 'data-state="open"' in html and "回访结果更正" in unescape(html)


def test_close_and_reopen_refusals(client, staff):
    client.login("cshead")
    # Q4 is still running on NOW.
    r = post(client, "2026-Q4", "close-quarter")
    assert r.status_code == 409
    assert "Q4 2026 has not ended yet" in unescape(r.text)
    assert client.run(lambda: AssessmentQuarter.count()) == 0
    # Reopening a quarter that is not closed.
    r = post(client, "2026-Q3", "reopen-quarter", {"reason": "x"})
    assert r.status_code == 409 and "nothing to reopen" in unescape(r.text)
    # Closing twice.
    assert post(client, "2026-Q3", "close-quarter").status_code == 303
    r = post(client, "2026-Q3", "close-quarter", htmx=True)
    assert r.status_code == 409 and "<html" not in r.text and "already closed" in unescape(r.text)
    # Reopening without a reason: 422, the form again, nothing changed.
    r = post(client, "2026-Q3", "reopen-quarter", {"reason": "  "}, htmx=True)
    assert r.status_code == 422
    assert "Give the reason for reopening the quarter." in unescape(r.text)
    assert client.run(store.quarter_of, Q3)["status"] == "closed"
    # A future quarter, an unknown action, a malformed quarter.
    assert post(client, "2027-Q2", "name-star", {"user": "1", "citation": "x"}).status_code == 409
    assert post(client, "2026-Q3", "delete-everything").status_code == 404
    assert post(client, "2026-13", "close-quarter").status_code == 404


def test_a_quarter_is_closed_once_whatever_the_race(client, staff):
    client.run(store.close, Q3, staff["office"].id, RULES, TZ, NOW, 4)
    with pytest.raises(store.Refused) as refused:
        client.run(store.close, Q3, staff["cshead"].id, RULES, TZ, NOW, 4)
    assert refused.value.reason == "closed"
    assert client.run(lambda: AssessmentEvent.count()) == 1


# -- the service star --------------------------------------------------------------------------

def test_naming_and_changing_the_star_keeps_the_history(client, staff):
    client.run(q3_scenario, staff)
    client.login("cshead")
    qa2, qa = staff["lb.qa2"].id, staff["qa.staff"].id
    html = page(client, "cshead")
    assert 'data-action="name-star"' in html and 'data-testid="no-star"' in html
    r = post(client, "2026-Q3", "name-star", {"user": str(qa2), "citation": "回访满意度全优",
                                              "replaces": ""})
    assert r.status_code == 303
    assert "钱七 is the service star of Q3 2026" in flash_text(client)
    (first,) = client.run(store.stars)
    assert (first["user"], first["named_by"], first["replaces"], first["current"]) == (
        qa2, staff["cshead"].id, None, True)

    # Changing it needs a reason: 422, nothing recorded.
    r = post(client, "2026-Q3", "name-star", {"user": str(qa), "citation": "处理量最大",
                                              "replaces": str(first["id"])}, htmx=True)
    assert r.status_code == 422 and "<html" not in r.text, unescape(r.text)[:3000]
    assert "give the reason for changing the award" in unescape(r.text)
    assert len(client.run(store.stars)) == 1
    # With a reason it is a new record that replaces the first, which stays in the history.
    r = post(client, "2026-Q3", "name-star", {"user": str(qa), "citation": "处理量最大",
                                              "reason": "钱七已调岗", "replaces": str(first["id"])},
             htmx=True)
    assert r.status_code == 200 and "<html" not in r.text
    assert "is the service star of Q3 2026" in unescape(r.text)
    records = client.run(store.stars)
    current = store.current_star(records, Q3)
    assert (current["user"], current["replaces"], current["reason"]) == (qa, first["id"], "钱七已调岗")
    assert [r["current"] for r in records] == [True, False]
    html = unescape(page(client, "cshead"))
    assert f'data-testid="star" data-user="{qa}"' in html
    history = re.search(r'data-testid="star-history".*?</table>', html, re.S).group(0)
    assert history.count("<tr data-quarter=\"2026-Q3\"") == 2
    assert "钱七已调岗" in history and "回访满意度全优" in history

    # Someone else changed it meanwhile: the stale form is refused, not applied.
    r = post(client, "2026-Q3", "name-star", {"user": str(qa2), "citation": "x",
                                              "reason": "y", "replaces": str(first["id"])})
    assert r.status_code == 409 and "Someone else recorded a service star" in unescape(r.text)
    r = post(client, "2026-Q3", "name-star", {"user": str(qa2), "citation": "x", "replaces": ""})
    assert r.status_code == 409
    assert len(client.run(store.stars)) == 2


def test_the_star_form_refuses_bad_input(client, staff):
    client.run(q3_scenario, staff)
    client.login("cshead")
    cases = [
        ({"user": "", "citation": "x"}, "Choose who is the service star of the quarter."),
        ({"user": str(staff["clerk"].id), "citation": "x"}, "Choose one of the listed employees."),
        ({"user": str(staff["lb.qa2"].id), "citation": "   "}, "Write the citation"),
    ]
    for data, message in cases:
        r = post(client, "2026-Q3", "name-star", {**data, "replaces": ""})
        assert r.status_code == 422, data
        assert message in unescape(r.text)
    assert client.run(store.stars) == []
    # Any active handler may be named, ranked or not (svc.staff is below the minimum).
    r = post(client, "2026-Q3", "name-star", {"user": str(staff["svc.staff"].id),
                                              "citation": "热线好评最多", "replaces": ""})
    assert r.status_code == 303


def test_one_chain_of_awards_per_quarter_in_the_database(client, staff):
    """The unique indexes: one first award per quarter, each award replaced at most once."""
    first = client.run(store.name_star, Q3, staff["qa.staff"].id, "a", "", None,
                       staff["cshead"].id, NOW)

    async def insert(**values):
        await ServiceStar.insert(ServiceStar(year=2026, quarter=3, user=staff["qa.staff"].id,
                                             citation="b", named_by=staff["cshead"].id,
                                             named_at=NOW, **values))

    with pytest.raises(Exception):  # noqa: B017,PT011 (sqlite3 or asyncpg's integrity error)
        client.run(insert)
    client.run(insert, replaces=first, reason="r")
    with pytest.raises(Exception):  # noqa: B017,PT011
        client.run(insert, replaces=first, reason="r2")
    with pytest.raises(store.Refused):
        client.run(store.name_star, Q3, staff["qa.staff"].id, "c", "", None,
                   staff["cshead"].id, NOW)


# -- roles and CSRF ----------------------------------------------------------------------------

@pytest.mark.parametrize("username,status", [
    ("cshead", 200), ("office", 200), ("qa.head", 200), ("svc.head", 200),
    ("qa.staff", 403), ("clerk", 403), ("admin", 403)])
def test_who_may_see_the_leaderboard(client, staff, username, status):
    client.login(username)
    assert client.get("/leaderboard").status_code == status
    assert client.get("/leaderboard/departments/QA").status_code in (status, 403)


def test_anonymous_visitors_are_sent_to_log_in(client, staff):
    r = client.get("/leaderboard")
    assert r.status_code in (302, 303) and "/login" in r.headers["location"]


def test_a_department_head_sees_only_their_department_and_staff(client, staff):
    client.run(q3_scenario, staff)
    html = page(client, "qa.head")
    assert rows(html, "department") == ["QA"]
    assert rows(html, "user") == [str(staff["lb.qa2"].id), str(staff["qa.staff"].id)]
    assert f'data-user="{staff["svc.staff"].id}"' not in html.split('data-testid="star"')[0]
    assert 'data-testid="scope"' in html
    assert 'data-action="close-quarter"' not in html and 'data-action="name-star"' not in html
    assert client.get("/leaderboard/departments/QA?quarter=2026-Q3").status_code == 200
    assert client.get("/leaderboard/departments/SVC?quarter=2026-Q3").status_code == 403
    assert client.get(f"/leaderboard/people/{staff['qa.staff'].id}?quarter=2026-Q3"
                      ).status_code == 200
    assert client.get(f"/leaderboard/people/{staff['svc.staff'].id}?quarter=2026-Q3"
                      ).status_code == 403
    svc = page(client, "svc.head")
    assert rows(svc, "department") == ["SVC"] and rows(svc, "user") == []
    assert f'data-user="{staff["svc.staff"].id}"' in svc  # below the minimum, still listed


@pytest.mark.parametrize("username,action,data", [
    ("office", "name-star", {"user": "1", "citation": "x"}),
    ("qa.head", "name-star", {"user": "1", "citation": "x"}),
    ("qa.head", "close-quarter", {}),
    ("office", "reopen-quarter", {"reason": "x"}),
    ("qa.head", "reopen-quarter", {"reason": "x"}),
    ("qa.staff", "close-quarter", {}),
])
def test_actions_are_refused_to_other_roles(client, staff, username, action, data):
    client.login(username)
    assert post(client, "2026-Q3", action, data).status_code == 403
    assert client.run(lambda: AssessmentQuarter.count()) == 0
    assert client.run(store.stars) == []


def test_posts_without_the_csrf_token_are_refused(client, staff):
    client.login("cshead")
    assert post(client, "2026-Q3", "close-quarter", csrf=False).status_code == 403
    r = post(client, "2026-Q3", "name-star", {"user": str(staff["qa.staff"].id),
                                              "citation": "x", "replaces": ""}, csrf=False)
    assert r.status_code == 403
    assert client.run(lambda: AssessmentQuarter.count()) == 0
    assert client.run(store.stars) == []


def test_the_page_offers_each_role_its_actions(client, staff):
    cshead = page(client, "cshead")
    assert 'data-action="close-quarter"' in cshead and 'data-action="name-star"' in cshead
    office = page(client, "office")
    assert 'data-action="close-quarter"' in office and 'data-action="name-star"' not in office
    running = page(client, "cshead", "2026-Q4")
    assert 'data-action="close-quarter"' not in running  # not over yet
    assert 'data-testid="unclosed-previous"' in running  # but Q3 is, and still open
    client.login("cshead")
    post(client, "2026-Q3", "close-quarter")
    closed = page(client, "cshead")
    assert 'data-action="reopen-quarter"' in closed and 'data-action="close-quarter"' not in closed
    assert 'data-action="reopen-quarter"' not in page(client, "office")
    assert 'data-testid="unclosed-previous"' not in page(client, "cshead", "2026-Q4")


def test_the_default_quarter_is_the_current_one(client, staff):
    html = page(client, "cshead", "")
    assert 'data-quarter="2026-Q4"' in html
    assert 'data-quarter="2026-Q4"' in page(client, "cshead", "2031-Q1")  # future: the current
    assert 'data-quarter="2026-Q4"' in page(client, "cshead", "garbage")
    assert 'data-quarter="2026-Q1"' in page(client, "cshead", "2026-q1")
