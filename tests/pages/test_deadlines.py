"""DOMAIN §4 deadlines end to end: what dispatch stores, what the complaint page shows, and how
re-grading, extensions, appeals and the automatic grade rules (I-7, II-6, I-8) change them.

Clocks are fixed: commands get `now=`; page actions read the handler's clock, which the
`clock` fixture pins. 2026-11-24 is a Tuesday with no holiday in the following fortnight."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from html.parser import HTMLParser

import pytest

import pages.complaint.handlers as complaint_handlers
from db.sweep import sweep
from portal.timeutil import months_after
from portal.workflow import Action
from tests.deadline_support import (
    act,
    alerts,
    attachments,
    audience,
    dispatched,
    dues,
    env,
    history,
    in_progress,
    local,
    logged,
    notifications,
    recipients,
    reload,
)

T = local(2026, 11, 24, 10, 0)  # Tuesday 10:00: the dispatch in most tests

CLASS_I = {"acknowledge": local(2026, 11, 24, 12), "contact": local(2026, 11, 24, 18),
           "result": local(2026, 11, 27, 10), "cap": local(2026, 12, 3, 10)}
CLASS_II = {"acknowledge": local(2026, 11, 25, 10), "contact": local(2026, 11, 25, 10),
            "result": local(2026, 11, 26, 10), "cap": local(2026, 12, 3, 10)}
MINOR = {"acknowledge": local(2026, 11, 25, 10), "contact": local(2026, 11, 26, 10),
         "result": local(2026, 11, 27, 10), "cap": local(2026, 12, 3, 10)}
URGENT = {"acknowledge": local(2026, 11, 24, 11), "contact": local(2026, 11, 24, 14)}


class PageClock:
    def __init__(self, now: datetime) -> None:
        self.now = now


@pytest.fixture
def clock(monkeypatch):
    """Pins the clock the complaint page and its actions read (they call utcnow())."""
    pinned = PageClock(T)
    monkeypatch.setattr(complaint_handlers, "utcnow", lambda: pinned.now)
    return pinned


@pytest.fixture
def who(client):
    """The expected recipients, from the users table (see deadline_support.Audience)."""
    return client.run(audience)


@pytest.fixture
def english(client):
    client.http.headers["Accept-Language"] = "en"
    return client


def _post(client, row, action: Action, **fields):
    data = {"version": row["version"], **fields}
    return client.post_form(f"/complaints/{row['number']}/{action.value}", data)


def _changes(event: dict) -> dict:
    return json.loads(event["changes"]) if event["changes"] else {}


def _instant(value) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


class _DeadlineTimes(HTMLParser):
    """The <time data-deadline=...> elements of a page: kind -> (datetime attribute, text)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, dict] = {}
        self._open: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "time" and "data-deadline" in attrs:
            self._open = attrs["data-deadline"]
            self.found[self._open] = {"datetime": attrs.get("datetime"), "text": ""}

    def handle_data(self, data):
        if self._open:
            self.found[self._open]["text"] += data

    def handle_endtag(self, tag):
        if tag == "time":
            self._open = None


def deadline_times(html: str) -> dict[str, dict]:
    parser = _DeadlineTimes()
    parser.feed(html)
    return parser.found


# -- dispatch -----------------------------------------------------------------------------

@pytest.mark.parametrize("criteria,urgent,expected", [
    (["I-6"], False, CLASS_I),
    (["II-5"], False, CLASS_II),
    (["M-1"], False, MINOR),
    (["II-5"], True, {**CLASS_II, **URGENT}),
    (["I-6"], True, {**CLASS_I, **URGENT}),
    (["M-1"], True, {**MINOR, **URGENT}),
], ids=["I", "II", "minor", "II-urgent", "I-urgent", "minor-urgent"])
def test_dispatch_stores_the_four_deadlines_of_the_grade(client, viewers, criteria, urgent,
                                                         expected):
    row = client.run(dispatched, viewers, T, criteria=criteria, urgent=urgent)
    assert (row["status"], row["dispatched_at"], row["clock_start"]) == ("dispatched", T, T)
    assert dues(row) == expected
    assert row["next_due"] == min(expected.values())


