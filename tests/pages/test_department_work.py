"""Issue 12 §1–3, §5: assign, return-to-handler, note and urge — who may, what changes, who
hears of it — and the inbox's `assigned=me`."""

import json
import re

import pytest

from db.tables import Notification, OutboxEmail, StatsDay, User
from tests.factories import events, make_complaint, reload

EVERY_ROLE = ["clerk", "office", "cshead", "admin", "qa.head", "qa.staff", "svc.head", "svc.staff"]


def notices(client, cid, kind):
    return client.run(lambda: Notification.select(Notification.user).where(
        (Notification.complaint == cid) & (Notification.kind == kind)))


def act(client, row, action, **fields):
    return client.post_form(f"/complaints/{row['number']}/{action}",
                            {"version": row["version"], **fields})


def complaint(client, viewers, status="dispatched"):
    return client.run(make_complaint, viewers, status=status)


# -- assign ---------------------------------------------------------------------------------

def test_the_head_assigns_to_a_handler_who_is_notified_once(client, viewers):
    row = complaint(client, viewers)
    client.login("qa.head")
    page = client.get(f"/complaints/{row['number']}").text
    assert 'data-action="assign"' in page and 'value="qa.staff"' in page
    assert act(client, row, "assign", assignee="qa.staff").status_code == 303
    after = reload(client, row["number"])
    assert after["assignee"] == viewers["qa.staff"].id
    assert after["status"] == row["status"] and after["version"] == row["version"] + 1
    (event,) = events(client, row["id"], "assign")
    assert json.loads(event["changes"])["assignee"] == [None, "孙丽（质量部）"]
    assert [n["user"] for n in notices(client, row["id"], "assigned")] == [viewers["qa.staff"].id]
    assert client.get(f"/complaints/{row['number']}").text.count('data-testid="assignee"') == 1


def test_reassigning_is_the_same_action_and_keeps_the_history(client, viewers):
    row = complaint(client, viewers)
    client.login("qa.head")
    act(client, row, "assign", assignee="qa.staff")
    act(client, reload(client, row["number"]), "assign", assignee="qa.head")
    after = reload(client, row["number"])
    assert after["assignee"] == viewers["qa.head"].id
    first, second = events(client, row["id"], "assign")
    names = json.loads(second["changes"])["assignee"]
    assert names[0] == json.loads(first["changes"])["assignee"][1] and names[1]
    assert len(notices(client, row["id"], "assigned")) == 2


@pytest.mark.parametrize("assignee", ["svc.staff", "clerk", "office", "nobody", ""])
def test_only_an_active_person_of_the_department_can_be_assigned(client, viewers, assignee):
    row = complaint(client, viewers)
    client.login("qa.head")
    r = act(client, row, "assign", assignee=assignee)
    assert r.status_code == 422
    after = reload(client, row["number"])
    assert after["assignee"] is None and after["version"] == row["version"]
    assert events(client, row["id"], "assign") == []


def test_a_deactivated_handler_cannot_be_assigned_and_is_not_offered(client, viewers):
    row = complaint(client, viewers)
    client.run(lambda: User.update({User.is_active: False}).where(User.username == "qa.staff"))
    try:
        client.login("qa.head")
        page = client.get(f"/complaints/{row['number']}").text
        assert 'value="qa.staff"' not in page
        assert act(client, row, "assign", assignee="qa.staff").status_code == 422
    finally:
        client.run(lambda: User.update({User.is_active: True}).where(User.username == "qa.staff"))


@pytest.mark.parametrize("username,expected", [
    ("qa.staff", 403), ("office", 403), ("cshead", 403), ("clerk", 403), ("svc.head", 404),
    ("admin", 404),
])
def test_only_the_departments_head_assigns(client, viewers, username, expected):
    row = complaint(client, viewers)
    client.login(username)
    assert act(client, row, "assign", assignee="qa.staff").status_code == expected
    assert reload(client, row["number"])["assignee"] is None


def test_the_inbox_filters_assigned_to_me_and_shows_the_assignee(client, viewers):
    mine = complaint(client, viewers)
    other = complaint(client, viewers)
    client.login("qa.head")
    act(client, mine, "assign", assignee="qa.staff")
    client.login("qa.staff")
    listed = client.get("/inbox", params={"assigned": "me"}).text
    assert mine["number"] in listed and other["number"] not in listed
    assert 'data-testid="assigned-me" checked' in listed
    everything = client.get("/inbox").text
    assert mine["number"] in everything and other["number"] in everything
    assert re.search(r'data-testid="assignee"[^>]*>[^<]+<', everything)


def test_reminders_go_to_the_assignee(client, viewers):
    from datetime import timedelta

    from db.sweep import sweep
    from tests.deadline_support import env

    row = complaint(client, viewers)
    client.login("qa.head")
    act(client, row, "assign", assignee="qa.head")
    after = reload(client, row["number"])
    client.run(lambda: sweep(after["acknowledge_due"] - timedelta(minutes=1), env()))
    reminded = {n["user"] for n in notices(client, row["id"], "reminder")}
    assert reminded == {viewers["qa.head"].id}


# -- return to the handler ---------------------------------------------------------------------

def test_the_head_returns_a_submitted_result_to_the_handler(client, viewers):
    row = complaint(client, viewers, "result_submitted")
    client.login("qa.head")
    r = act(client, row, "return-to-handler", reason="整改措施不具体")
    assert r.status_code == 303
    after = reload(client, row["number"])
    assert after["status"] == "in_progress"
    (event,) = events(client, row["id"], "return-to-handler")
    assert event["note"] == "整改措施不具体" and event["from_status"] == "result_submitted"
    assert notices(client, row["id"], "returned")


