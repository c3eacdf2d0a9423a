"""The person a complaint was given to belongs to the department that had it (issue 12 §1):
when the complaint moves to another department the assignee is cleared in the same write,
with a history line, and nobody outside the handling department is reminded, urged or told
of a note as its assignee."""

import json
from datetime import timedelta

from db.sweep import sweep
from db.tables import Complaint, Notification, User
from tests.deadline_support import env
from tests.factories import events, make_complaint, reload

SUN_LI = "孙丽（质量部）"  # qa.staff as the history names her


def notified(client, cid, kind):
    rows = client.run(lambda: Notification.select(Notification.user).where(
        (Notification.complaint == cid) & (Notification.kind == kind)))
    return sorted({r["user"] for r in rows})


def act(client, number, action, **fields):
    row = reload(client, number)
    return client.post_form(f"/complaints/{number}/{action}",
                            {"version": row["version"], **fields})


def assigned_in_qa(client, viewers, status="dispatched"):
    row = client.run(make_complaint, viewers, status=status)
    client.login("qa.head")
    assert act(client, row["number"], "assign", assignee="qa.staff").status_code == 303
    assert reload(client, row["number"])["assignee"] == viewers["qa.staff"].id
    return row


def set_user(client, username, **values):
    client.run(lambda: User.update({getattr(User, k): v for k, v in values.items()}).where(
        User.username == username))


# -- the complaint moves: appeal reassigned ----------------------------------------------------

def test_an_appeal_reassigned_to_another_department_clears_the_assignee(client, viewers):
    row = assigned_in_qa(client, viewers)
    number = row["number"]
    r = act(client, number, "appeal", kind="not-our-business", reason="不是我们部门的事")
    assert r.status_code == 303, r.text
    client.login("office")
    assert act(client, number, "appeal-reassign", department="SVC",
               note="转客服部").status_code == 303
    after = reload(client, number)
    assert (after["status"], after["department"], after["assignee"]) == ("dispatched", "SVC",
                                                                          None)
    (event,) = events(client, row["id"], "appeal-reassign")
    changes = json.loads(event["changes"])
    assert changes["department"] == ["QA", "SVC"]
    assert changes["assignee"] == [SUN_LI, None]
    # The complaint page: no assignee, and the history says who it was taken from.
    page = client.get(f"/complaints/{number}").text
    assert 'data-testid="assignee">尚未指派（部门处理）<' in page
    assert f'data-field="assignee">处理人: {SUN_LI} → —<' in page
    # The new department's inbox shows nobody in the assignee column.
    client.login("svc.head")
    inbox = client.get("/inbox").text
    assert number in inbox and "孙丽" not in inbox
    # She no longer sees it, nor has it "assigned to me".
    client.login("qa.staff")
    assert client.get(f"/complaints/{number}").status_code == 404
    assert number not in client.get("/inbox", params={"assigned": "me"}).text
    # An urge goes to the new department's head only, not to her.
    client.login("office")
    assert act(client, number, "urge", note="请尽快处理").status_code == 303
    assert notified(client, row["id"], "urged") == [viewers["svc.head"].id]
    # Reminders go to the new department's handlers.
    after = reload(client, number)
    client.run(lambda: sweep(after["acknowledge_due"] - timedelta(minutes=1), env()))
    assert notified(client, row["id"], "reminder") == [viewers["svc.staff"].id]
    # The new head assigns again: the history reads from nobody.
    client.login("svc.head")
    assert act(client, number, "assign", assignee="svc.staff").status_code == 303
    second = events(client, row["id"], "assign")[-1]
    assert json.loads(second["changes"])["assignee"][0] is None


def test_a_reassigned_appeal_without_an_assignee_writes_no_assignee_line(client, viewers):
    row = client.run(make_complaint, viewers, status="appealed")
    client.login("office")
    assert act(client, row["number"], "appeal-reassign", department="SVC",
               note="转客服部").status_code == 303
    (event,) = events(client, row["id"], "appeal-reassign")
    assert "assignee" not in json.loads(event["changes"])


# -- the complaint moves: dispatched again from `logged` ---------------------------------------

def test_a_dispatch_from_logged_clears_an_assignee_left_on_the_record(client, viewers):
    """A complaint back in `logged` (a reopened one, or a record written before this rule)
    that still names someone: the dispatch to a department clears it in the same write."""
    row = client.run(make_complaint, viewers, status="logged")
    client.run(lambda: Complaint.update({Complaint.assignee: viewers["qa.staff"].id}).where(
        Complaint.id == row["id"]))
    client.login("office")
    assert act(client, row["number"], "dispatch", department="SVC").status_code == 303
    after = reload(client, row["number"])
    assert (after["status"], after["department"], after["assignee"]) == ("dispatched", "SVC",
                                                                          None)
    (event,) = events(client, row["id"], "dispatch")
    assert json.loads(event["changes"])["assignee"] == [SUN_LI, None]


def test_the_same_department_keeps_its_assignee_through_an_upheld_appeal(client, viewers):
    row = assigned_in_qa(client, viewers)
    act(client, row["number"], "appeal", kind="not-our-business", reason="不是我们部门的事")
    client.login("office")
    assert act(client, row["number"], "appeal-uphold", note="仍由质量部处理").status_code == 303
    assert reload(client, row["number"])["assignee"] == viewers["qa.staff"].id


# -- an assignee who left the department -------------------------------------------------------

def _moved_away(client, viewers, **values):
    row = assigned_in_qa(client, viewers)
    set_user(client, "qa.staff", **values)
    return row


def test_an_assignee_moved_to_another_department_is_not_urged(client, viewers):
    row = _moved_away(client, viewers, department="SVC")
    try:
        client.login("office")
        assert act(client, row["number"], "urge", note="催办").status_code == 303
        assert notified(client, row["id"], "urged") == [viewers["qa.head"].id]
        assert act(client, row["number"], "note", note="客户来电").status_code == 303
        assert notified(client, row["id"], "noted") == []
    finally:
        set_user(client, "qa.staff", department="QA")


def test_a_deactivated_assignee_is_not_urged(client, viewers):
    row = _moved_away(client, viewers, is_active=False)
    try:
        client.login("office")
        assert act(client, row["number"], "urge", note="催办").status_code == 303
        assert notified(client, row["id"], "urged") == [viewers["qa.head"].id]
    finally:
        set_user(client, "qa.staff", is_active=True)


def test_reminders_skip_an_assignee_who_left_the_department(client, viewers):
    row = _moved_away(client, viewers, department="SVC")
    try:
        after = reload(client, row["number"])
        client.run(lambda: sweep(after["acknowledge_due"] - timedelta(minutes=1), env()))
        # QA has no handler left: its head is reminded instead.
        assert notified(client, row["id"], "reminder") == [viewers["qa.head"].id]
    finally:
        set_user(client, "qa.staff", department="QA")


def test_a_result_returned_after_the_assignee_left_goes_to_the_departments_handlers(
        client, viewers):
    row = client.run(make_complaint, viewers, status="result_submitted")
    client.run(lambda: Complaint.update({Complaint.assignee: viewers["qa.staff"].id}).where(
        Complaint.id == row["id"]))
    set_user(client, "qa.staff", department="SVC")
    try:
        client.login("qa.head")
        assert act(client, row["number"], "return-to-handler",
                   reason="整改措施不具体").status_code == 303
        assert viewers["qa.staff"].id not in notified(client, row["id"], "returned")
    finally:
        set_user(client, "qa.staff", department="QA")