@pytest.mark.parametrize("dispatch_at,criteria,expected", [
    # Wednesday 15:00 before the National Day week (1–7 Oct 2026) and the make-up Saturday
    # 10 Oct: 3 h on Wednesday, then nothing until Thursday 8 Oct.
    (local(2026, 9, 30, 15), ["II-5"],
     {"acknowledge": local(2026, 10, 8, 15), "contact": local(2026, 10, 8, 15),
      "result": local(2026, 10, 9, 15), "cap": local(2026, 10, 15, 15)}),
    # Saturday morning: the clock starts on Monday at 09:00.
    (local(2026, 11, 28, 11), ["I-6"],
     {"acknowledge": local(2026, 11, 30, 11), "contact": local(2026, 11, 30, 18),
      "result": local(2026, 12, 2, 18), "cap": local(2026, 12, 8, 18)}),
    # After 18:00: the clock starts the next morning; one working day ends at its 18:00.
    (local(2026, 11, 24, 19, 30), ["II-5"],
     {"acknowledge": local(2026, 11, 25, 18), "contact": local(2026, 11, 25, 18),
      "result": local(2026, 11, 26, 18), "cap": local(2026, 12, 3, 18)}),
    # 2027 is not in the package: Mon–Fri minus 1 Jan (Friday).
    (local(2026, 12, 31, 15), ["II-5"],
     {"acknowledge": local(2027, 1, 4, 15), "contact": local(2027, 1, 4, 15),
      "result": local(2027, 1, 5, 15), "cap": local(2027, 1, 12, 15)}),
], ids=["national-day", "saturday", "evening", "fallback-2027"])
def test_deadlines_count_working_time_only(client, viewers, dispatch_at, criteria, expected):
    row = client.run(dispatched, viewers, dispatch_at, criteria=criteria)
    assert dues(row) == expected


def test_the_complaint_page_shows_each_deadline_in_company_time(client, viewers, clock):
    row = client.run(dispatched, viewers, T, criteria=["I-6"])
    clock.now = T + timedelta(minutes=30)
    client.login("qa.staff")
    page = client.get(f"/complaints/{row['number']}")
    assert page.status_code == 200
    times = deadline_times(page.text)
    assert {k: v["datetime"] for k, v in times.items()} == {
        "acknowledge": "2026-11-24T12:00:00+08:00",
        "contact": "2026-11-24T18:00:00+08:00",
        "result": "2026-11-27T10:00:00+08:00",
        "cap": "2026-12-03T10:00:00+08:00",
    }
    assert times["acknowledge"]["text"].strip() == "2026-11-24 12:00"
    assert times["cap"]["text"].strip() == "2026-12-03 10:00"


def test_a_complaint_not_yet_dispatched_shows_no_deadlines(client, viewers, clock):
    row = client.run(logged, viewers, T)
    client.login("office")
    page = client.get(f"/complaints/{row['number']}")
    assert page.status_code == 200
    assert deadline_times(page.text) == {}
    assert all(due is None for due in dues(row).values())


# -- regrade ------------------------------------------------------------------------------

def test_regrading_recomputes_the_deadlines_from_the_dispatch_with_a_history_row(
        client, viewers, clock):
    row = client.run(dispatched, viewers, T, criteria=["II-5"])
    clock.now = T + timedelta(minutes=20)
    client.login("office")
    r = _post(client, row, Action.REGRADE, grade="I", reason="媒体已报道")
    assert r.status_code == 303, r.text
    after = client.run(reload, row["number"])
    assert after["grade"] == "I" and after["clock_start"] == T
    assert dues(after) == CLASS_I
    # The sweep's next look follows: 75 % of the 2 h to acknowledge.
    assert after["next_alert_at"] == local(2026, 11, 24, 11, 30)
    event = client.run(history, row["id"])[-1]
    assert event["action"] == "regrade" and event["note"] == "媒体已报道"
    changes = _changes(event)
    assert changes["grade"] == ["II", "I"]
    for deadline in ("acknowledge", "contact", "result"):
        before, now_ = changes[f"{deadline}_due"]
        assert (_instant(before), _instant(now_)) == (CLASS_II[deadline], CLASS_I[deadline])
    assert "cap_due" not in changes  # 7 working days for both grades: unchanged