def test_returning_needs_a_reason(client, viewers):
    row = complaint(client, viewers, "result_submitted")
    client.login("qa.head")
    assert act(client, row, "return-to-handler", reason="").status_code == 422
    assert reload(client, row["number"])["status"] == "result_submitted"


def test_a_handler_cannot_return_a_result(client, viewers):
    row = complaint(client, viewers, "result_submitted")
    client.login("qa.staff")
    assert act(client, row, "return-to-handler", reason="x").status_code == 403


# -- notes ----------------------------------------------------------------------------------

@pytest.mark.parametrize("username", EVERY_ROLE)
def test_anyone_who_may_see_it_adds_a_note(client, viewers, username):
    row = complaint(client, viewers)
    client.login(username)
    r = act(client, row, "note", note="客户又来电询问进度")
    may_see = username in ("clerk", "office", "cshead", "qa.head", "qa.staff")
    assert r.status_code == (303 if may_see else 404)
    after = reload(client, row["number"])
    assert after["status"] == row["status"] and after["version"] == row["version"]
    assert len(events(client, row["id"], "note")) == (1 if may_see else 0)
    if may_see:
        assert "客户又来电询问进度" in client.get(f"/complaints/{row['number']}").text


def test_a_note_reaches_the_assignee(client, viewers):
    row = complaint(client, viewers)
    client.login("qa.head")
    act(client, row, "assign", assignee="qa.staff")
    client.login("clerk")
    act(client, reload(client, row["number"]), "note", note="客户要求上午联系")
    assert [n["user"] for n in notices(client, row["id"], "noted")] == [viewers["qa.staff"].id]


def test_a_note_does_not_make_an_open_form_stale(client, viewers):
    row = complaint(client, viewers)
    client.login("clerk")
    act(client, row, "note", note="补充说明")
    client.login("qa.staff")
    assert act(client, row, "acknowledge").status_code == 303  # the version seen before the note


@pytest.mark.parametrize("note,status", [("", 422), ("长" * 5001, 422), ("长" * 5000, 303)])
def test_a_note_needs_text_within_its_limit(client, viewers, note, status):
    row = complaint(client, viewers)
    client.login("office")
    r = act(client, row, "note", note=note)
    assert r.status_code == status
    assert len(events(client, row["id"], "note")) == (1 if status == 303 else 0)
    if status == 422:
        assert "5,000" in r.text or "5000" in r.text or "请填写" in r.text or "Write" in r.text


# -- urge -----------------------------------------------------------------------------------

def test_the_office_urges_the_head_and_the_assignee_at_once(client, viewers):
    row = complaint(client, viewers)
    client.login("qa.head")
    act(client, row, "assign", assignee="qa.staff")
    client.login("office")
    r = act(client, reload(client, row["number"]), "urge", note="客户已投诉三次，请今日处理")
    assert r.status_code == 303
    after = reload(client, row["number"])
    assert after["urge_count"] == 1 and after["status"] == row["status"]
    (event,) = events(client, row["id"], "urge")
    assert event["note"] == "客户已投诉三次，请今日处理"
    urged = sorted(n["user"] for n in notices(client, row["id"], "urged"))
    assert urged == sorted([viewers["qa.head"].id, viewers["qa.staff"].id])
    mails = client.run(lambda: OutboxEmail.select(OutboxEmail.recipient).where(
        OutboxEmail.subject.like("%催办%")))
    assert len(mails) == 2


def test_urges_are_counted_in_the_statistics(client, viewers):
    row = complaint(client, viewers)
    client.login("office")
    act(client, row, "urge")
    act(client, reload(client, row["number"]), "urge", note="再次催办")
    total = client.run(lambda: StatsDay.select(StatsDay.urges))
    assert sum(r["urges"] for r in total) == 2
    from db.rollup import computed

    rebuilt = client.run(lambda: computed_urges(computed))
    assert rebuilt == 2


async def computed_urges(computed):
    from portal.policy import load_policy
    from tests.deadline_support import TZ

    days, _people = await computed(load_policy(), TZ)
    return sum(c.get("urges", 0) for c in days.values())


@pytest.mark.parametrize("username,expected", [("qa.head", 403), ("qa.staff", 403),
                                                ("clerk", 403), ("svc.head", 404)])
def test_only_the_office_urges(client, viewers, username, expected):
    row = complaint(client, viewers)
    client.login(username)
    assert act(client, row, "urge").status_code == expected
    assert reload(client, row["number"])["urge_count"] == 0


def test_a_complaint_under_appeal_cannot_be_urged(client, viewers):
    row = complaint(client, viewers, "appealed")
    client.login("office")
    assert act(client, row, "urge").status_code == 409


def test_the_inbox_export_keeps_the_assigned_to_me_filter(client, viewers):
    mine = complaint(client, viewers)
    other = complaint(client, viewers)
    client.login("qa.head")
    act(client, mine, "assign", assignee="qa.staff")
    client.login("qa.staff")
    csv_text = client.get("/inbox/export.csv", params={"assigned": "me"}).content.decode("utf-8-sig")
    assert mine["number"] in csv_text and other["number"] not in csv_text
    page = client.get("/inbox", params={"assigned": "me"}).text
    assert re.search(r'href="/inbox/export\.csv\?[^"]*assigned=me', page)
