"""POST /complaints/{number}/{action}: every action in every status, side effects, refusals."""

from decimal import Decimal

import pytest

from db.tables import Complaint, ComplaintEvent, Notification
from portal.demo import PATHS
from portal.workflow import RULES, UNVERSIONED, Action, Status, next_status
from tests.factories import make_complaint

STATUSES = [s for s in PATHS]  # every status a complaint can be walked to
# Demo paths that end in a status plus a condition.
STATUS_OF = {"extension": Status.IN_PROGRESS}  # in progress, an extension request pending


def _allowed(action: Action, path: str) -> bool:
    if STATUS_OF.get(path, path) not in RULES[action].from_statuses:
        return False
    pending = path == "extension"
    if action is Action.REQUEST_EXTENSION:
        return not pending
    if action in (Action.APPROVE_EXTENSION, Action.REFUSE_EXTENSION):
        return pending
    if action is Action.CLOSE_REVISIT:
        return False  # only after repeated dissatisfaction (tests/pages/test_revisits.py)
    return True

VALID_FIELDS = {
    Action.DISPATCH: {"department": "QA"},
    Action.REGRADE: {"grade": "I", "reason": "媒体已报道"},
    Action.INVALID: {"kind": "invalid", "reason": "非本公司产品"},
    Action.ACKNOWLEDGE: {},
    Action.START: {},
    Action.CONTACT: {"note": "已致电客户"},
    Action.SUBMIT_RESULT: {"cause": "来料不良", "solution": "换新", "corrective_action": "全检",
                           "compensation": "200"},
    Action.SIGN_OFF: {},
    Action.VERIFY: {},
    Action.SEND_BACK: {"reason": "原因分析不充分"},
    Action.REPLY: {"reply": "已为您换新"},
    Action.RESOLVE_ON_SPOT: {"reply": "当场退款"},
    Action.REQUEST_EXTENSION: {"reason": "等待检测报告"},  # new_due: the row's cap, see _act
    Action.APPROVE_EXTENSION: {},
    Action.REFUSE_EXTENSION: {"note": "理由不充分"},
    Action.APPEAL: {"kind": "not-our-business", "reason": "属于物流环节"},
    Action.APPEAL_REASSIGN: {"department": "SVC"},
    Action.APPEAL_UPHOLD: {"note": "属于本部门职责"},
    Action.REVISIT_ATTEMPT: {"outcome": "no-answer", "note": "无人接听"},
    Action.SEND_SURVEY: {},
    Action.CLOSE_REVISIT: {"note": "已与客户当面沟通"},
    Action.ASSIGN: {"assignee": "qa.staff"},
    Action.RETURN_TO_HANDLER: {"reason": "整改措施不具体"},
    Action.NOTE: {"note": "客户下午再次来电"},
    Action.URGE: {"note": "请尽快处理"},
    Action.LINK_REPEAT: {"reason": "同一客户、同一问题"},  # original: see _repeat_setup
    Action.UNLINK_REPEAT: {"reason": "不是同一问题"},
}

# A user whose role may take the action on a QA complaint logged by clerk.
ACTOR = {
    Action.DISPATCH: "office", Action.REGRADE: "office", Action.INVALID: "office",
    Action.ACKNOWLEDGE: "qa.staff", Action.START: "qa.staff", Action.CONTACT: "qa.staff",
    Action.SUBMIT_RESULT: "qa.staff", Action.SIGN_OFF: "qa.head", Action.VERIFY: "office",
    Action.SEND_BACK: "office", Action.REPLY: "office", Action.RESOLVE_ON_SPOT: "clerk",
    Action.REQUEST_EXTENSION: "qa.head", Action.APPROVE_EXTENSION: "office",
    Action.REFUSE_EXTENSION: "office", Action.APPEAL: "qa.head", Action.APPEAL_REASSIGN: "office",
    Action.APPEAL_UPHOLD: "office", Action.REVISIT_ATTEMPT: "office", Action.SEND_SURVEY: "office",
    Action.CLOSE_REVISIT: "cshead", Action.ASSIGN: "qa.head", Action.RETURN_TO_HANDLER: "qa.head",
    Action.NOTE: "office", Action.URGE: "office", Action.LINK_REPEAT: "office",
    Action.UNLINK_REPEAT: "cshead",
}
EVERY_ROLE = ["clerk", "office", "cshead", "admin", "qa.head", "qa.staff", "svc.head", "svc.staff"]


def _reload(client, number):
    return client.run(lambda: Complaint.select().where(Complaint.number == number).first())


def _history(client, complaint_id):
    return client.run(lambda: ComplaintEvent.select().where(ComplaintEvent.complaint == complaint_id)
                      .order_by(ComplaintEvent.id))