def test_marking_urgent_shortens_the_first_deadlines_only(client, viewers, clock):
    row = client.run(dispatched, viewers, T, criteria=["II-5"])
    clock.now = T + timedelta(minutes=10)
    client.login("office")
    r = _post(client, row, Action.REGRADE, grade="II", urgent="y", urgent_shown="1",
              reason="可能危及安全")
    assert r.status_code == 303, r.text
    after = client.run(reload, row["number"])
    assert after["urgent"] is True and after["grade"] == "II"
    assert dues(after) == {**CLASS_II, **URGENT}
    changes = _changes(client.run(history, row["id"])[-1])
    assert changes["urgent"] == [False, True]
    assert [_instant(v) for v in changes["acknowledge_due"]] == [CLASS_II["acknowledge"],
                                                                 URGENT["acknowledge"]]
    assert [_instant(v) for v in changes["contact_due"]] == [CLASS_II["contact"],
                                                             URGENT["contact"]]
    assert "result_due" not in changes and "cap_due" not in changes


# -- extension ----------------------------------------------------------------------------

def test_the_head_requests_an_extension_before_the_result_deadline(client, viewers, clock, who):
    row = client.run(in_progress, viewers, T)  # Class II: result Thu 26 10:00, cap Thu 3 Dec
    clock.now = local(2026, 11, 25, 16)
    client.login("qa.head")
    r = _post(client, row, Action.REQUEST_EXTENSION, new_due="2026-12-01T17:00",
              reason="等待检测报告")
    assert r.status_code == 303, r.text
    after = client.run(reload, row["number"])
    assert after["extension_due"] == local(2026, 12, 1, 17)
    assert after["extension_reason"] == "等待检测报告"
    assert after["result_due"] == CLASS_II["result"]  # only once the office approves
    event = client.run(history, row["id"])[-1]
    assert event["action"] == "request-extension" and event["note"] == "等待检测报告"
    assert _instant(_changes(event)["extension_due"][1]) == local(2026, 12, 1, 17)
    notes = client.run(notifications, row["id"])
    assert recipients(notes, "extension_requested") == who.office


@pytest.mark.parametrize("typed,expected", [
    ("2026-12-03T10:00", CLASS_II["cap"]),  # an extension may run up to the cap itself
    ("2026-12-02", local(2026, 12, 2, 18)),  # a bare date means the end of that working day
], ids=["up-to-the-cap", "bare-date"])
def test_accepted_extension_dates(client, viewers, clock, typed, expected):
    row = client.run(in_progress, viewers, T)
    clock.now = local(2026, 11, 25, 16)
    client.login("qa.head")
    r = _post(client, row, Action.REQUEST_EXTENSION, new_due=typed, reason="检测")
    assert r.status_code == 303, r.text
    assert client.run(reload, row["number"])["extension_due"] == expected


def test_no_extension_once_the_result_deadline_has_passed(english, viewers, clock):
    client = english
    row = client.run(in_progress, viewers, T)
    before_history = len(client.run(history, row["id"]))
    clock.now = CLASS_II["result"]  # the deadline itself: too late
    client.login("qa.head")
    r = _post(client, row, Action.REQUEST_EXTENSION, new_due="2026-12-01T17:00", reason="晚了")
    assert r.status_code == 409
    assert "only be requested before the result deadline" in r.text
    after = client.run(reload, row["number"])
    assert after == row
    assert len(client.run(history, row["id"])) == before_history


@pytest.mark.parametrize("new_due,message", [
    ("2026-11-26T10:00", "must be later than the current result deadline"),  # = result_due
    ("2026-11-26T09:59", "must be later than the current result deadline"),
    ("2026-12-03T10:01", "No complaint may run past its final deadline (cap)"),
    ("2026-12-03", "No complaint may run past its final deadline (cap)"),  # 18:00 > 10:00
], ids=["equal", "earlier", "past-cap", "past-cap-day"])
def test_an_extension_must_be_later_and_within_the_cap(english, viewers, clock, new_due, message):
    client = english
    row = client.run(in_progress, viewers, T)
    before_history = len(client.run(history, row["id"]))
    clock.now = local(2026, 11, 25, 16)
    client.login("qa.head")
    r = _post(client, row, Action.REQUEST_EXTENSION, new_due=new_due, reason="检测")
    assert r.status_code == 422
    assert message in r.text
    assert client.run(reload, row["number"]) == row
    assert len(client.run(history, row["id"])) == before_history


