"""GET/POST /complaints/{number}/edit (issue 12 §4): the office corrects the record — who may,
one history row per changed field, contact views logged, 422 / 409 / nothing-changed, the
second-complaint check both ways, a closed complaint with its statistics moved; and the
office's link-repeat / unlink-repeat with their refusals and grade rules (issue 12 §6)."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest

from db import rollup
from db.tables import ContactView
from portal.corrections import CORRECTABLE
from portal.timeutil import utcnow
from portal.workflow import Action
from tests.deadline_support import POLICY, TZ, act, dues
from tests.factories import events, make_complaint, reload

EVERY_ROLE = ["clerk", "office", "cshead", "admin", "qa.head", "qa.staff", "svc.head", "svc.staff"]
REFUSED = {"clerk": 403, "qa.head": 403, "qa.staff": 403,  # see it (logged it / handle it)
           "svc.head": 404, "svc.staff": 404, "admin": 404}  # strangers
REASON = "登记时电话记错"


def contact_views(client, cid):
    return client.run(lambda: ContactView.count().where(ContactView.complaint == cid))


def form_of(row, **changes):
    """The edit form as the browser sends it back untouched, with `changes` typed in."""
    data = {}
    for name in CORRECTABLE:
        value = row[name]
        if name in ("received_at", "occurred_at"):
            value = value.astimezone(TZ).strftime("%Y-%m-%dT%H:%M") if value else ""
        data[name] = "" if value is None else str(value)
    return {**data, "version": row["version"], "reason": REASON, **changes}


def correct(client, row, **changes):
    return client.post_form(f"/complaints/{row['number']}/edit", form_of(row, **changes))


def complaint(client, viewers, status="dispatched", **overrides):
    return client.run(make_complaint, viewers, status=status, **overrides)


def link_action(client, row, action, **fields):
    return client.post_form(f"/complaints/{row['number']}/{action}",
                            {"version": row["version"], "reason": "经核实", **fields})


async def _rebuilt():
    total, people = await rollup.computed(POLICY, TZ)

    def nonzero(counts):
        return {k: {c: n for c, n in v.items() if n} for k, v in counts.items() if any(v.values())}

    return nonzero(total), nonzero(people)


def assert_rollup_is_a_rebuild(client):
    stored = client.run(rollup.stored)
    assert stored == client.run(_rebuilt)
    assert stored[0]


# -- who may -------------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["office", "cshead"])
def test_the_office_opens_the_form_with_the_intake_fields_and_full_contacts(client, viewers, username):
    row = complaint(client, viewers)
    client.login(username)
    r = client.get(f"/complaints/{row['number']}/edit")
    assert r.status_code == 200
    for name in (*CORRECTABLE, "reason", "version"):
        assert f'name="{name}"' in r.text, name
    for name in ("criteria", "urgent", "callback_requested", "attachments"):
        assert f'name="{name}"' not in r.text, name  # re-grading is its own action
    assert 'value="13812345678"' in r.text and 'value="zw@example.com"' in r.text


def test_opening_the_form_is_logged_as_a_contact_view(client, viewers):
    row = complaint(client, viewers)
    client.login("office")
    client.get(f"/complaints/{row['number']}/edit")
    client.get(f"/complaints/{row['number']}/edit")
    views = client.run(lambda: ContactView.select().where(ContactView.complaint == row["id"]))
    assert [v["user"] for v in views] == [viewers["office"].id] * 2


@pytest.mark.parametrize("username", list(REFUSED))
def test_everyone_else_gets_403_if_they_see_the_complaint_else_404(client, viewers, username):
    row = complaint(client, viewers)
    client.login(username)
    assert client.get(f"/complaints/{row['number']}/edit").status_code == REFUSED[username]
    r = correct(client, row, customer_phone="13900001111")
    assert r.status_code == REFUSED[username]
    assert reload(client, row["number"]) == row
    assert events(client, row["id"], "edit") == []
    assert contact_views(client, row["id"]) == 0


def test_an_unknown_complaint_is_404(client, viewers):
    client.login("office")
    assert client.get("/complaints/TS-2000-999999/edit").status_code == 404


def test_anonymous_users_are_sent_to_log_in(client, viewers):
    row = complaint(client, viewers)
    r = client.get(f"/complaints/{row['number']}/edit")
    assert r.status_code in (302, 303, 401)


def test_a_correction_without_the_csrf_token_is_refused(client, viewers):
    row = complaint(client, viewers)
    client.login("office")
    r = client.post_form(f"/complaints/{row['number']}/edit",
                         form_of(row, customer_phone="13900001111"), csrf=False)
    assert r.status_code == 403
    assert reload(client, row["number"]) == row


@pytest.mark.parametrize("username", EVERY_ROLE)
def test_the_complaint_page_offers_the_correction_to_the_office_only(client, viewers, username):
    row = complaint(client, viewers)
    client.login(username)
    page = client.get(f"/complaints/{row['number']}")
    if username in REFUSED and REFUSED[username] == 404:
        assert page.status_code == 404
        return
    offered = f'href="/complaints/{row["number"]}/edit" data-action="edit"' in page.text
    assert offered is (username in ("office", "cshead"))


# -- saving ---------------------------------------------------------------------------------

def test_each_changed_field_gets_one_history_row_with_from_and_to(client, viewers):
    row = complaint(client, viewers, customer_email="")
    before = events(client, row["id"])
    client.login("office")
    r = correct(client, row, customer_phone="139 0000 1111", customer_email="new@example.com",
                product="电水壶", claimed_loss="150")
    assert r.status_code == 303 and r.headers["location"] == f"/complaints/{row['number']}"
    after = reload(client, row["number"])
    assert (after["customer_phone"], after["customer_email"]) == ("13900001111", "new@example.com")
    assert after["product"] == "电水壶" and after["claimed_loss"] == Decimal("150")
    assert after["version"] == row["version"] + 1 and after["status"] == row["status"]
    added = events(client, row["id"])[len(before):]
    assert [e["action"] for e in added] == ["edit"] * 4
    assert [json.loads(e["changes"]) for e in added] == [
        {"customer_phone": ["13812345678", "13900001111"]},
        {"customer_email": ["", "new@example.com"]},
        {"product": ["电热水壶", "电水壶"]},
        {"claimed_loss": ["0.00", "150.00"]},
    ]
    assert {(e["note"], e["actor"], e["from_status"], e["to_status"]) for e in added} == {
        (REASON, viewers["office"].id, "dispatched", "dispatched")}


def test_the_saved_correction_is_confirmed_and_shown_in_the_history(client, viewers):
    row = complaint(client, viewers)
    client.login("office")
    correct(client, row, customer_name="张薇")
    page = client.get(f"/complaints/{row['number']}").text
    assert "1 field changed" in page or "修改了 1 项" in page
    assert 'data-event="edit"' in page and "张伟 → 张薇" in page and REASON in page


def test_the_history_masks_corrected_contacts_for_those_who_see_them_masked(client, viewers):
    row = complaint(client, viewers)
    client.login("office")
    correct(client, row, customer_phone="13900001111", customer_address="北京市")
    client.login("clerk")  # logged it: sees the complaint, contacts masked
    page = client.get(f"/complaints/{row['number']}").text
    assert "13900001111" not in page and "13812345678" not in page and "北京市" not in page
    assert "138****5678 → 139****1111" in page
    client.login("qa.staff")  # the handling department sees them in full
    assert "13812345678 → 13900001111" in client.get(f"/complaints/{row['number']}").text


def test_a_correction_needs_a_reason(client, viewers):
    row = complaint(client, viewers)
    client.login("office")
    r = correct(client, row, customer_phone="13900001111", reason=" ")
    assert r.status_code == 422
    assert 'class="error"' in r.text and 'name="reason"' in r.text
    assert reload(client, row["number"]) == row
    assert events(client, row["id"], "edit") == []


@pytest.mark.parametrize("changes,field", [
    ({"customer_phone": "12345"}, "customer_phone"),
    ({"customer_email": "not-an-address"}, "customer_email"),
    ({"customer_phone": "", "customer_email": ""}, "customer_phone"),
    ({"customer_name": ""}, "customer_name"),
    ({"description": ""}, "description"),
    ({"category": "nonsense"}, "category"),
    ({"received_at": "2999-01-01T10:00"}, "received_at"),
    ({"received_at": "2026-13-45T10:00"}, "received_at"),
    ({"claimed_loss": "-5"}, "claimed_loss"),
    ({"order_no": "x" * 65}, "order_no"),
])
def test_bad_input_is_refused_next_to_the_field_and_nothing_changes(client, viewers, changes, field):
    row = complaint(client, viewers)
    client.login("office")
    r = correct(client, row, **changes)
    assert r.status_code == 422
    assert f'id="{field}-error"' in r.text
    assert reload(client, row["number"]) == row
    assert events(client, row["id"], "edit") == []


def test_a_complaint_cannot_be_received_after_it_was_logged(client, viewers):
    logged = utcnow() - timedelta(hours=3)
    row = complaint(client, viewers, now=logged, received_at=logged - timedelta(hours=1))
    client.login("office")
    later = (row["logged_at"] + timedelta(hours=1)).astimezone(TZ).strftime("%Y-%m-%dT%H:%M")
    r = correct(client, row, received_at=later)
    assert r.status_code == 422 and 'id="received_at-error"' in r.text
    assert reload(client, row["number"]) == row


def test_a_stale_version_is_refused_and_nothing_is_overwritten(client, viewers):
    row = complaint(client, viewers)
    client.login("office")
    assert correct(client, row, customer_name="张薇").status_code == 303
    fresh = reload(client, row["number"])
    # Someone still holding the form at the old version corrects another field.
    r = correct(client, row, customer_phone="13900001111")
    assert r.status_code == 409
    assert "Someone else changed this complaint" in r.text or "他人已修改" in r.text
    assert reload(client, row["number"]) == fresh
    assert len(events(client, row["id"], "edit")) == 1
    assert 'value="张薇"' in r.text  # the form now shows the latest version


def test_a_workflow_action_meanwhile_makes_the_open_form_stale(client, viewers):
    row = complaint(client, viewers)
    client.login("qa.staff")
    client.post_form(f"/complaints/{row['number']}/acknowledge", {"version": row["version"]})
    client.login("office")
    assert correct(client, row, customer_name="张薇").status_code == 409
    assert reload(client, row["number"])["customer_name"] == "张伟"


def test_saving_without_any_change_writes_nothing(client, viewers):
    row = complaint(client, viewers)
    client.login("office")
    r = correct(client, row)
    assert r.status_code == 200
    assert "Nothing to save" in r.text or "没有需要保存" in r.text
    assert reload(client, row["number"]) == row
    assert events(client, row["id"], "edit") == []


def test_a_correction_of_the_received_time_moves_the_dispatch_target(client, viewers):
    row = complaint(client, viewers, status="logged")
    earlier = (row["received_at"] - timedelta(days=3)).astimezone(TZ).strftime("%Y-%m-%dT%H:%M")
    client.login("office")
    assert correct(client, row, received_at=earlier).status_code == 303
    after = reload(client, row["number"])
    assert after["received_at"] < row["received_at"] - timedelta(days=2)
    assert after["next_due"] < row["next_due"]  # DOMAIN §4: dispatch within a working day


def test_a_retired_complained_department_stays_choosable(client, viewers):
    from db.tables import Department

    row = complaint(client, viewers, complained_department="PROD")
    client.run(lambda: Department.update({Department.is_active: False}).where(Department.code == "PROD"))
    try:
        client.login("office")
        assert 'selected value="PROD"' in client.get(f"/complaints/{row['number']}/edit").text
        assert correct(client, row, customer_name="张薇").status_code == 303
        assert reload(client, row["number"])["complained_department"] == "PROD"
    finally:
        client.run(lambda: Department.update({Department.is_active: True}).where(Department.code == "PROD"))


# -- a closed complaint and its statistics ---------------------------------------------------

def closed_complaint(client, viewers):
    row = complaint(client, viewers, status="replied", callback_requested=True,
                    complained_person="王五")
    now = utcnow()
    client.run(act, viewers, row["number"], Action.REVISIT_ATTEMPT, "office", now,
               outcome="reached", overall=5, speed=5, attitude=5, solved=True, comments="")
    row = reload(client, row["number"])
    assert row["status"] == "closed"
    return row


def test_a_closed_complaint_is_corrected_and_its_statistics_move(client, viewers):
    row = closed_complaint(client, viewers)
    groups = client.run(rollup.stored)[0]
    assert any(k[2] == "quality" for k in groups)
    earlier = (row["received_at"] - timedelta(days=40)).astimezone(TZ).strftime("%Y-%m-%dT%H:%M")
    client.login("office")
    r = correct(client, row, category="service", channel="email", received_at=earlier,
                complained_person="赵六")
    assert r.status_code == 303
    after = reload(client, row["number"])
    assert (after["status"], after["category"], after["channel"]) == ("closed", "service", "email")
    assert after["resolve_minutes"] > row["resolve_minutes"]  # DOMAIN §6: from receipt
    assert len(events(client, row["id"], "edit")) == 4
    assert_rollup_is_a_rebuild(client)
    groups, people = client.run(rollup.stored)
    received = {k[2]: v.get("received", 0) for k, v in groups.items() if v.get("received")}
    assert received == {"service": 1}
    assert {k[1] for k in people if k[1].startswith("n")} == {"n赵六"}


# -- the second-complaint check runs again ---------------------------------------------------

def two_customers(client, viewers, second_status="dispatched", **second):
    """An earlier Class II complaint of 13812345678 about the kettle, and a later Class II one
    of another phone about the same kettle: not a second complaint (not the same customer)."""
    first = complaint(client, viewers, status="dispatched")
    values = {"customer_phone": "13900001111", "customer_email": "", **second}
    later = complaint(client, viewers, status=second_status, **values)
    assert not later["is_second"] and later["grade"] == "II"
    return first, later


def test_a_corrected_phone_that_makes_it_the_same_customer_links_it_and_applies_i7(client, viewers):
    first, later = two_customers(client, viewers)
    client.login("office")
    assert correct(client, later, customer_phone="13812345678").status_code == 303
    after = reload(client, later["number"])
    assert after["is_second"] and after["previous_number"] == first["number"]
    assert after["grade"] == "I" and after["criteria"] == "I-7,II-5"
    assert after["acknowledge_due"] < later["acknowledge_due"]  # Class I deadlines, from dispatch
    assert after["clock_start"] == later["clock_start"]
    added = events(client, later["id"])[-3:]
    assert [e["action"] for e in added] == ["edit", "edit", "auto-grade"]
    assert json.loads(added[1]["changes"]) == {"previous_number": [None, first["number"]]}
    auto = json.loads(added[2]["changes"])
    assert (added[2]["note"], added[2]["actor"]) == ("I-7", None)
    assert auto["grade"] == ["II", "I"] and auto["criteria"] == ["II-5", "I-7,II-5"]
    assert "acknowledge_due" in auto
    page = client.get(f"/complaints/{later['number']}").text
    assert 'data-rule="I-7"' in page and "tag-second" in page
    assert_rollup_is_a_rebuild(client)


def test_a_correction_that_ends_the_match_unlinks_and_withdraws_the_rule(client, viewers):
    first = complaint(client, viewers, status="dispatched")
    later = complaint(client, viewers, status="dispatched")  # same phone, same kettle
    assert later["is_second"] and later["grade"] == "I"
    client.login("office")
    r = correct(client, later, product="空气净化器", description="滤网异味，开机后有刺鼻气味")
    assert r.status_code == 303
    after = reload(client, later["number"])
    assert not after["is_second"] and after["previous_number"] is None
    assert after["grade"] == "II" and after["criteria"] == "II-5"
    assert after["acknowledge_due"] > later["acknowledge_due"]  # Class II deadlines again
    added = events(client, later["id"])[-4:]
    assert [e["action"] for e in added] == ["edit", "edit", "edit", "auto-grade-undone"]
    assert json.loads(added[2]["changes"]) == {"previous_number": [first["number"], None]}
    assert added[3]["note"] == "I-7"
    assert json.loads(added[3]["changes"])["grade"] == ["I", "II"]
    assert_rollup_is_a_rebuild(client)


def test_a_change_that_keeps_the_same_match_leaves_the_link_alone(client, viewers):
    first = complaint(client, viewers, status="dispatched")
    later = complaint(client, viewers, status="dispatched")
    client.login("office")
    assert correct(client, later, customer_email="other@example.com").status_code == 303
    after = reload(client, later["number"])
    assert (after["previous_number"], after["grade"]) == (first["number"], "I")
    assert [e["action"] for e in events(client, later["id"])][-1] == "edit"


def test_a_replied_complaint_is_linked_but_keeps_the_deadlines_it_was_measured_against(client, viewers):
    first = complaint(client, viewers, status="dispatched")
    later = complaint(client, viewers, status="replied", customer_phone="13900001111",
                      customer_email="")
    client.login("office")
    assert correct(client, later, customer_phone="13812345678").status_code == 303
    after = reload(client, later["number"])
    assert after["previous_number"] == first["number"] and after["grade"] == "I"
    assert dues(after) == dues(later)  # the clock is not running
    assert_rollup_is_a_rebuild(client)


def test_a_link_made_by_hand_stands_through_a_correction(client, viewers):
    first, later = two_customers(client, viewers)
    client.login("office")
    assert link_action(client, later, "link-repeat", original=first["number"]).status_code == 303
    later = reload(client, later["number"])
    assert correct(client, later, description="完全不同的问题：发票抬头错误").status_code == 303
    after = reload(client, later["number"])
    assert after["previous_number"] == first["number"] and after["grade"] == "I"


def test_an_unlink_made_by_hand_stands_through_a_correction(client, viewers):
    complaint(client, viewers, status="dispatched")
    later = complaint(client, viewers, status="dispatched")
    client.login("office")
    assert link_action(client, later, "unlink-repeat").status_code == 303
    later = reload(client, later["number"])
    assert correct(client, later, description="底座漏电，跳闸三次").status_code == 303
    assert not reload(client, later["number"])["is_second"]


# -- link-repeat and unlink-repeat ------------------------------------------------------------

def test_linking_by_hand_applies_i7_with_the_deadlines_and_one_history_row(client, viewers):
    first, later = two_customers(client, viewers)
    client.login("office")
    page = client.get(f"/complaints/{later['number']}").text
    assert 'data-action="link-repeat"' in page and 'data-action="unlink-repeat"' not in page
    r = link_action(client, later, "link-repeat", original=first["number"].lower())
    assert r.status_code == 303
    after = reload(client, later["number"])
    assert (after["is_second"], after["previous_number"], after["repeat_manual"]) == (
        True, first["number"], True)
    assert after["grade"] == "I" and after["criteria"] == "I-7,II-5"
    assert after["acknowledge_due"] < later["acknowledge_due"]
    (event,) = events(client, later["id"], "link-repeat")
    changes = json.loads(event["changes"])
    assert changes["previous_number"] == [None, first["number"]]
    assert changes["grade"] == ["II", "I"] and "acknowledge_due" in changes
    assert event["note"] == "经核实"
    page = client.get(f"/complaints/{later['number']}").text
    assert 'data-action="unlink-repeat"' in page and 'data-action="link-repeat"' not in page
    assert_rollup_is_a_rebuild(client)


def test_unlinking_by_hand_drops_the_rule_and_recomputes_the_grade(client, viewers):
    complaint(client, viewers, status="dispatched")
    later = complaint(client, viewers, status="dispatched")
    client.login("cshead")
    assert link_action(client, later, "unlink-repeat").status_code == 303
    after = reload(client, later["number"])
    assert (after["is_second"], after["previous_number"]) == (False, None)
    assert after["grade"] == "II" and after["criteria"] == "II-5"
    assert after["acknowledge_due"] > later["acknowledge_due"]
    (event,) = events(client, later["id"], "unlink-repeat")
    assert json.loads(event["changes"])["grade"] == ["I", "II"]
    assert_rollup_is_a_rebuild(client)


def test_unlinking_keeps_a_grade_the_office_set_by_hand(client, viewers):
    complaint(client, viewers, status="dispatched", criteria=["M-1"])
    later = complaint(client, viewers, status="dispatched", criteria=["M-1"])
    assert later["grade"] == "II" and later["criteria"] == "II-6,M-1"
    client.login("office")
    client.post_form(f"/complaints/{later['number']}/regrade",
                     {"version": later["version"], "grade": "I", "reason": "媒体已报道"})
    later = reload(client, later["number"])
    assert link_action(client, later, "unlink-repeat").status_code == 303
    after = reload(client, later["number"])
    assert after["grade"] == "I" and after["criteria"] == "M-1"


def test_a_minor_repeat_linked_by_hand_gets_ii6(client, viewers):
    first = complaint(client, viewers, status="logged", criteria=["M-1"])
    later = complaint(client, viewers, status="logged", criteria=["M-1"], customer_phone="13900001111",
                      customer_email="")
    client.login("office")
    assert link_action(client, later, "link-repeat", original=first["number"]).status_code == 303
    after = reload(client, later["number"])
    assert after["grade"] == "II" and after["criteria"] == "II-6,M-1"


def test_linking_to_a_complaint_outside_the_window_links_without_a_rule(client, viewers):
    long_ago = utcnow() - timedelta(days=200)
    first = complaint(client, viewers, status="logged", now=long_ago,
                      received_at=long_ago - timedelta(hours=1))
    later = complaint(client, viewers, status="logged", customer_phone="13900001111",
                      customer_email="")
    client.login("office")
    assert link_action(client, later, "link-repeat", original=first["number"]).status_code == 303
    after = reload(client, later["number"])
    assert after["previous_number"] == first["number"] and after["grade"] == "II"


@pytest.mark.parametrize("original", ["", "TS-2000-999999", "113", "self", "later"])
def test_linking_needs_another_earlier_complaint(client, viewers, original):
    first, later = two_customers(client, viewers)
    newer = complaint(client, viewers, status="logged", customer_phone="13700001111",
                      customer_email="")
    number = {"self": later["number"], "later": newer["number"]}.get(original, original)
    client.login("office")
    r = link_action(client, later, "link-repeat", original=number)
    assert r.status_code == 422
    assert 'class="error"' in r.text
    assert reload(client, later["number"]) == later
    assert events(client, later["id"], "link-repeat") == []


def test_linking_needs_a_reason(client, viewers):
    first, later = two_customers(client, viewers)
    client.login("office")
    r = link_action(client, later, "link-repeat", original=first["number"], reason="")
    assert r.status_code == 422
    assert reload(client, later["number"]) == later


def test_an_already_linked_complaint_cannot_be_linked_again(client, viewers):
    first = complaint(client, viewers, status="dispatched")
    later = complaint(client, viewers, status="dispatched")
    client.login("office")
    r = link_action(client, later, "link-repeat", original=first["number"])
    assert r.status_code == 409
    assert "already linked" in r.text or "已关联到一件前次投诉" in r.text
    assert reload(client, later["number"]) == later


def test_a_complaint_that_is_not_linked_cannot_be_unlinked(client, viewers):
    _first, later = two_customers(client, viewers)
    client.login("office")
    r = link_action(client, later, "unlink-repeat")
    assert r.status_code == 409
    assert reload(client, later["number"]) == later