def _repeat_setup(client, viewers, action) -> dict:
    """Before the complaint under test is logged: for link-repeat an earlier complaint of
    another customer (returned as the form's `original`), for unlink-repeat an earlier one of
    the same customer and matter, so that the complaint is linked to it at intake."""
    if action is Action.LINK_REPEAT:
        other = client.run(make_complaint, viewers, status="logged", customer_phone="13900002222",
                           customer_email="", product="空气净化器", description="滤网异味")
        return {"original": other["number"]}
    if action is Action.UNLINK_REPEAT:
        client.run(make_complaint, viewers, status="logged", criteria=["M-1"])
    return {}


def _act(client, row, action, **extra):
    data = {**VALID_FIELDS[action], "version": row["version"], **extra}
    if action is Action.REQUEST_EXTENSION and "new_due" not in data and row["cap_due"]:
        data["new_due"] = row["cap_due"].isoformat()
    return client.post_form(f"/complaints/{row['number']}/{action.value}", data)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", list(Action))
def test_each_action_is_allowed_exactly_in_its_statuses(client, viewers, action, status):
    # Minor grade so that resolve-on-spot is possible where its status allows; a call-back
    # asked for, so that a replied complaint always waits for its revisit.
    extra = _repeat_setup(client, viewers, action)
    row = client.run(make_complaint, viewers, status=status, criteria=["M-1"],
                     callback_requested=True)
    before = len(_history(client, row["id"]))
    client.login(ACTOR[action])
    r = _act(client, row, action, **extra)
    after = _reload(client, row["number"])
    if _allowed(action, status):
        assert r.status_code == 303, r.text
        # A note or an urge changes no field of the record, so it leaves the version.
        assert after["version"] == row["version"] + (0 if action in UNVERSIONED else 1)
        # A reply is followed by the revisit draw's own history row.
        drawn = action in (Action.REPLY, Action.RESOLVE_ON_SPOT)
        assert len(_history(client, row["id"])) == before + (2 if drawn else 1)
        assert after["status"] == next_status(action, row["status"], row["acknowledged_at"] is not None)
    else:
        # Before dispatch (and once invalid) the complaint is no department's to see.
        hidden = ACTOR[action].startswith("qa.") and status in ("logged", "invalid")
        assert r.status_code == (404 if hidden else 409)
        assert after["status"] == row["status"]
        assert after["version"] == row["version"]
        assert len(_history(client, row["id"])) == before


def test_dispatch_sets_the_department_and_notifies_its_staff(client, viewers):
    row = client.run(make_complaint, viewers, status="logged")
    client.login("office")
    r = _act(client, row, Action.DISPATCH, department="SVC")
    assert r.status_code == 303
    after = _reload(client, row["number"])
    assert after["department"] == "SVC" and after["dispatched_at"] is not None
    notified = client.run(lambda: Notification.select(Notification.user).where(
        Notification.complaint == row["id"]))
    assert {n["user"] for n in notified} == {viewers["svc.head"].id, viewers["svc.staff"].id}
    event = _history(client, row["id"])[-1]
    assert event["action"] == "dispatch" and event["actor"] == viewers["office"].id
    assert (event["from_status"], event["to_status"]) == ("logged", "dispatched")
    assert '"department": [null, "SVC"]' in event["changes"]


def test_dispatch_to_an_unknown_department_changes_nothing(client, viewers):
    row = client.run(make_complaint, viewers, status="logged")
    client.login("office")
    r = _act(client, row, Action.DISPATCH, department="NOPE")
    assert r.status_code == 422
    assert _reload(client, row["number"])["status"] == "logged"


def test_submit_result_stores_every_field(client, viewers):
    row = client.run(make_complaint, viewers, status="in_progress")
    client.login("qa.staff")
    assert _act(client, row, Action.SUBMIT_RESULT).status_code == 303
    after = _reload(client, row["number"])
    assert (after["cause"], after["solution"], after["corrective_action"]) == ("来料不良", "换新", "全检")
    assert after["compensation"] == Decimal("200")
    assert after["result_submitted_at"] is not None


def test_submit_result_without_cause_is_refused_and_changes_nothing(client, viewers):
    row = client.run(make_complaint, viewers, status="in_progress")
    client.login("qa.staff")
    r = _act(client, row, Action.SUBMIT_RESULT, cause="")
    assert r.status_code == 422
    assert 'class="error"' in r.text
    assert _reload(client, row["number"])["version"] == row["version"]


def test_negative_compensation_is_refused(client, viewers):
    row = client.run(make_complaint, viewers, status="in_progress")
    client.login("qa.staff")
    assert _act(client, row, Action.SUBMIT_RESULT, compensation="-1").status_code == 422