def test_a_handler_may_not_request_an_extension(client, viewers, clock):
    row = client.run(in_progress, viewers, T)
    clock.now = local(2026, 11, 25, 16)
    client.login("qa.staff")
    r = _post(client, row, Action.REQUEST_EXTENSION, new_due="2026-12-01T17:00", reason="检测")
    assert r.status_code == 403
    assert client.run(reload, row["number"]) == row


def _with_extension_request(client, viewers) -> dict:
    row = client.run(in_progress, viewers, T)
    return client.run(act, viewers, row["number"], Action.REQUEST_EXTENSION, "qa.head",
                      local(2026, 11, 25, 16), new_due=local(2026, 12, 1, 17), reason="检测")


def _office_rules_on_extension(client, viewers, clock, action: Action, note: str):
    """An extension requested by the QA head; the office rules on it. Returns (before, after)."""
    row = _with_extension_request(client, viewers)
    clock.now = local(2026, 11, 25, 17)
    client.login("office")
    r = _post(client, row, action, note=note)
    assert r.status_code == 303, r.text
    return row, client.run(reload, row["number"])


def test_the_office_approves_an_extension_and_the_result_deadline_moves(client, viewers, clock,
                                                                       who):
    row, after = _office_rules_on_extension(client, viewers, clock, Action.APPROVE_EXTENSION, "同意")
    assert after["result_due"] == local(2026, 12, 1, 17)
    assert (after["extension_due"], after["extension_reason"]) == (None, "")
    assert after["cap_due"] == CLASS_II["cap"] and after["status"] == "in_progress"
    event = client.run(history, row["id"])[-1]
    assert event["action"] == "approve-extension" and event["actor"] == viewers["office"].id
    changes = _changes(event)
    assert [_instant(v) for v in changes["result_due"]] == [CLASS_II["result"],
                                                            local(2026, 12, 1, 17)]
    assert [_instant(v) for v in changes["extension_due"]] == [local(2026, 12, 1, 17), None]
    notes = client.run(notifications, row["id"])
    assert recipients(notes, "extension_approved") == who.heads["QA"]
    page = client.get(f"/complaints/{row['number']}").text
    assert deadline_times(page)["result"]["datetime"] == "2026-12-01T17:00:00+08:00"


def test_the_office_refuses_an_extension_and_the_request_is_cleared(client, viewers, clock, who):
    row, after = _office_rules_on_extension(client, viewers, clock, Action.REFUSE_EXTENSION,
                                            "理由不充分")
    assert (after["extension_due"], after["extension_reason"]) == (None, "")
    assert after["result_due"] == CLASS_II["result"]
    event = client.run(history, row["id"])[-1]
    assert (event["action"], event["note"]) == ("refuse-extension", "理由不充分")
    notes = client.run(notifications, row["id"])
    assert recipients(notes, "extension_refused") == who.heads["QA"]
    # The request is gone: nothing left to approve.
    r = _post(client, after, Action.APPROVE_EXTENSION)
    assert r.status_code == 409


def test_only_one_extension_request_at_a_time(english, viewers, clock):
    client = english
    row = _with_extension_request(client, viewers)
    clock.now = local(2026, 11, 25, 16, 30)
    client.login("qa.head")
    r = _post(client, row, Action.REQUEST_EXTENSION, new_due="2026-12-02T17:00", reason="再延")
    assert r.status_code == 409
    assert client.run(reload, row["number"]) == row


def test_marking_urgent_keeps_an_approved_extension(client, viewers, clock):
    """Urgency shortens acknowledge and contact only (policy [deadlines.urgent]); the result
    deadline the office moved by approving an extension must not silently snap back."""
    row = _with_extension_request(client, viewers)
    row = client.run(act, viewers, row["number"], Action.APPROVE_EXTENSION, "office",
                     local(2026, 11, 25, 17))
    assert row["result_due"] == local(2026, 12, 1, 17)
    clock.now = local(2026, 11, 25, 17, 30)
    client.login("office")
    r = _post(client, row, Action.REGRADE, grade="II", urgent="y", urgent_shown="1",
              reason="可能危及安全")
    assert r.status_code == 303, r.text
    after = client.run(reload, row["number"])
    assert after["urgent"] is True
    assert (after["acknowledge_due"], after["contact_due"]) == (URGENT["acknowledge"],
                                                                URGENT["contact"])
    assert after["result_due"] == local(2026, 12, 1, 17)
    assert "result_due" not in _changes(client.run(history, row["id"])[-1])


