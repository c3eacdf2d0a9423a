"""DOMAIN §5 revisit (回访) and the emailed satisfaction survey, end to end on SQLite and
PostgreSQL: the auditable draw at the reply, the /revisits queue, phone attempts (three failed
calls close it), the emailed single-use link (delivered through a real in-process SMTP
server), the sweep's return to the phone queue after five days, the public /survey page,
reopening on a bad score up to the reopen cap, then the customer-service head; replayed,
expired, tampered and foreign links.

Clocks are fixed: commands get `now=`; the pages read their handler's clock, which the
`clock` fixture pins. 2026-11-24 is a Tuesday with no holiday in the following fortnight."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import re
from datetime import datetime, timedelta
from html import unescape

import httpx
import pytest

import pages.complaint.handlers as complaint_handlers
import pages.revisits.handlers as revisit_handlers
import pages.survey.handlers as survey_handlers
from db import revisits
from db.outbox import deliver
from db.sweep import sweep
from db.tables import OutboxEmail, RevisitAttempt, Survey
from portal.deadlines import Deadline, compute
from portal.mailer import SmtpTransport
from portal.revisit import draw
from portal.survey_token import make_token
from portal.workflow import Action
from tests.deadline_support import (
    BASE_URL,
    POLICY,
    TZ,
    act,
    audience,
    env,
    history,
    in_progress,
    local,
    logged,
    notifications,
    recipients,
    reload,
)
from tests.smtp_support import SmtpServer

T = local(2026, 11, 24, 10)  # Tuesday 10:00: dispatch
REPLY_AT = T + timedelta(hours=4)  # see replied(): result 11:00, sign-off, verify, reply 14:00
SENT = REPLY_AT + timedelta(days=1)  # Wednesday 14:00: the survey is emailed
RULES = POLICY.revisit
CUSTOMER_EMAIL = "kehu@example.com"
RESULT = {"cause": "来料不良", "solution": "为客户换新", "corrective_action": "",
          "compensation": None}
SATISFIED = {"overall": "4", "speed": "5", "attitude": "3", "solved": "yes",
             "comments": "处理及时"}
UNSATISFIED = {"overall": "1", "speed": "2", "attitude": "2", "solved": "no",
               "comments": "问题依旧"}


# -- helpers ----------------------------------------------------------------------------------

class PageClock:
    def __init__(self, now: datetime) -> None:
        self.now = now


@pytest.fixture
def clock(monkeypatch):
    """Pins the clock of the complaint page, the revisit queue and the survey page."""
    pinned = PageClock(SENT)
    for module in (complaint_handlers, revisit_handlers, survey_handlers):
        monkeypatch.setattr(module, "utcnow", lambda: pinned.now)
    return pinned


@pytest.fixture
def english(client):
    client.http.headers["Accept-Language"] = "en"
    return client


async def handled(viewers, number: str, at: datetime, department: str = "QA") -> dict:
    """From in progress: result at `at`, signed off, verified and replied an hour apart."""
    prefix = "qa" if department == "QA" else "svc"
    await act(viewers, number, Action.SUBMIT_RESULT, f"{prefix}.staff", at, **RESULT)
    await act(viewers, number, Action.SIGN_OFF, f"{prefix}.head", at + timedelta(hours=1))
    await act(viewers, number, Action.VERIFY, "office", at + timedelta(hours=2))
    return await act(viewers, number, Action.REPLY, "office", at + timedelta(hours=3),
                     reply="已为您换新")


async def replied(viewers, at: datetime = T, department: str = "QA",
                  customer_email: str = CUSTOMER_EMAIL, callback: bool = True,
                  **overrides) -> dict:
    """Dispatched at `at`, replied at `at` + 4 h; a call-back asked for, so always drawn."""
    row = await in_progress(viewers, at, department, customer_email=customer_email,
                            callback_requested=callback, **overrides)
    return await handled(viewers, row["number"], at + timedelta(hours=1), department)


async def spot_replied(viewers, at: datetime, callback: bool = False, **overrides) -> dict:
    """A Minor complaint resolved on the spot by the clerk at `at` (no department)."""
    row = await logged(viewers, at - timedelta(minutes=5), criteria=["M-1"],
                       callback_requested=callback, **overrides)
    return await act(viewers, row["number"], Action.RESOLVE_ON_SPOT, "clerk", at,
                     reply="当场退款")


async def attempts(complaint_id: int) -> list[dict]:
    return await RevisitAttempt.select().where(RevisitAttempt.complaint == complaint_id
                                               ).order_by(RevisitAttempt.id)


async def surveys(complaint_id: int) -> list[dict]:
    return await Survey.select().where(Survey.complaint == complaint_id).order_by(Survey.id)


async def customer_mail(address: str = CUSTOMER_EMAIL) -> list[dict]:
    return await OutboxEmail.select().where(OutboxEmail.recipient == address
                                            ).order_by(OutboxEmail.id)


def changes(event: dict) -> dict:
    return json.loads(event["changes"]) if event["changes"] else {}


def events(client, complaint_id: int, action: str | None = None) -> list[dict]:
    rows = client.run(history, complaint_id)
    return [e for e in rows if action is None or e["action"] == action]


def post_action(client, number: str, action: Action, **fields):
    row = client.run(reload, number)
    return client.post_form(f"/complaints/{number}/{action.value}",
                            {"version": row["version"], **fields})


def link_token(text: str) -> str:
    """The one survey link of an email (given in Chinese, then in English)."""
    found = set(re.findall(re.escape(BASE_URL) + r"/survey/([A-Za-z0-9_.\-]+)", text))
    assert len(found) == 1, text
    return found.pop()


def send_survey(client, number: str) -> str:
    """The office emails the survey from the complaint page; returns the link's token."""
    client.login("office")
    r = post_action(client, number, Action.SEND_SURVEY)
    assert r.status_code == 303, r.text
    return link_token(client.run(customer_mail)[-1]["body"])


def survey_page(client, token: str):
    """The customer's browser: no session, its own cookies."""
    client.http.cookies.clear()
    return client.get(f"/survey/{token}")