def test_send_back_returns_to_in_progress_with_the_reason_in_history(client, viewers):
    row = client.run(make_complaint, viewers, status="signed_off")
    client.login("office")
    assert _act(client, row, Action.SEND_BACK).status_code == 303
    assert _reload(client, row["number"])["status"] == "in_progress"
    assert _history(client, row["id"])[-1]["note"] == "原因分析不充分"


def test_send_back_requires_a_reason(client, viewers):
    row = client.run(make_complaint, viewers, status="signed_off")
    client.login("office")
    assert _act(client, row, Action.SEND_BACK, reason="").status_code == 422
    assert _reload(client, row["number"])["status"] == "signed_off"


def test_reply_marks_replied_and_notifies_the_first_responder(client, viewers):
    row = client.run(make_complaint, viewers, status="verified")
    client.login("office")
    assert _act(client, row, Action.REPLY).status_code == 303
    after = _reload(client, row["number"])
    assert after["status"] == "replied" and after["reply"] == "已为您换新"
    notes = client.run(lambda: Notification.select().where(
        (Notification.complaint == row["id"]) & (Notification.kind == "replied")))
    assert [n["user"] for n in notes] == [viewers["clerk"].id]
    client.login("clerk")
    assert "TS-" in client.get("/notifications").text


def test_regrade_requires_a_reason_and_records_from_and_to(client, viewers):
    row = client.run(make_complaint, viewers, status="logged", criteria=["II-5"])
    client.login("office")
    assert _act(client, row, Action.REGRADE, reason="").status_code == 422
    assert _act(client, row, Action.REGRADE).status_code == 303
    after = _reload(client, row["number"])
    assert after["grade"] == "I"
    event = _history(client, row["id"])[-1]
    assert '"grade": ["II", "I"]' in event["changes"] and event["note"] == "媒体已报道"


def test_duplicate_needs_an_existing_original(client, viewers):
    original = client.run(make_complaint, viewers, status="logged")
    row = client.run(make_complaint, viewers, status="logged", customer_phone="13900001111",
                     customer_email="")
    client.login("office")
    r = _act(client, row, Action.INVALID, kind="duplicate", original="")
    assert r.status_code == 422
    r = _act(client, row, Action.INVALID, kind="duplicate", original="TS-2000-999999")
    assert r.status_code == 422
    r = _act(client, row, Action.INVALID, kind="duplicate", original=row["number"])
    assert r.status_code == 422
    r = _act(client, row, Action.INVALID, kind="duplicate", original=original["number"].lower())
    assert r.status_code == 303
    after = _reload(client, row["number"])
    assert after["status"] == "invalid" and after["duplicate_of"] == original["number"]
    page = client.get(f"/complaints/{row['number']}").text
    assert f'href="/complaints/{original["number"]}"' in page


def test_a_stale_version_is_refused_and_nothing_is_overwritten(client, viewers):
    row = client.run(make_complaint, viewers, status="dispatched")
    client.login("qa.staff")
    assert _act(client, row, Action.ACKNOWLEDGE).status_code == 303
    fresh = _reload(client, row["number"])
    # A second person still holding the page at the old version tries to start it.
    r = client.post_form(f"/complaints/{row['number']}/start", {"version": row["version"]})
    assert r.status_code == 409
    assert "Someone else changed this complaint" in r.text or "他人已修改" in r.text
    assert _reload(client, row["number"]) == fresh


def test_a_missing_version_is_treated_as_stale(client, viewers):
    row = client.run(make_complaint, viewers, status="dispatched")
    client.login("qa.staff")
    r = client.post_form(f"/complaints/{row['number']}/acknowledge", {})
    assert r.status_code == 409
    assert _reload(client, row["number"])["status"] == "dispatched"