# -- appeal -------------------------------------------------------------------------------

@pytest.mark.parametrize("dispatch_at,appeal_at,allowed", [
    (T, local(2026, 11, 25, 10, 0), True),  # exactly one working day later
    (T, local(2026, 11, 25, 10, 0, 1), False),
    (T, local(2026, 11, 26, 9, 0), False),
    # Friday 17:00 + 1 working day = Monday 17:00 (the weekend does not count).
    (local(2026, 11, 27, 17), local(2026, 11, 30, 16, 59), True),
    (local(2026, 11, 27, 17), local(2026, 11, 30, 17, 1), False),
], ids=["boundary", "one-second-late", "next-morning", "over-weekend", "monday-late"])
def test_an_appeal_only_within_one_working_day_of_dispatch(english, viewers, clock, who,
                                                           dispatch_at, appeal_at, allowed):
    client = english
    row = client.run(dispatched, viewers, dispatch_at)
    clock.now = appeal_at
    client.login("qa.head")
    r = _post(client, row, Action.APPEAL, kind="not-our-business", reason="属于物流环节")
    after = client.run(reload, row["number"])
    if allowed:
        assert r.status_code == 303, r.text
        assert after["status"] == "appealed" and after["appeal_kind"] == "not-our-business"
        assert recipients(client.run(notifications, row["id"]), "appealed") == who.office
    else:
        assert r.status_code == 409
        assert "only possible within one working day of dispatch" in r.text
        assert after == row


def test_disputing_the_facts_without_evidence_is_refused(english, viewers, clock):
    client = english
    row = client.run(dispatched, viewers, T)
    clock.now = T + timedelta(hours=1)
    client.login("qa.head")
    r = _post(client, row, Action.APPEAL, kind="dispute-facts", reason="客户所述不实")
    assert r.status_code == 422
    assert "Disputing the facts needs evidence" in r.text
    assert client.run(reload, row["number"]) == row
    assert client.run(attachments, row["id"]) == []


def test_disputing_the_facts_with_evidence_stores_the_file(client, viewers, clock, settings):
    row = client.run(dispatched, viewers, T)
    clock.now = T + timedelta(hours=1)
    client.login("qa.head")
    content = b"%PDF-1.4 inspection report"
    r = client.post_form(f"/complaints/{row['number']}/appeal",
                         {"version": row["version"], "kind": "dispute-facts",
                          "reason": "检测报告显示产品合格"},
                         files={"evidence": ("检测报告.pdf", content, "application/pdf")})
    assert r.status_code == 303, r.text
    after = client.run(reload, row["number"])
    assert (after["status"], after["appeal_kind"]) == ("appealed", "dispute-facts")
    assert after["appeal_reason"] == "检测报告显示产品合格"
    files = client.run(attachments, row["id"])
    assert len(files) == 1
    item = files[0]
    assert (item["filename"], item["size"], item["uploaded_by"]) == (
        "检测报告.pdf", len(content), viewers["qa.head"].id)
    assert item["uploaded_at"] == T + timedelta(hours=1)
    assert (settings.attachments_dir / item["storage_key"]).read_bytes() == content
    event = client.run(history, row["id"])[-1]
    assert (event["action"], event["from_status"], event["to_status"]) == (
        "appeal", "dispatched", "appealed")


def _appealed(client, viewers, acknowledged: bool = False) -> dict:
    row = client.run(dispatched, viewers, T)
    if acknowledged:
        client.run(act, viewers, row["number"], Action.ACKNOWLEDGE, "qa.staff",
                   T + timedelta(minutes=30))
    return client.run(act, viewers, row["number"], Action.APPEAL, "qa.head",
                      T + timedelta(hours=1), kind="not-our-business", reason="属于客服部职责")