def csrf_of(html: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', html).group(1)


def answer(client, token: str, answers: dict, csrf: bool = True):
    """Opens the link in a fresh browser and sends the answers with the page's CSRF token
    (every survey page has one: the language switch is a form)."""
    page = survey_page(client, token)
    data = dict(answers)
    if csrf:
        data["_csrf_token"] = csrf_of(page.text)
    return client.post(f"/survey/{token}", data=data)


def numbers_listed(html: str) -> list[str]:
    return re.findall(r'<tr data-number="([^"]+)"', html)


def next_link(html: str) -> str | None:
    found = re.search(r'<a href="([^"]+)" rel="next"', html)
    return unescape(found.group(1)) if found else None


# -- the draw at the reply -------------------------------------------------------------------

DRAW_NOTE = re.compile(r"HMAC-SHA256\(key (\w+), (TS-\d{4}-\d{6})\) → (\d\.\d{6}) ([<≥]) "
                       r"(\d\.\d{2}) \(grade (\w+)\)(.*) → (revisit|no revisit)$")


def test_the_draw_is_recorded_with_its_inputs_and_both_branches_agree_with_draw(client,
                                                                                viewers):
    seen = {True: None, False: None}
    for i in range(15):  # Minor: 20 % drawn; the numbers are the same on every run
        row = client.run(spot_replied, viewers, T + timedelta(minutes=10 * i))
        expected = draw(RULES, row["number"], "M")
        (event,) = events(client, row["id"], "revisit-draw")
        found = DRAW_NOTE.match(event["note"])
        assert found, event["note"]
        key_id, number, value, sign, rate, grade, forced, outcome = found.groups()
        assert (key_id, number, grade, forced) == (RULES.key_id, row["number"], "M", "")
        assert float(value) == pytest.approx(expected.value, abs=1e-6)
        assert float(rate) == RULES.rates["M"] == 0.2
        assert (sign == "<") == expected.drawn == (outcome == "revisit")
        assert event["note"] == expected.record()
        assert event["actor"] is None and event["at"] == T + timedelta(minutes=10 * i)
        if expected.drawn:
            assert (row["status"], row["revisit_state"]) == ("replied", "pending")
            assert row["revisit_due"] == event["at"] + timedelta(days=RULES.due_days)
            assert changes(event) == {"revisit_state": [None, "pending"]}
        else:
            assert (row["status"], row["revisit_state"]) == ("closed", "not-drawn")
            assert row["revisit_due"] is None
            assert (event["from_status"], event["to_status"]) == ("replied", "closed")
            assert changes(event) == {"revisit_state": [None, "not-drawn"]}
        seen[expected.drawn] = seen[expected.drawn] or row["number"]
        if all(seen.values()):
            break
    assert all(seen.values()), "no complaint of each branch among the first numbers"


def test_a_requested_call_back_is_always_drawn_and_due_seven_days_after_the_reply(client,
                                                                                   viewers):
    row = client.run(replied, viewers, criteria=["M-1"])
    assert (row["status"], row["revisit_state"]) == ("replied", "pending")
    assert row["replied_at"] == REPLY_AT
    assert row["revisit_due"] == REPLY_AT + timedelta(days=7)
    assert row["revisit_attempts"] == 0 and row["reopen_count"] == 0
    actions = [e["action"] for e in events(client, row["id"])]
    assert actions[-2:] == ["reply", "revisit-draw"]
    note = events(client, row["id"], "revisit-draw")[0]["note"]
    assert "callback=yes" in note and note.endswith("→ revisit")
    assert note == draw(RULES, row["number"], "M", callback=True).record()


# -- the queue ----------------------------------------------------------------------------------

@pytest.mark.parametrize("username,status", [
    ("office", 200), ("cshead", 200), ("clerk", 403), ("qa.staff", 403), ("qa.head", 403),
    ("svc.head", 403), ("admin", 403)])
def test_only_the_office_and_the_cs_head_see_the_revisit_queue(client, viewers, username,
                                                              status):
    client.login(username)
    assert client.get("/revisits").status_code == status


def test_the_queue_lists_the_earliest_due_first_with_masked_contacts(client, viewers, clock,
                                                                     english):
    late = client.run(spot_replied, viewers, T + timedelta(days=1), callback=True,
                      customer_phone="13812345678", customer_email="")
    first = client.run(spot_replied, viewers, T - timedelta(days=3), callback=True,
                       customer_phone="13987654321", customer_email="")
    second = client.run(spot_replied, viewers, T, callback=True,
                        customer_phone="13711112222", customer_email="")
    skipped = client.run(spot_replied, viewers, T, callback=False)  # Minor, number 4
    assert skipped["revisit_state"] == "not-drawn"  # not in the queue
    clock.now = T + timedelta(days=7, hours=1)  # `first` and `second` are overdue
    client.login("office")
    r = client.get("/revisits")
    assert r.status_code == 200
    assert numbers_listed(r.text) == [first["number"], second["number"], late["number"]]
    overdue = re.findall(r'<tr data-number="([^"]+)" data-revisit-state="pending" '
                         r'class="is-overdue"', r.text)
    assert overdue == [first["number"], second["number"]]
    for phone in ("13812345678", "13987654321", "13711112222"):
        assert phone not in r.text
        assert f"{phone[:3]}****{phone[-4:]}" in r.text
    assert "Call the customer" in r.text


def test_the_queue_filters_by_grade_department_and_state(client, viewers, clock):
    minor = client.run(spot_replied, viewers, T, callback=True)  # no department
    qa = client.run(replied, viewers)
    # Another customer: the same address again would make a repeat complaint (rule I-7).
    svc = client.run(replied, viewers, department="SVC", customer_email="svc@example.com")
    client.login("office")

    def listed(query: str) -> set[str]:
        r = client.get(f"/revisits{query}")
        assert r.status_code == 200
        return set(numbers_listed(r.text))

    assert listed("") == {minor["number"], qa["number"], svc["number"]}
    assert listed("?grade=M") == {minor["number"]}
    assert listed("?grade=II") == {qa["number"], svc["number"]}
    assert listed("?department=QA") == {qa["number"]}
    assert listed("?department=SVC&grade=II") == {svc["number"]}
    assert listed("?grade=I") == set()

    send_survey(client, qa["number"])
    assert listed("?state=survey") == {qa["number"]}
    assert listed("?state=pending") == {minor["number"], svc["number"]}
    assert listed("?state=open") == listed("") == {minor["number"], qa["number"], svc["number"]}
    assert listed("?state=escalated") == set()
    r = client.get("/revisits?state=survey")
    assert 'data-revisit-state="survey"' in r.text
    # The CS head reads the same queue.
    client.login("cshead")
    assert listed("?state=survey") == {qa["number"]}


def test_the_queue_pages_with_a_cursor_without_gaps_or_repeats(client, viewers, clock):
    # 27 drawn complaints; the last eight share one reply instant, so the cursor must break
    # the tie by id across the page boundary (page size 25).
    made = []
    for i in range(27):
        at = T + timedelta(minutes=min(i, 19) * 10)
        made.append(client.run(spot_replied, viewers, at, callback=True)["number"])
    client.login("office")
    page1 = client.get("/revisits")
    first = numbers_listed(page1.text)
    assert first == made[:25]
    link = next_link(page1.text)
    assert link and link.startswith("?after=")
    page2 = client.get(f"/revisits{link}")
    assert page2.status_code == 200
    assert numbers_listed(page2.text) == made[25:]
    assert next_link(page2.text) is None
    # The filters travel with the cursor.
    link = next_link(client.get("/revisits?grade=M").text)
    assert link.startswith("?grade=M&after=")
    assert numbers_listed(client.get(f"/revisits{link}").text) == made[25:]
    # A broken cursor is ignored, not an error.
    assert numbers_listed(client.get("/revisits?after=rubbish").text) == made[:25]


def test_an_empty_queue_says_so(client, viewers, english):
    client.login("office")
    r = client.get("/revisits")
    assert r.status_code == 200
    assert 'data-testid="empty"' in r.text
    assert "Nothing to do here: no revisit is waiting." in r.text
    assert "No revisits match these filters." in client.get("/revisits?grade=I").text


# -- phone attempts ----------------------------------------------------------------------------

def test_three_failed_calls_close_the_revisit_as_unreachable(client, viewers, clock):
    row = client.run(replied, viewers)
    number = row["number"]
    client.login("office")
    for i, outcome in enumerate(("no-answer", "wrong-number")):
        clock.now = SENT + timedelta(hours=i)
        r = post_action(client, number, Action.REVISIT_ATTEMPT, outcome=outcome,
                        note=f"第{i + 1}次")
        assert r.status_code == 303, r.text
        after = client.run(reload, number)
        assert (after["status"], after["revisit_state"]) == ("replied", "pending")
        assert after["revisit_attempts"] == i + 1
    page = client.get(f"/complaints/{number}")
    assert 'data-testid="failed-calls">2 / 3' in page.text
    clock.now = SENT + timedelta(hours=2)
    assert post_action(client, number, Action.REVISIT_ATTEMPT, outcome="no-answer"
                       ).status_code == 303
    after = client.run(reload, number)
    assert (after["status"], after["revisit_state"]) == ("closed", "unreachable")
    assert after["revisit_attempts"] == 3 and after["satisfaction"] is None
    calls = client.run(attempts, row["id"])
    assert [(a["outcome"], a["agent"], a["at"]) for a in calls] == [
        ("no-answer", viewers["office"].id, SENT), ("wrong-number", viewers["office"].id,
                                                    SENT + timedelta(hours=1)),
        ("no-answer", viewers["office"].id, SENT + timedelta(hours=2))]
    assert [a["note"] for a in calls] == ["第1次", "第2次", ""]
    rows = events(client, row["id"], "revisit-attempt")
    assert [changes(e)["outcome"] for e in rows] == [
        [None, "no-answer"], [None, "wrong-number"], [None, "no-answer"]]
    assert [changes(e)["revisit_attempts"] for e in rows] == [[0, 1], [1, 2], [2, 3]]
    assert changes(rows[-1])["revisit_state"] == ["pending", "unreachable"]
    assert (rows[-1]["from_status"], rows[-1]["to_status"]) == ("replied", "closed")
    assert [e["actor"] for e in rows] == [viewers["office"].id] * 3
    page = client.get(f"/complaints/{number}", headers={"Accept-Language": "en"}).text
    assert 'data-revisit-state="unreachable"' in page and "Revisit draw" in page
    assert page.count('<li data-outcome="') == 3
    # It has left the queue, and no more calls are taken.
    assert row["number"] not in numbers_listed(client.get("/revisits").text)
    assert post_action(client, number, Action.REVISIT_ATTEMPT, outcome="no-answer"
                       ).status_code == 409
    assert len(client.run(attempts, row["id"])) == 3


def test_a_satisfied_customer_on_the_phone_closes_the_complaint(client, viewers, clock):
    row = client.run(replied, viewers)
    client.login("office")
    r = post_action(client, row["number"], Action.REVISIT_ATTEMPT, outcome="reached",
                    note="客户很满意", **SATISFIED)
    assert r.status_code == 303, r.text
    after = client.run(reload, row["number"])
    assert (after["status"], after["revisit_state"]) == ("closed", "done")
    assert after["satisfaction"] == 4 and after["reopen_count"] == 0
    assert after["version"] == row["version"] + 1
    (call,) = client.run(attempts, row["id"])
    assert (call["outcome"], call["note"], call["at"]) == ("reached", "客户很满意", SENT)
    (survey,) = client.run(surveys, row["id"])
    assert survey["channel"] == "phone" and survey["answered_by"] == viewers["office"].id
    assert (survey["overall"], survey["speed"], survey["attitude"], survey["solved"],
            survey["comments"]) == (4, 5, 3, True, "处理及时")
    assert survey["answered_at"] == survey["used_at"] == SENT and survey["round"] == 0
    (event,) = events(client, row["id"], "revisit-attempt")
    assert (event["from_status"], event["to_status"]) == ("replied", "closed")
    assert changes(event)["overall"] == [None, 4]
    assert changes(event)["satisfaction"] == [None, 4]
    assert changes(event)["revisit_state"] == ["pending", "done"]
    page = client.get(f"/complaints/{row['number']}")
    assert 'data-testid="satisfaction">4' in page.text
    assert 'data-survey-channel="phone"' in page.text


@pytest.mark.parametrize("overall,status,revisit_state,reopen_count", [
    ("3", "closed", "done", 0), ("2", "in_progress", "", 1)])
def test_on_the_phone_overall_3_closes_and_2_reopens(client, viewers, clock, overall, status,
                                                      revisit_state, reopen_count):
    row = client.run(replied, viewers)
    client.login("office")
    r = post_action(client, row["number"], Action.REVISIT_ATTEMPT, outcome="reached",
                    **{**SATISFIED, "overall": overall})
    assert r.status_code == 303
    after = client.run(reload, row["number"])
    assert (after["status"], after["revisit_state"], after["reopen_count"]) == (
        status, revisit_state, reopen_count)
    assert after["satisfaction"] == int(overall) and after["department"] == "QA"


def test_a_reached_call_without_the_overall_score_changes_nothing(client, viewers, clock):
    row = client.run(replied, viewers)
    client.login("office")
    answers = {k: v for k, v in SATISFIED.items() if k != "overall"}
    r = post_action(client, row["number"], Action.REVISIT_ATTEMPT, outcome="reached",
                    **answers)
    assert r.status_code == 422
    r = post_action(client, row["number"], Action.REVISIT_ATTEMPT, outcome="called")
    assert r.status_code == 422
    r = post_action(client, row["number"], Action.REVISIT_ATTEMPT, outcome="reached",
                    **{**SATISFIED, "overall": "9"})
    assert r.status_code == 422
    after = client.run(reload, row["number"])
    assert (after["version"], after["status"], after["revisit_state"]) == (
        row["version"], "replied", "pending")
    assert after["revisit_attempts"] == 0 and after["satisfaction"] is None
    assert client.run(attempts, row["id"]) == []
    assert client.run(surveys, row["id"]) == []
    assert events(client, row["id"], "revisit-attempt") == []


def test_only_the_office_calls_and_only_while_the_revisit_is_open(client, viewers, clock):
    row = client.run(replied, viewers)
    for username in ("qa.staff", "qa.head", "clerk"):
        client.login(username)
        r = post_action(client, row["number"], Action.REVISIT_ATTEMPT, outcome="no-answer")
        assert r.status_code in (403, 404), username
    not_drawn = client.run(spot_replied, viewers, T)
    assert not_drawn["revisit_state"] == "not-drawn"  # number 2, Minor: see the draw test
    client.login("office")
    r = post_action(client, not_drawn["number"], Action.REVISIT_ATTEMPT, outcome="no-answer")
    assert r.status_code == 409
    assert client.run(attempts, row["id"]) == []


# -- the emailed survey ----------------------------------------------------------------------

@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def test_send_survey_is_offered_only_with_an_email_address(client, viewers, clock):
    with_email = client.run(replied, viewers)
    without = client.run(replied, viewers, customer_email="")
    client.login("office")
    assert 'data-action="send-survey"' in client.get(f"/complaints/{with_email['number']}").text
    page = client.get(f"/complaints/{without['number']}").text
    assert 'data-action="send-survey"' not in page
    assert 'data-action="revisit-attempt"' in page
    r = post_action(client, without["number"], Action.SEND_SURVEY)
    assert r.status_code == 409
    after = client.run(reload, without["number"])
    assert (after["revisit_state"], after["version"]) == ("pending", without["version"])
    assert client.run(surveys, without["id"]) == []
    # Not for the departments either.
    client.login("qa.head")
    assert 'data-action="send-survey"' not in client.get(
        f"/complaints/{with_email['number']}").text
    assert post_action(client, with_email["number"], Action.SEND_SURVEY).status_code == 403


def test_the_survey_email_carries_a_working_link_and_comes_back_after_five_days(
        client, viewers, clock, smtp):
    row = client.run(replied, viewers)
    client.run(lambda: OutboxEmail.delete(force=True))  # the notices of the handling
    client.login("office")
    clock.now = SENT
    assert post_action(client, row["number"], Action.SEND_SURVEY).status_code == 303
    after = client.run(reload, row["number"])
    assert after["status"] == "replied" and after["revisit_state"] == "survey"
    assert after["survey_return_at"] == SENT + timedelta(days=5)
    assert after["revisit_due"] == row["revisit_due"]
    (survey,) = client.run(surveys, row["id"])
    assert (survey["channel"], survey["recipient"], survey["sent_by"], survey["sent_at"]) == (
        "email", CUSTOMER_EMAIL, viewers["office"].id, SENT)
    assert survey["expires_at"] == SENT + timedelta(days=14) and survey["used_at"] is None
    (event,) = events(client, row["id"], "send-survey")
    assert changes(event)["revisit_state"] == ["pending", "survey"]
    (mail,) = client.run(customer_mail)
    assert row["number"] in mail["subject"]
    assert row["customer_name"] not in mail["body"] and row["customer_phone"] not in mail["body"]

    # Out through a real SMTP server; the customer clicks the link in what arrives.
    transport = SmtpTransport(f"smtp://127.0.0.1:{smtp.port}", "portal@test", timeout=5)
    assert client.run(deliver, transport, SENT).sent == 1
    (envelope,) = smtp.envelopes
    assert envelope.rcpt_tos == [CUSTOMER_EMAIL]
    message = email.message_from_bytes(envelope.original_content or envelope.content,
                                       policy=email.policy.default)
    body = message.get_body(("plain",)).get_content()
    assert f"{BASE_URL}/survey/" in body
    token = link_token(body)
    assert token == link_token(mail["body"])
    assert survey_page(client, token).status_code == 200

    # The sweep: four days on, nothing; five days on, back to the phone queue.
    for now in (SENT + timedelta(days=4), SENT + timedelta(days=5) - timedelta(seconds=1)):
        assert client.run(sweep, now, env()).surveys_returned == 0
        assert client.run(reload, row["number"])["revisit_state"] == "survey"
    result = client.run(sweep, SENT + timedelta(days=5), env())
    assert result.surveys_returned == 1
    back = client.run(reload, row["number"])
    assert (back["status"], back["revisit_state"], back["survey_return_at"]) == (
        "replied", "pending", None)
    assert back["version"] == after["version"] + 1
    (returned,) = events(client, row["id"], "survey-returned")
    assert returned["at"] == SENT + timedelta(days=5) and returned["actor"] is None
    assert changes(returned) == {"revisit_state": ["survey", "pending"]}
    assert client.run(sweep, SENT + timedelta(days=6), env()).surveys_returned == 0
    client.login("office")
    clock.now = SENT + timedelta(days=5, hours=1)
    assert row["number"] in numbers_listed(client.get("/revisits?state=pending").text)
    page = client.get(f"/complaints/{row['number']}", headers={"Accept-Language": "en"}).text
    assert "Email survey unanswered: back to the phone queue" in page
    assert "not answered yet; the link works until" in page
    assert 'data-action="send-survey"' in page  # a new one may be sent

    # The link keeps working until it expires, and the answer still counts.
    r = answer(client, token, SATISFIED)
    assert r.status_code == 200, r.text
    assert 'data-testid="survey-thanks"' in r.text
    done = client.run(reload, row["number"])
    assert (done["status"], done["revisit_state"], done["satisfaction"]) == ("closed", "done", 4)


def test_the_survey_page_shows_the_number_and_date_only(client, viewers, clock):
    other = client.run(replied, viewers, customer_name="李四", customer_email="ls@example.com")
    row = client.run(replied, viewers, customer_name="王芳", customer_phone="13600001111",
                     customer_address="北京市海淀区中关村大街1号", description="热水壶底座漏电冒烟",
                     product="电热水壶")
    token = send_survey(client, row["number"])
    r = survey_page(client, token)
    assert r.status_code == 200
    assert 'data-testid="survey-complaint"' in r.text
    assert row["number"] in r.text
    assert row["received_at"].astimezone(TZ).strftime("%Y-%m-%d") in r.text
    for private in ("王芳", "13600001111", CUSTOMER_EMAIL, "北京市海淀区", "热水壶底座漏电冒烟",
                    other["number"], "李四", "ls@example.com", "来料不良", "为客户换新"):
        assert private not in r.text, private
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["referrer-policy"] == "no-referrer"
    for name in ("overall", "speed", "attitude"):
        values = re.findall(rf'<input[^>]*name="{name}"[^>]*>', r.text)
        assert sorted(re.search(r'value="(\d)"', v).group(1) for v in values) == list("12345")
        assert all('type="radio"' in v for v in values)
    solved = re.findall(r'<input[^>]*name="solved"[^>]*>', r.text)
    assert sorted(re.search(r'value="(\w+)"', v).group(1) for v in solved) == ["no", "yes"]
    assert re.search(r'<textarea[^>]*name="comments"', r.text)
    assert re.search(r'name="_csrf_token" value="[^"]+"', r.text)
    assert f'action="/survey/{token}"' in r.text
    assert "portal_session" not in client.cookies


def test_the_survey_page_speaks_the_browsers_language(client, viewers, clock):
    row = client.run(replied, viewers)
    token = send_survey(client, row["number"])
    r = survey_page(client, token)
    assert '<html lang="zh-CN">' in r.text
    client.http.headers["Accept-Language"] = "en"
    r = survey_page(client, token)
    assert '<html lang="en">' in r.text
    assert "Overall, how satisfied are you with the result?" in r.text  # the policy's wording


def test_the_survey_page_switches_language_without_logging_in(client, viewers, clock):
    row = client.run(replied, viewers)
    token = send_survey(client, row["number"])
    page = survey_page(client, token)
    assert '<html lang="zh-CN">' in page.text
    r = client.post("/lang", data={"lang": "en", "next": f"/survey/{token}",
                                   "_csrf_token": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["location"] == f"/survey/{token}"
    r = client.get(f"/survey/{token}")
    assert r.status_code == 200 and '<html lang="en">' in r.text


def test_the_survey_form_needs_the_csrf_token_and_the_required_answers(client, viewers, clock):
    row = client.run(replied, viewers)
    token = send_survey(client, row["number"])
    before = client.run(reload, row["number"])
    r = answer(client, token, SATISFIED, csrf=False)
    assert r.status_code == 403
    r = answer(client, token, {"comments": "只写了意见"})
    assert r.status_code == 422
    assert 'data-question="overall"' in r.text and 'class="error"' in r.text
    r = answer(client, token, {**SATISFIED, "overall": "7"})
    assert r.status_code == 422
    r = answer(client, token, {k: v for k, v in SATISFIED.items() if k != "solved"})
    assert r.status_code == 422
    after = client.run(reload, row["number"])
    assert (after["version"], after["status"], after["revisit_state"]) == (
        before["version"], "replied", "survey")
    (survey,) = client.run(surveys, row["id"])
    assert survey["used_at"] is None and survey["overall"] is None
    # The link still works, and a complete answer goes in.
    r = answer(client, token, {**SATISFIED, "comments": ""})
    assert r.status_code == 200


def test_a_satisfied_answer_closes_the_complaint(client, viewers, clock):
    row = client.run(replied, viewers)
    token = send_survey(client, row["number"])
    clock.now = SENT + timedelta(hours=3)
    r = answer(client, token, SATISFIED)
    assert r.status_code == 200
    after = client.run(reload, row["number"])
    assert (after["status"], after["revisit_state"], after["satisfaction"]) == (
        "closed", "done", 4)
    assert after["survey_return_at"] is None and after["version"] == row["version"] + 2
    (survey,) = client.run(surveys, row["id"])
    assert (survey["overall"], survey["speed"], survey["attitude"], survey["solved"],
            survey["comments"]) == (4, 5, 3, True, "处理及时")
    assert survey["used_at"] == survey["answered_at"] == SENT + timedelta(hours=3)
    assert survey["answered_by"] is None
    (event,) = events(client, row["id"], "survey-answered")
    assert (event["actor"], event["from_status"], event["to_status"]) == (None, "replied",
                                                                          "closed")
    assert event["note"] == "处理及时"
    assert changes(event)["revisit_state"] == ["survey", "done"]
    assert changes(event)["overall"] == [None, 4]
    assert not [n for n in client.run(notifications, row["id"]) if n["kind"] in (
        "reopened", "revisit_escalated")]


def test_an_unsatisfied_answer_reopens_the_complaint_to_its_department(client, viewers, clock):
    row = client.run(replied, viewers)
    token = send_survey(client, row["number"])
    answered_at = SENT + timedelta(hours=3)  # Wednesday 17:00
    clock.now = answered_at
    r = answer(client, token, UNSATISFIED)
    assert r.status_code == 200
    after = client.run(reload, row["number"])
    assert (after["status"], after["department"], after["reopen_count"]) == (
        "in_progress", "QA", 1)
    assert (after["revisit_state"], after["revisit_due"], after["satisfaction"]) == ("", None, 1)
    cal = client.run(env().calendar)
    dues = compute(POLICY.deadlines, after["grade"], after["urgent"], answered_at, cal)
    assert after["result_due"] == dues[Deadline.RESULT] > answered_at
    assert after["cap_due"] == dues[Deadline.CAP]
    assert after["result_due"] != row["result_due"] and after["clock_start"] == answered_at
    assert after["signed_off_at"] is None and after["verified_at"] is None
    assert after["next_due"] == after["result_due"]
    (event,) = events(client, row["id"], "survey-answered")
    assert (event["from_status"], event["to_status"]) == ("replied", "in_progress")
    assert changes(event)["reopen_count"] == [0, 1]
    assert changes(event)["revisit_state"] == ["survey", ""]
    assert datetime.fromisoformat(changes(event)["result_due"][1]) == after["result_due"]
    who = client.run(audience)
    notes = client.run(notifications, row["id"])
    assert recipients(notes, "reopened") == sorted(who.heads["QA"] + who.office)
    assert not set(recipients(notes, "reopened")) & set(who.handlers["QA"])
    # The department finds it in its inbox again, with the customer's answer on the page.
    client.login("qa.staff")
    assert row["number"] in client.get("/inbox").text
    page = client.get(f"/complaints/{row['number']}", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "Survey answered by the customer" in page.text and "问题依旧" in page.text
    assert 'data-testid="reopen-count">1 / 2' in page.text
    assert 'data-action="submit-result"' in page.text
    # The new result deadline is watched: its reminder goes to the handler who has it.
    assert answered_at < after["next_alert_at"] < after["result_due"]
    client.run(sweep, after["next_alert_at"], env())
    reminders = [n for n in client.run(notifications, row["id"]) if n["kind"] == "reminder"]
    assert [n["user"] for n in reminders] == [viewers["qa.staff"].id]
    assert {n["detail"] for n in reminders} == {"result"}
    client.login("office")
    assert row["number"] not in numbers_listed(client.get("/revisits").text)


def test_a_complaint_resolved_on_the_spot_reopens_to_the_office_for_dispatch(client, viewers,
                                                                             clock):
    row = client.run(spot_replied, viewers, T, callback=True, customer_email=CUSTOMER_EMAIL)
    assert (row["department"], row["revisit_state"]) == (None, "pending")
    token = send_survey(client, row["number"])
    clock.now = SENT + timedelta(hours=1)
    assert answer(client, token, UNSATISFIED).status_code == 200
    after = client.run(reload, row["number"])
    assert (after["status"], after["department"], after["reopen_count"]) == ("logged", None, 1)
    assert after["revisit_state"] == "" and after["satisfaction"] == 1
    (event,) = events(client, row["id"], "survey-answered")
    assert (event["from_status"], event["to_status"]) == ("replied", "logged")
    who = client.run(audience)
    assert recipients(client.run(notifications, row["id"]), "reopened") == who.office
    client.login("office")
    assert row["number"] in client.get("/triage").text
    # Not to be settled on the spot again: the clerk is not offered it and is refused.
    client.login("clerk")
    assert 'data-action="resolve-on-spot"' not in client.get(f"/complaints/{row['number']}").text
    refused = post_action(client, row["number"], Action.RESOLVE_ON_SPOT, reply="再次当场处理")
    assert refused.status_code == 409
    assert client.run(reload, row["number"])["version"] == after["version"]
    # The office dispatches it; the department handles it; the reply is drawn again.
    number = row["number"]
    client.run(act, viewers, number, Action.DISPATCH, "office", SENT + timedelta(hours=2),
               department="QA")
    for i, step in enumerate((Action.ACKNOWLEDGE, Action.START)):
        client.run(act, viewers, number, step, "qa.staff", SENT + timedelta(hours=2, minutes=i + 1))
    client.run(act, viewers, number, Action.CONTACT, "qa.staff",
               SENT + timedelta(hours=2, minutes=3), note="已联系客户")
    again = client.run(handled, viewers, number, SENT + timedelta(hours=3))
    assert (again["status"], again["revisit_state"], again["department"]) == (
        "replied", "pending", "QA")
    assert "reopened=yes" in events(client, row["id"], "revisit-draw")[-1]["note"]


# -- the reopen cap ------------------------------------------------------------------------------

def test_after_the_last_reopen_an_unsatisfied_customer_goes_to_the_cs_head(client, viewers,
                                                                           clock):
    assert RULES.reopen_limit == 2
    # No call-back: number 1 is drawn by chance as Class II (0.63 < 0.80), not as Minor.
    row = client.run(replied, viewers, callback=False)
    number = row["number"]
    assert row["revisit_state"] == "pending"
    assert events(client, row["id"], "revisit-draw")[-1]["note"] == draw(
        RULES, number, "II").record()
    assert not draw(RULES, number, "M").drawn

    # 1st bad score, by email: reopened.
    token = send_survey(client, number)
    clock.now = SENT + timedelta(hours=1)
    assert answer(client, token, UNSATISFIED).status_code == 200
    assert client.run(reload, number)["reopen_count"] == 1

    # Re-graded Minor and handled again: the next reply is drawn although chance says no,
    # because the complaint was reopened.
    client.run(act, viewers, number, Action.REGRADE, "office", SENT + timedelta(hours=1, minutes=5),
               grade="M", urgent=None, reason="客户同意按一般投诉处理")
    second = client.run(handled, viewers, number, SENT + timedelta(hours=2))
    assert (second["status"], second["revisit_state"]) == ("replied", "pending")
    assert second["revisit_due"] == SENT + timedelta(hours=5, days=7)
    note = events(client, row["id"], "revisit-draw")[-1]["note"]
    assert note == draw(RULES, number, "M", reopened=True).record()
    assert "≥ 0.20 (grade M) reopened=yes → revisit" in note

    # 2nd bad score, by phone: reopened again.
    clock.now = SENT + timedelta(hours=6)
    client.login("office")
    r = post_action(client, number, Action.REVISIT_ATTEMPT, outcome="reached", **UNSATISFIED)
    assert r.status_code == 303
    after = client.run(reload, number)
    assert (after["status"], after["reopen_count"]) == ("in_progress", 2)
    rounds = [s["round"] for s in client.run(surveys, row["id"])]
    assert rounds == [0, 1]

    # Handled a third time; the 3rd bad score no longer reopens.
    client.run(handled, viewers, number, SENT + timedelta(days=1))  # replied Thu 17:00
    clock.now = SENT + timedelta(days=1, hours=4)
    token = send_survey(client, number)
    clock.now = SENT + timedelta(days=1, hours=5)
    assert answer(client, token, UNSATISFIED).status_code == 200
    after = client.run(reload, number)
    assert (after["status"], after["revisit_state"], after["reopen_count"]) == (
        "replied", "escalated", 2)
    assert after["satisfaction"] == 1
    who = client.run(audience)
    notes = client.run(notifications, row["id"])
    assert recipients(notes, "revisit_escalated") == who.cshead
    assert len(recipients(notes, "reopened")) == 2 * len(who.heads["QA"] + who.office)

    # It waits on the CS head's tab; the office may not settle it.
    client.login("cshead")
    assert numbers_listed(client.get("/revisits?state=escalated").text) == [number]
    client.login("office")
    page = client.get(f"/complaints/{number}").text
    assert 'data-action="close-revisit"' not in page
    assert 'data-action="revisit-attempt"' not in page
    assert post_action(client, number, Action.CLOSE_REVISIT, note="已沟通").status_code == 403
    assert post_action(client, number, Action.REVISIT_ATTEMPT, outcome="no-answer"
                       ).status_code == 409

    client.login("cshead")
    assert 'data-action="close-revisit"' in client.get(f"/complaints/{number}").text
    assert post_action(client, number, Action.CLOSE_REVISIT).status_code == 422  # note needed
    assert client.run(reload, number)["status"] == "replied"
    r = post_action(client, number, Action.CLOSE_REVISIT, note="客服经理上门致歉，客户接受")
    assert r.status_code == 303
    closed = client.run(reload, number)
    assert (closed["status"], closed["revisit_state"]) == ("closed", "done")
    (event,) = events(client, row["id"], "close-revisit")
    assert event["note"] == "客服经理上门致歉，客户接受"
    assert event["actor"] == viewers["cshead"].id
    assert changes(event)["revisit_state"] == ["escalated", "done"]
    assert numbers_listed(client.get("/revisits?state=escalated").text) == []


# -- replay, expiry and forged links -----------------------------------------------------------

def test_a_link_answers_once(client, viewers, clock):
    row = client.run(replied, viewers)
    token = send_survey(client, row["number"])
    client.http.headers["Accept-Language"] = "en"
    page = survey_page(client, token)
    csrf = csrf_of(page.text)
    first = client.post(f"/survey/{token}", data={**SATISFIED, "_csrf_token": csrf})
    assert first.status_code == 200
    # The second tab, with the same form.
    again = client.post(f"/survey/{token}", data={**UNSATISFIED, "_csrf_token": csrf})
    assert again.status_code == 410
    assert 'data-reason="used"' in again.text and "already been answered" in again.text
    assert row["number"] not in again.text
    later = survey_page(client, token)
    assert later.status_code == 410 and 'data-reason="used"' in later.text
    assert row["number"] not in later.text
    (survey,) = client.run(surveys, row["id"])
    assert survey["overall"] == 4
    after = client.run(reload, row["number"])
    assert (after["status"], after["satisfaction"], after["reopen_count"]) == ("closed", 4, 0)
    assert len(events(client, row["id"], "survey-answered")) == 1


def test_two_simultaneous_answers_are_recorded_once(client, viewers, clock):
    row = client.run(replied, viewers)
    token = send_survey(client, row["number"])
    now = SENT + timedelta(hours=1)

    async def both():
        return await asyncio.gather(
            revisits.answer_survey(token, {"overall": 1, "speed": 1, "attitude": 1,
                                           "solved": False, "comments": "A"}, now, env()),
            revisits.answer_survey(token, {"overall": 5, "speed": 5, "attitude": 5,
                                           "solved": True, "comments": "B"}, now, env()))

    states = client.run(both)
    assert sorted(states) == sorted([revisits.SurveyLink.OPEN, revisits.SurveyLink.USED])
    (survey,) = client.run(surveys, row["id"])
    assert survey["comments"] in ("A", "B")
    after = client.run(reload, row["number"])
    (event,) = events(client, row["id"], "survey-answered")
    if survey["comments"] == "A":
        assert (after["status"], after["reopen_count"], after["satisfaction"]) == (
            "in_progress", 1, 1)
    else:
        assert (after["status"], after["reopen_count"], after["satisfaction"]) == (
            "closed", 0, 5)
    assert after["version"] == row["version"] + 2
    assert event["note"] == survey["comments"]


def test_two_browsers_answering_at_once_are_recorded_once(client, viewers, app, clock):
    """The same through HTTP: two browsers post the same link at the same moment."""
    row = client.run(replied, viewers)
    token = send_survey(client, row["number"])

    async def two_browsers():
        transport = httpx.ASGITransport(app=app)
        browsers = [httpx.AsyncClient(transport=transport, base_url="http://testserver.local")
                    for _ in range(2)]
        tokens = [csrf_of((await b.get(f"/survey/{token}")).text) for b in browsers]
        try:
            return await asyncio.gather(*[
                b.post(f"/survey/{token}", data={**SATISFIED, "overall": overall,
                                                 "_csrf_token": csrf})
                for b, overall, csrf in zip(browsers, ("5", "4"), tokens, strict=True)])
        finally:
            for b in browsers:
                await b.aclose()

    responses = client.run(two_browsers)
    assert sorted(r.status_code for r in responses) == [200, 410]
    (survey,) = client.run(surveys, row["id"])
    assert survey["overall"] in (4, 5)
    assert client.run(reload, row["number"])["satisfaction"] == survey["overall"]
    assert len(events(client, row["id"], "survey-answered")) == 1


def test_an_expired_link_says_so(client, viewers, clock):
    row = client.run(replied, viewers)
    token = send_survey(client, row["number"])
    expiry = SENT + timedelta(days=14)
    state, shown = client.run(revisits.open_survey, token, expiry - timedelta(seconds=1), env())
    assert state == revisits.SurveyLink.OPEN and shown["number"] == row["number"]
    assert client.run(revisits.open_survey, token, expiry, env()) == (
        revisits.SurveyLink.EXPIRED, None)
    assert client.run(revisits.answer_survey, token, {"overall": 5}, expiry, env()) == \
        revisits.SurveyLink.EXPIRED
    client.http.headers["Accept-Language"] = "en"
    clock.now = expiry
    assert answer(client, token, SATISFIED).status_code == 410
    r = survey_page(client, token)
    assert r.status_code == 410
    assert 'data-reason="expired"' in r.text and "expired" in r.text
    assert row["number"] not in r.text
    # A genuine token whose own expiry is past, though the survey row is fine.
    clock.now = SENT + timedelta(hours=1)
    (survey,) = client.run(surveys, row["id"])
    past = make_token(env().secret_key, survey["id"], SENT)
    r = survey_page(client, past)
    assert r.status_code == 410 and 'data-reason="expired"' in r.text
    assert row["number"] not in r.text
    after = client.run(reload, row["number"])
    assert (after["status"], after["revisit_state"], after["satisfaction"]) == (
        "replied", "survey", None)
    assert client.run(surveys, row["id"])[0]["used_at"] is None


def test_tampered_foreign_and_unknown_links_are_not_found(client, viewers, clock):
    row = client.run(replied, viewers)
    token = send_survey(client, row["number"])
    (survey,) = client.run(surveys, row["id"])
    payload, signature = token.split(".")
    swap = {"A": "B"}.get(payload[2], "A")
    future = SENT + timedelta(days=14)
    forged = [
        payload[:2] + swap + payload[3:] + "." + signature,  # one character changed
        payload + "." + signature[:-3] + ("x" if signature[-3] != "x" else "y") + signature[-2:],
        token[:-5],  # truncated
        make_token("another-secret-key-" + "y" * 32, survey["id"], future),
        make_token(env().secret_key, survey["id"] + 1000, future),  # no such survey
        "not-a-token",
    ]
    client.http.headers["Accept-Language"] = "en"
    for bad in forged:
        r = survey_page(client, bad)
        assert r.status_code == 404, bad
        assert 'data-reason="unknown"' in r.text and "Survey not found" in r.text
        assert row["number"] not in r.text
        assert r.headers["cache-control"] == "no-store"
        r = answer(client, bad, SATISFIED)
        assert r.status_code == 404
        assert row["number"] not in r.text
        assert client.run(revisits.answer_survey, bad, {"overall": 5}, SENT, env()) == \
            revisits.SurveyLink.UNKNOWN
    after = client.run(reload, row["number"])
    assert (after["revisit_state"], after["satisfaction"]) == ("survey", None)
    assert survey_page(client, token).status_code == 200  # the genuine link is untouched


def test_a_phone_answer_closes_the_emailed_link(client, viewers, clock):
    row = client.run(replied, viewers)
    token = send_survey(client, row["number"])
    clock.now = SENT + timedelta(hours=1)
    client.login("office")
    r = post_action(client, row["number"], Action.REVISIT_ATTEMPT, outcome="reached",
                    **SATISFIED)
    assert r.status_code == 303
    client.http.headers["Accept-Language"] = "en"
    r = survey_page(client, token)
    # Never answered through the link: it says the survey is closed, not "already answered".
    assert r.status_code == 410 and 'data-reason="closed"' in r.text
    assert "This survey is closed" in r.text and "already been answered" not in r.text
    emailed, phoned = client.run(surveys, row["id"])
    assert (emailed["channel"], emailed["used_at"], emailed["answered_at"]) == (
        "email", SENT + timedelta(hours=1), None)
    assert phoned["channel"] == "phone" and phoned["overall"] == 4
    assert client.run(revisits.answer_survey, token, {"overall": 1}, clock.now, env()) == \
        revisits.SurveyLink.CLOSED
    after = client.run(reload, row["number"])
    assert (after["status"], after["satisfaction"]) == ("closed", 4)
    # The complaint page tells the office the link was closed.
    client.login("office")
    assert "link closed: answered another way" in client.get(
        f"/complaints/{row['number']}", headers={"Accept-Language": "en"}).text


def test_a_failed_call_while_the_survey_is_out_keeps_the_link(client, viewers, clock):
    row = client.run(replied, viewers)
    token = send_survey(client, row["number"])
    client.login("office")
    assert post_action(client, row["number"], Action.REVISIT_ATTEMPT, outcome="no-answer"
                       ).status_code == 303
    after = client.run(reload, row["number"])
    assert (after["revisit_state"], after["revisit_attempts"]) == ("survey", 1)
    assert survey_page(client, token).status_code == 200
    # A survey cannot be sent twice while one is out.
    client.login("office")
    assert post_action(client, row["number"], Action.SEND_SURVEY).status_code == 409
    assert len(client.run(surveys, row["id"])) == 1


def test_an_unreachable_customer_s_emailed_link_stops_working(client, viewers, clock):
    row = client.run(replied, viewers)
    token = send_survey(client, row["number"])
    client.login("office")
    for i in range(RULES.max_attempts):
        clock.now = SENT + timedelta(hours=i + 1)
        assert post_action(client, row["number"], Action.REVISIT_ATTEMPT,
                           outcome="no-answer").status_code == 303
    after = client.run(reload, row["number"])
    assert (after["status"], after["revisit_state"], after["survey_return_at"]) == (
        "closed", "unreachable", None)
    (survey,) = client.run(surveys, row["id"])
    assert survey["used_at"] == SENT + timedelta(hours=3) and survey["answered_at"] is None
    page = survey_page(client, token)
    assert page.status_code == 410 and 'data-reason="closed"' in page.text
    # Nor does the sweep bring it back.
    assert client.run(sweep, SENT + timedelta(days=6), env()).surveys_returned == 0
    assert client.run(reload, row["number"])["status"] == "closed"