def test_an_action_already_taken_by_someone_else_gets_409_with_a_message(client, viewers):
    row = client.run(make_complaint, viewers, status="dispatched")
    client.login("qa.staff")
    assert _act(client, row, Action.ACKNOWLEDGE).status_code == 303
    r = _act(client, row, Action.ACKNOWLEDGE)
    assert r.status_code == 409
    assert "current status" in r.text or "当前状态" in r.text


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("username", ["office", "cshead"])
@pytest.mark.parametrize("action", [Action.LINK_REPEAT, Action.UNLINK_REPEAT])
def test_the_office_links_and_unlinks_a_repeat_in_every_status(client, viewers, action, username,
                                                                status):
    extra = _repeat_setup(client, viewers, action)
    row = client.run(make_complaint, viewers, status=status, criteria=["M-1"])
    assert row["is_second"] is (action is Action.UNLINK_REPEAT)
    before = _history(client, row["id"])
    client.login(username)
    assert _act(client, row, action, **extra).status_code == 303
    after = _reload(client, row["number"])
    assert after["is_second"] is (action is Action.LINK_REPEAT)
    assert after["status"] == row["status"] and after["version"] == row["version"] + 1
    assert [e["action"] for e in _history(client, row["id"])[len(before):]] == [action.value]


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", [Action.LINK_REPEAT, Action.UNLINK_REPEAT])
def test_every_other_role_is_refused_linking_or_unlinking_in_every_status(client, viewers, action,
                                                                          status):
    extra = _repeat_setup(client, viewers, action)
    row = client.run(make_complaint, viewers, status=status, criteria=["M-1"])
    before = _history(client, row["id"])
    for username in EVERY_ROLE:
        if username in ("office", "cshead"):
            continue
        client.login(username)
        r = _act(client, row, action, **extra)
        # Before dispatch (and once invalid) no department sees it; another department never.
        sees = username == "clerk" or (username.startswith("qa.")
                                       and status not in ("logged", "invalid"))
        assert r.status_code == (403 if sees else 404), username
        assert _reload(client, row["number"]) == row, username
        assert len(_history(client, row["id"])) == len(before), username


@pytest.mark.parametrize("username,action,status,expected", [
    ("qa.staff", Action.DISPATCH, "logged", 403),      # office work, QA cannot see a logged one
    ("qa.staff", Action.VERIFY, "signed_off", 403),
    ("qa.staff", Action.REPLY, "verified", 403),
    ("qa.staff", Action.SIGN_OFF, "result_submitted", 403),  # department head only
    ("svc.staff", Action.ACKNOWLEDGE, "dispatched", 404),    # another department
    ("svc.head", Action.SIGN_OFF, "result_submitted", 404),
    ("clerk", Action.ACKNOWLEDGE, "dispatched", 403),        # logged it, may look, not act
    ("admin", Action.DISPATCH, "logged", 404),
    ("office", Action.ACKNOWLEDGE, "dispatched", 403),       # department work
])
def test_roles_and_departments_are_checked(client, viewers, username, action, status, expected):
    row = client.run(make_complaint, viewers, status=status)
    client.login(username)
    r = _act(client, row, action)
    if username == "qa.staff" and status == "logged":
        expected = 404  # a logged complaint is not yet the department's to see
    assert r.status_code == expected
    after = _reload(client, row["number"])
    assert (after["status"], after["version"]) == (row["status"], row["version"])


def test_an_unknown_action_is_404(client, viewers):
    row = client.run(make_complaint, viewers, status="logged")
    client.login("office")
    assert client.post_form(f"/complaints/{row['number']}/explode", {"version": 1}).status_code == 404


def test_get_on_an_action_url_is_refused(client, viewers):
    row = client.run(make_complaint, viewers, status="logged")
    client.login("office")
    assert client.get(f"/complaints/{row['number']}/dispatch").status_code == 405


def test_htmx_action_swaps_the_complaint_fragment(client, viewers):
    row = client.run(make_complaint, viewers, status="dispatched")
    client.login("qa.staff")
    r = client.post_form(f"/complaints/{row['number']}/acknowledge", {"version": row["version"]},
                         htmx=True)
    assert r.status_code == 200
    assert "<html" not in r.text and 'id="complaint"' in r.text
    assert 'data-status="acknowledged"' in r.text
    assert 'data-action="start"' in r.text
    assert r.headers["vary"] == "HX-Request"


def test_htmx_conflict_returns_the_fragment_with_the_message(client, viewers):
    row = client.run(make_complaint, viewers, status="acknowledged")
    client.login("qa.staff")
    r = client.post_form(f"/complaints/{row['number']}/acknowledge", {"version": row["version"]},
                         htmx=True)
    assert r.status_code == 409
    assert "<html" not in r.text and 'flash-error' in r.text


def test_htmx_invalid_form_returns_the_fragment_with_field_errors(client, viewers):
    row = client.run(make_complaint, viewers, status="signed_off")
    client.login("office")
    r = client.post_form(f"/complaints/{row['number']}/send-back",
                         {"version": row["version"], "reason": ""}, htmx=True)
    assert r.status_code == 422
    assert "<html" not in r.text and 'class="error"' in r.text
    assert _reload(client, row["number"])["status"] == "signed_off"


def test_every_status_is_reachable_by_the_full_story(client, viewers):
    row = client.run(make_complaint, viewers, status="replied", callback_requested=True)
    events = [e["action"] for e in _history(client, row["id"])]
    assert events == ["log", "dispatch", "acknowledge", "start", "contact", "submit-result",
                      "sign-off", "verify", "reply", "revisit-draw"]
    assert _reload(client, row["number"])["status"] == Status.REPLIED