def test_reassigning_on_appeal_restarts_the_clock_in_the_new_department(client, viewers, clock,
                                                                        who):
    row = _appealed(client, viewers, acknowledged=True)
    now = T + timedelta(hours=3)  # Tuesday 13:00
    clock.now = now
    client.login("office")
    r = _post(client, row, Action.APPEAL_REASSIGN, department="SVC", note="转客服部")
    assert r.status_code == 303, r.text
    after = client.run(reload, row["number"])
    assert (after["status"], after["department"]) == ("dispatched", "SVC")
    assert after["clock_start"] == now and after["dispatched_at"] == now
    assert (after["acknowledged_at"], after["acknowledged_by"]) == (None, None)
    assert dues(after) == {"acknowledge": local(2026, 11, 25, 13),
                           "contact": local(2026, 11, 25, 13),
                           "result": local(2026, 11, 26, 13), "cap": local(2026, 12, 3, 13)}
    notes = client.run(notifications, row["id"])
    assert {viewers["svc.head"].id, viewers["svc.staff"].id} <= set(who.department("SVC"))
    assert recipients(notes, "dispatched") == sorted(who.department("QA")  # the first dispatch
                                                     + who.department("SVC"))
    new = [n for n in notes if n["kind"] == "dispatched" and n["created_at"] == now]
    assert sorted(n["user"] for n in new) == who.department("SVC")
    assert recipients(notes, "appeal_reassigned") == who.heads["QA"]
    event = client.run(history, row["id"])[-1]
    assert event["action"] == "appeal-reassign"
    assert _changes(event)["department"] == ["QA", "SVC"]


@pytest.mark.parametrize("acknowledged,back_to", [(False, "dispatched"), (True, "acknowledged")])
def test_upholding_an_appeal_returns_it_with_its_deadlines_unchanged(client, viewers, clock, who,
                                                                     acknowledged, back_to):
    row = _appealed(client, viewers, acknowledged)
    assert row["status"] == "appealed"
    clock.now = T + timedelta(hours=2)
    client.login("office")
    r = _post(client, row, Action.APPEAL_UPHOLD, note="属于本部门职责")
    assert r.status_code == 303, r.text
    after = client.run(reload, row["number"])
    assert after["status"] == back_to and after["department"] == "QA"
    assert dues(after) == CLASS_II and after["clock_start"] == T
    assert after["dispatched_at"] == T
    assert recipients(client.run(notifications, row["id"]), "appeal_upheld") == who.heads["QA"]
    event = client.run(history, row["id"])[-1]
    assert (event["action"], event["from_status"], event["to_status"], event["note"]) == (
        "appeal-uphold", "appealed", back_to, "属于本部门职责")


def test_an_appealed_complaint_may_be_ruled_invalid(client, viewers, clock):
    row = _appealed(client, viewers)
    clock.now = T + timedelta(hours=2)
    client.login("office")
    r = _post(client, row, Action.INVALID, kind="invalid", reason="非本公司产品")
    assert r.status_code == 303, r.text
    after = client.run(reload, row["number"])
    assert after["status"] == "invalid" and after["invalid_kind"] == "invalid"
    assert after["next_alert_at"] is None  # nothing left for the sweep


# -- automatic grade rules ----------------------------------------------------------------

def test_a_second_class_ii_complaint_becomes_class_i_by_rule_i7(client, viewers):
    first = client.run(logged, viewers, T - timedelta(days=40), customer_phone="13700001111",
                       criteria=["II-5"])
    assert first["grade"] == "II"
    second = client.run(logged, viewers, T, customer_phone="137-0000-1111", criteria=["II-7"])
    assert second["grade"] == "I"
    assert second["criteria"].split(",") == ["I-7", "II-7"]
    assert second["is_second"] is True and second["previous_number"] == first["number"]
    events = client.run(history, second["id"])
    assert [e["action"] for e in events] == ["log", "auto-grade"]
    auto = events[1]
    assert (auto["note"], auto["actor"]) == ("I-7", None)
    assert _changes(auto)["grade"] == ["II", "I"]
    # Its deadlines are Class I ones once dispatched.
    after = client.run(act, viewers, second["number"], Action.DISPATCH, "office", T,
                       department="QA")
    assert dues(after) == CLASS_I


def test_a_second_minor_complaint_becomes_class_ii_by_rule_ii6(client, viewers):
    first = client.run(logged, viewers, T - timedelta(days=10), customer_phone="13700002222",
                       criteria=["M-1"])
    second = client.run(logged, viewers, T, customer_phone="13700002222", criteria=["M-3"])
    assert (first["grade"], second["grade"]) == ("M", "II")
    assert "II-6" in second["criteria"].split(",")
    auto = client.run(history, second["id"])[-1]
    assert (auto["action"], auto["note"]) == ("auto-grade", "II-6")
    assert _changes(auto)["grade"] == ["M", "II"]


@pytest.mark.parametrize("earlier,later", [(["M-1"], ["II-5"]), (["II-5"], ["M-1"])])
def test_mixed_grades_trigger_no_rule(client, viewers, earlier, later):
    client.run(logged, viewers, T - timedelta(days=10), customer_phone="13700003333",
               criteria=earlier)
    second = client.run(logged, viewers, T, customer_phone="13700003333", criteria=later)
    assert second["is_second"] is True
    assert second["grade"] == ("II" if later == ["II-5"] else "M")
    assert [e["action"] for e in client.run(history, second["id"])] == ["log"]


def test_a_complaint_after_three_months_is_not_a_second_one(client, viewers):
    client.run(logged, viewers, T - timedelta(days=95), customer_phone="13700004444",
               criteria=["II-5"])
    second = client.run(logged, viewers, T, customer_phone="13700004444", criteria=["II-5"])
    assert (second["is_second"], second["grade"]) == (False, "II")


@pytest.mark.parametrize("logged_at,due", [
    (local(2026, 10, 20, 10), local(2026, 11, 20, 10)),
    # 1 March 07:00 in Shanghai is still 28 February in UTC: the month is the company's.
    (local(2026, 3, 1, 7), local(2026, 4, 1, 7)),
    (local(2026, 1, 31, 10), local(2026, 2, 28, 10)),  # no 31 February
], ids=["plain", "company-month", "month-end"])
def test_rule_i8_raises_an_unresolved_complaint_to_class_i_once(client, viewers, who, logged_at,
                                                                due):
    row = client.run(logged, viewers, logged_at, criteria=["II-5"])
    assert row["next_alert_at"] == due

    early = client.run(sweep, due - timedelta(minutes=1), env())
    assert early.auto_graded == 0
    assert client.run(reload, row["number"])["grade"] == "II"

    result = client.run(sweep, due + timedelta(minutes=1), env())
    assert (result.auto_graded, result.complaints) == (1, 1)
    after = client.run(reload, row["number"])
    assert after["grade"] == "I" and "I-8" in after["criteria"].split(",")
    assert after["version"] == row["version"] + 1
    assert after["next_alert_at"] is None
    auto = client.run(history, row["id"])[-1]
    assert (auto["action"], auto["note"], auto["actor"]) == ("auto-grade", "I-8", None)
    assert (auto["from_status"], auto["to_status"]) == ("logged", "logged")
    assert _changes(auto)["grade"] == ["II", "I"]
    notes = client.run(notifications, row["id"])
    # Not dispatched yet: no department head, the office and the CS head.
    assert viewers["cshead"].id in who.cshead
    assert recipients(notes, "auto_graded") == who.breach(None, "I")

    again = client.run(sweep, due + timedelta(minutes=2), env())
    later = client.run(sweep, due + timedelta(days=3), env())
    assert (again.auto_graded, again.notifications, later.auto_graded, later.notifications) == (
        0, 0, 0, 0)
    assert [e["action"] for e in client.run(history, row["id"])].count("auto-grade") == 1
    assert len(client.run(notifications, row["id"])) == len(notes)


def test_rule_i8_on_a_dispatched_complaint_recomputes_its_deadlines(client, viewers):
    logged_at = local(2026, 10, 20, 10)
    row = client.run(logged, viewers, logged_at, criteria=["II-5"])
    client.run(act, viewers, row["number"], Action.DISPATCH, "office",
               local(2026, 11, 17, 10), department="QA")
    due = months_after(logged_at, 1)
    result = client.run(sweep, due + timedelta(minutes=1), env())
    assert result.auto_graded == 1
    after = client.run(reload, row["number"])
    assert after["grade"] == "I"
    # Class I from the dispatch on Tuesday 17 Nov 10:00.
    assert dues(after) == {"acknowledge": local(2026, 11, 17, 12),
                           "contact": local(2026, 11, 17, 18),
                           "result": local(2026, 11, 20, 10), "cap": local(2026, 11, 26, 10)}
    auto = [e for e in client.run(history, row["id"]) if e["action"] == "auto-grade"]
    assert len(auto) == 1 and auto[0]["note"] == "I-8"
    assert ("auto-grade", "I-8") in {(a["kind"], a["deadline"])
                                     for a in client.run(alerts, row["id"])}
    client.run(sweep, due + timedelta(minutes=2), env())
    client.run(sweep, due + timedelta(days=2), env())
    auto = [e for e in client.run(history, row["id"]) if e["action"] == "auto-grade"]
    assert len(auto) == 1
    assert client.run(reload, row["number"])["grade"] == "I"


def test_after_rule_i8_a_second_sweep_sends_nothing_more(client, viewers):
    """I-8 happens once and a second sweep does nothing, also for a complaint whose
    deadlines were already breached (and reported) before it was raised to Class I."""
    logged_at = local(2026, 10, 20, 10)
    row = client.run(logged, viewers, logged_at, criteria=["II-5"])
    client.run(act, viewers, row["number"], Action.DISPATCH, "office",
               local(2026, 11, 17, 10), department="QA")
    now = months_after(logged_at, 1) + timedelta(minutes=1)
    first = client.run(sweep, now, env())
    assert (first.auto_graded, first.breaches) == (1, 3)  # acknowledge, contact, result
    next_alert_at = client.run(reload, row["number"])["next_alert_at"]

    again = client.run(sweep, now + timedelta(minutes=1), env())
    notes = client.run(notifications, row["id"])
    for deadline in ("acknowledge", "contact", "result"):
        users = recipients(notes, "breach", deadline)
        assert len(users) == len(set(users)), f"breach of {deadline} reported twice: {users}"
    assert (again.breaches, again.reminders, again.notifications) == (0, 0, 0)
    # Nothing the first sweep could have done was left behind for the next pass.
    assert next_alert_at is None or next_alert_at > now


def test_rule_i8_keeps_an_approved_extension(client, viewers):
    """Like a re-grade by the office, the automatic raise to Class I must not silently take
    back the result deadline the office moved by approving an extension."""
    logged_at = local(2026, 10, 20, 10)
    row = client.run(logged, viewers, logged_at, criteria=["II-5"])
    number = row["number"]
    dispatch = local(2026, 11, 17, 10)  # Class II: result Thu 19 10:00, cap Thu 26 10:00
    client.run(act, viewers, number, Action.DISPATCH, "office", dispatch, department="QA")
    for i, action in enumerate((Action.ACKNOWLEDGE, Action.START), 1):
        client.run(act, viewers, number, action, "qa.staff", dispatch + timedelta(minutes=i))
    client.run(act, viewers, number, Action.CONTACT, "qa.staff", dispatch + timedelta(minutes=3),
               note="已联系")
    client.run(act, viewers, number, Action.REQUEST_EXTENSION, "qa.head", local(2026, 11, 18, 10),
               new_due=local(2026, 11, 25, 17), reason="等待检测报告")
    row = client.run(act, viewers, number, Action.APPROVE_EXTENSION, "office",
                     local(2026, 11, 18, 11))
    assert row["result_due"] == local(2026, 11, 25, 17)

    result = client.run(sweep, months_after(logged_at, 1) + timedelta(minutes=1), env())
    assert result.auto_graded == 1
    after = client.run(reload, number)
    assert after["grade"] == "I"
    assert after["cap_due"] == local(2026, 11, 26, 10)  # Class I: also 7 working days
    assert after["result_due"] == local(2026, 11, 25, 17)
    assert recipients(client.run(notifications, row["id"]), "breach", "result") == []
    auto = [e for e in client.run(history, row["id"]) if e["action"] == "auto-grade"]
    assert "result_due" not in _changes(auto[0])
