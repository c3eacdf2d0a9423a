"""/admin/policy and /admin/policy/history: who may, validation, versions, and that a saved
policy applies to what happens next (and not to deadlines already set)."""

import json
import re
from datetime import timedelta

import pytest

from db.calendar import business_calendar
from db.tables import Complaint, ComplaintEvent, PolicyVersion
from portal.deadlines import compute
from portal.policy import load_policy, parse_policy
from portal.timeutil import utcnow
from tests.deadline_support import TZ, fresh_customer
from tests.factories import make_complaint

EVERY_ROLE = ["clerk", "office", "cshead", "admin", "qa.head", "qa.staff"]


def versions(client) -> list[dict]:
    return client.run(lambda: PolicyVersion.select().order_by(PolicyVersion.id))


def save(client, **values):
    return client.post_form("/admin/policy", {k.replace("__", "."): v for k, v in values.items()})


@pytest.mark.parametrize("username", EVERY_ROLE)
def test_only_the_admin_and_the_cs_head_edit_the_policy(client, username):
    client.login(username)
    allowed = username in ("admin", "cshead")
    assert client.get("/admin/policy").status_code == (200 if allowed else 403)
    assert client.get("/admin/policy/history").status_code == (200 if allowed else 403)
    r = client.post_form("/admin/policy", {"revisit.rates.II": "0.5"})
    assert r.status_code == (303 if allowed else 403)
    assert len(versions(client)) == (1 if allowed else 0)


def test_anonymous_is_sent_to_log_in(client):
    assert client.get("/admin/policy", follow_redirects=False).status_code == 303


def test_the_page_shows_every_contract_field_with_its_value(client):
    client.login("cshead")
    html = client.get("/admin/policy").text
    for g in ("I", "II", "M", "urgent"):
        for d in ("acknowledge", "contact", "result", "cap"):
            assert f'name="deadlines.{g}.{d}"' in html
    assert 'name="revisit.rates.II" type="text" value="0.8"' in html
    assert 'name="assessment.weights.on_time" type="text" value="35"' in html
    assert 'name="assessment.employee_min_resolved"' in html
    assert 'name="channels.phone.zh"' in html and 'name="categories.quality.route"' in html
    assert 'name="criteria.I-1.zh"' in html and 'name="calendar.work_start"' in html


def test_a_saved_change_is_a_new_version_with_its_difference(client, viewers):
    client.login("cshead")
    r = save(client, revisit__rates__II="0.5", deadlines__I__result="4d")
    assert r.status_code == 303 and r.headers["location"] == "/admin/policy"
    (v,) = versions(client)
    assert v["created_by"] == viewers["cshead"].id
    assert json.loads(v["changes"]) == [["deadlines.grades.I.result", "3d", "4d"],
                                        ["revisit.rates.II", 0.8, 0.5]]
    data = json.loads(v["data"])
    assert data["revisit"]["rates"]["II"] == 0.5
    parse_policy(data)  # a version reads back alone
    page = client.get("/admin/policy").text
    assert 'value="0.5"' in page and 'value="4d"' in page
    history = re.sub(r"<td\b[^>]*>", "<td>", client.get("/admin/policy/history").text)
    assert 'data-setting="revisit.rates.II"' in history
    assert 'data-setting="deadlines.grades.I.result"' in history
    # Read as settings and values, not as the document's paths and raw values.
    assert "<td>回访比例：二类投诉</td><td>80%</td><td>50%</td>" in history
    assert "<td>3 个工作日</td><td>4 个工作日</td>" in history
    assert f'data-version="{v["id"]}"' in history


def test_saving_without_a_change_makes_no_version(client):
    client.login("admin")
    r = save(client, revisit__rates__II="0.8")
    assert r.status_code == 303
    assert versions(client) == []
    page = client.get("/admin/policy").text
    assert "没有任何设置被修改" in page


@pytest.mark.parametrize("field,value", [
    ("deadlines.I.acknowledge", "3x"), ("revisit.rates.M", "1.5"), ("revisit.due_days", "0"),
    ("assessment.weights.on_time", "50"), ("calendar.work_end", "08:00"),
    ("channels.phone.zh", ""), ("categories.quality.route", "NOWHERE"),
])
def test_an_invalid_value_is_refused_next_to_its_field_and_nothing_changes(client, field, value):
    client.login("admin")
    r = client.post_form("/admin/policy", {field: value, "revisit.rates.II": "0.5"})
    assert r.status_code == 422
    fid = "p-" + field.replace(".", "-")
    assert f'id="{fid}-error"' in r.text
    if not field.endswith(".route"):  # a text field shows what was typed, to correct it
        assert f'value="{value}"' in r.text
    assert versions(client) == []
    assert 'value="0.8"' in client.get("/admin/policy").text


def test_the_second_of_two_editors_is_told(client):
    client.login("admin")
    page = client.get("/admin/policy").text
    assert 'name="version" value="0"' in page
    assert client.post_form("/admin/policy", {"version": "0", "revisit.rates.II": "0.5"}
                            ).status_code == 303
    r = client.post_form("/admin/policy", {"version": "0", "revisit.rates.M": "0.3"})
    assert r.status_code == 409
    assert len(versions(client)) == 1


def test_saving_needs_the_csrf_token(client):
    client.login("admin")
    r = client.post_form("/admin/policy", {"revisit.rates.II": "0.5"}, csrf=False)
    assert r.status_code == 403 and versions(client) == []


def test_the_history_is_paginated_newest_first(client):
    client.login("admin")
    for i in range(25):
        assert save(client, revisit__due_days=str(i + 1 if i + 1 != 7 else 30)).status_code == 303
    first = client.get("/admin/policy/history").text
    ids = [v["id"] for v in versions(client)]
    assert f'data-version="{ids[-1]}"' in first and f'data-version="{ids[0]}"' not in first
    second = client.get("/admin/policy/history", params={"page": 2}).text
    assert f'data-version="{ids[0]}"' in second and 'rel="prev"' in second


def dispatch(client, number: str):
    row = client.run(lambda: Complaint.select().where(Complaint.number == number).first())
    return client.post_form(f"/complaints/{number}/dispatch",
                            {"version": row["version"], "department": "QA"})


def test_a_deadline_change_applies_to_the_next_dispatch_and_not_to_earlier_ones(client, viewers):
    before = client.run(lambda: make_complaint(viewers, "logged", **fresh_customer()))
    after = client.run(lambda: make_complaint(viewers, "logged", **fresh_customer()))
    client.login("office")
    assert dispatch(client, before["number"]).status_code == 303
    client.login("admin")
    assert save(client, deadlines__II__result="5d", deadlines__II__acknowledge="4h"
                ).status_code == 303
    client.login("office")
    assert dispatch(client, after["number"]).status_code == 303

    def reload(n):
        return client.run(lambda: Complaint.select().where(Complaint.number == n).first())

    old, new = reload(before["number"]), reload(after["number"])
    file_policy = load_policy()
    saved = parse_policy(json.loads(versions(client)[-1]["data"]))
    cal = client.run(lambda: business_calendar(file_policy, TZ))
    for row, policy in ((old, file_policy), (new, saved)):
        expected = compute(policy.deadlines, row["grade"], row["urgent"], row["clock_start"], cal)
        by_name = {d.value: due for d, due in expected.items()}
        assert row["result_due"] == by_name["result"]
        assert row["acknowledge_due"] == by_name["acknowledge"]
    assert new["result_due"] - new["clock_start"] > old["result_due"] - old["clock_start"]
    # Saving again does not move what was already set.
    client.login("admin")
    assert save(client, deadlines__II__result="1d").status_code == 303
    assert reload(before["number"])["result_due"] == old["result_due"]
    assert reload(after["number"])["result_due"] == new["result_due"]


def test_a_revisit_rate_change_is_used_by_the_next_reply(client, viewers):
    client.login("admin")
    assert save(client, revisit__rates__M="0").status_code == 303
    numbers = []
    for _ in range(3):
        row = client.run(lambda: make_complaint(viewers, "logged", criteria=["M-1"],
                                                received_at=utcnow() - timedelta(minutes=5),
                                                **fresh_customer()))
        numbers.append(row["number"])
        client.login("clerk")
        r = client.post_form(f"/complaints/{row['number']}/resolve-on-spot",
                             {"version": row["version"], "reply": "当场退款"})
        assert r.status_code == 303, r.text
        event = client.run(lambda cid=row["id"]: ComplaintEvent.select(ComplaintEvent.note).where(
            (ComplaintEvent.complaint == cid) & (ComplaintEvent.action == "revisit-draw")
        ).first())
        assert "≥ 0.00 (grade M)" in event["note"] and event["note"].endswith("no revisit")


def test_a_version_saved_by_another_server_process_applies_at_the_next_request(client, app,
                                                                              viewers):
    """Another worker saved it: this process only sees the new row in the database."""
    from db import policy_store

    client.login("cshead")
    assert 'name="revisit.rates.II" type="text" value="0.8"' in client.get("/admin/policy").text
    raw = policy_store.file_raw(None)
    changed = json.loads(json.dumps(raw))
    changed["revisit"]["rates"]["II"] = 0.6
    client.run(lambda: policy_store.save_version(changed, raw, viewers["admin"].id, utcnow()))
    assert app.state.policy.revisit.rates["II"] == 0.8  # nothing told this process
    assert 'name="revisit.rates.II" type="text" value="0.6"' in client.get("/admin/policy").text
    assert app.state.policy.revisit.rates["II"] == 0.6
    assert app.state.env.policy.revisit.rates["II"] == 0.6


def test_the_worker_follows_the_newest_version(client, viewers):
    from db import policy_store
    from portal.cli import current_policy

    raw = policy_store.file_raw(None)
    changed = json.loads(json.dumps(raw))
    changed["deadlines"]["grades"]["I"]["result"] = "4d"
    assert client.run(lambda: current_policy(None, load_policy())).deadlines.by_grade["I"] \
        == load_policy().deadlines.by_grade["I"]
    client.run(lambda: policy_store.save_version(changed, raw, viewers["admin"].id, utcnow()))
    policy = client.run(lambda: current_policy(None, load_policy()))
    assert str(policy.deadlines.by_grade["I"][next(iter(policy.deadlines.by_grade["I"]))]) == "2h"
    assert {d.value: str(s) for d, s in policy.deadlines.by_grade["I"].items()}["result"] == "4d"


@pytest.mark.parametrize("posted,field,words", [
    ({"deadlines.M.cap": "1d"}, "deadlines.M.cap", "最终期限不得短于处理结果期限（3 个工作日）"),
    ({"deadlines.urgent.acknowledge": "same-day"}, "deadlines.urgent.acknowledge",
     "紧急期限不得长于一类投诉的同一期限（2 个工作小时）"),
    ({"deadlines.II.result": "8d"}, "deadlines.II.result", "处理结果期限不得长于最终期限"),
])
def test_deadlines_in_an_order_that_makes_no_sense_are_refused(client, posted, field, words):
    client.login("cshead")
    r = client.post_form("/admin/policy", {**posted, "revisit.rates.II": "0.5"})
    assert r.status_code == 422
    fid = "p-" + field.replace(".", "-")
    error = re.search(rf'<p class="error" id="{fid}-error">([^<]*)</p>', r.text)
    assert error and words in error.group(1)
    assert versions(client) == []
    assert client.app.state.live.version == 0


def test_a_version_saved_before_the_order_rules_stays_in_force(client, app, viewers):
    """Saved when a cap shorter than the result was accepted: it keeps working as it did (the
    result cut to the cap) instead of the portal falling back to the policy file, and the form
    asks to correct it at the next save."""
    from db import policy_store

    raw = policy_store.file_raw(None)
    old = json.loads(json.dumps(raw))
    old["deadlines"]["grades"]["M"]["cap"] = "1d"
    client.run(lambda: policy_store.save_version(old, raw, viewers["admin"].id, utcnow()))
    client.login("admin")
    page = client.get("/admin/policy").text
    assert 'name="deadlines.M.cap" type="text" value="1d"' in page
    assert str(app.state.policy.deadlines.by_grade["M"][next(
        d for d in app.state.policy.deadlines.by_grade["M"] if d.value == "cap")]) == "1d"
    r = client.post_form("/admin/policy", {"revisit.rates.II": "0.5"})
    assert r.status_code == 422 and 'id="p-deadlines-M-cap-error"' in r.text
    assert client.post_form("/admin/policy", {"revisit.rates.II": "0.5", "deadlines.M.cap": "3d"}
                            ).status_code == 303


def test_the_page_shows_the_settings_beside_the_table_the_questions_and_the_grades(client):
    client.login("admin")
    html = client.get("/admin/policy").text
    assert 'name="deadlines.reminder_at" type="text" value="0.75"' in html
    assert 'name="deadlines.appeal_window" type="text" value="1d"' in html
    assert 'name="deadlines.dispatch" type="text" value="1d"' in html
    assert 'name="deadlines.unresolved_months" type="text" value="1"' in html
    assert 'name="grades.I.zh" type="text" value="一类投诉"' in html
    for code in ("overall", "speed", "attitude", "solved", "comments"):
        assert f'name="revisit.questions.{code}.zh"' in html
        assert f'name="revisit.questions.{code}.en"' in html
    # overall is always asked: no choice offered; comments is optional in the file.
    assert 'name="revisit.questions.overall.ask"' not in html
    assert re.search(r'name="revisit.questions.comments.ask".*?<option value="optional" selected',
                     html, re.S)
    for g, checked in (("I", True), ("II", True), ("M", False)):
        box = re.search(rf'<input type="checkbox" name="assessment.employee_penalty_grades" '
                        rf'value="{g}"[^>]*>', html).group(0)
        assert ("checked" in box) == checked
    assert "sampling_key" not in html and "revisit-draw-2026" not in html


def test_the_newer_fields_save_as_one_version_shown_in_the_history(client, app):
    client.login("cshead")
    page = client.get("/admin/policy").text
    assert 'name="assessment.employee_penalty_grades" value=""' in page  # the empty hidden one
    r = client.post("/admin/policy", data={
        "_csrf_token": client.csrf, "version": "0",
        "deadlines.reminder_at": "80%", "deadlines.unresolved_months": "2",
        "revisit.questions.speed.zh": "处理速度如何？", "revisit.questions.attitude.ask": "no",
        "grades.M.zh": "一般抱怨",
        # The check boxes: the empty hidden value, then the ticked grade.
        "assessment.employee_penalty_grades": ["", "I"],
    })
    assert r.status_code == 303, r.text
    (v,) = versions(client)
    changes = {path: (before, after) for path, before, after in json.loads(v["changes"])}
    assert changes["deadlines.reminder_at"] == (0.75, 0.8)
    assert changes["deadlines.unresolved_months"] == (1, 2)
    assert changes["revisit.questions.speed.zh"] == ("您对处理速度的满意程度", "处理速度如何？")
    assert changes["revisit.questions.attitude"] == ("attitude", None)
    assert changes["grades.M.zh"] == ("一般性抱怨", "一般抱怨")
    assert changes["assessment.employee_penalty_grades"] == (["I", "II"], ["I"])
    policy = app.state.policy
    assert policy.deadlines.reminder_at == 0.8 and policy.deadlines.unresolved_months == 2
    assert [q.code for q in policy.revisit.questions] == ["overall", "speed", "solved", "comments"]
    assert policy.assessment.employee_penalty_grades == ("I",)
    assert policy.grade("M").zh == "一般抱怨"
    history = re.sub(r"<td\b[^>]*>", "<td>", client.get("/admin/policy/history").text)
    assert "<td>到达期限的此比例时提醒</td><td>75%</td><td>80%</td>" in history
    assert "<td>规则 I-8：登记后未解决的月数</td><td>1</td><td>2</td>" in history
    assert 'data-setting="revisit.questions.speed.zh"' in history
    assert "<td>一类投诉 / 二类投诉</td><td>一类投诉</td>" in history
    # Unticking every grade: only the hidden empty value is posted.
    assert client.post("/admin/policy", data={
        "_csrf_token": client.csrf, "assessment.employee_penalty_grades": ""}).status_code == 303
    assert app.state.policy.assessment.employee_penalty_grades == ()


def test_the_revisit_form_asks_what_the_policy_now_asks(client, viewers):
    """A question switched off at /admin/policy leaves the phone revisit form; a new wording
    is the one read to the customer."""
    from tests.pages.test_revisits import replied

    row = client.run(replied, viewers)  # a call-back was asked for: in the revisit queue
    client.login("office")
    page = client.get(f"/complaints/{row['number']}").text
    assert 'data-question="speed"' in page and "您对投诉处理结果的总体满意程度" in page
    client.login("admin")
    assert save(client, revisit__questions__speed__ask="no",
                revisit__questions__overall__zh="总体而言您满意吗？").status_code == 303
    client.login("office")
    page = client.get(f"/complaints/{row['number']}").text
    assert 'data-question="speed"' not in page and 'data-question="attitude"' in page
    assert "总体而言您满意吗？" in page and "您对投诉处理结果的总体满意程度" not in page


@pytest.mark.parametrize("field,value", [
    ("deadlines.reminder_at", "1.2"), ("deadlines.appeal_window", "soon"),
    ("deadlines.unresolved_months", "0"), ("revisit.questions.speed.zh", ""),
    ("revisit.questions.overall.ask", "no"), ("grades.I.en", ""),
    ("assessment.employee_penalty_grades", "X"),
])
def test_an_invalid_newer_field_is_refused_next_to_it_and_nothing_changes(client, field, value):
    client.login("admin")
    r = client.post_form("/admin/policy", {field: value, "revisit.rates.II": "0.5"})
    assert r.status_code == 422
    assert f'id="p-{field.replace(".", "-")}-error"' in r.text
    assert versions(client) == []
    assert client.app.state.live.version == 0


def _select(html: str, name: str) -> str:
    return re.search(rf'<select[^>]*name="{re.escape(name)}".*?</select>', html, re.S).group(0)


def test_a_retired_channel_and_category_leave_intake_and_stay_on_old_complaints(
        client, viewers, monkeypatch):
    import pages.stats.handlers as stats_handlers
    from tests.deadline_support import dispatched, local

    at = local(2026, 11, 10, 10)
    row = client.run(dispatched, viewers, at, "QA", channel="media", category="other")
    client.login("clerk")
    intake = client.get("/intake").text
    assert 'value="media"' in _select(intake, "channel")
    assert 'value="other"' in _select(intake, "category")

    client.login("cshead")
    page = client.get("/admin/policy").text
    assert re.search(r'name="channels.media.active".*?<option value="yes" selected', page, re.S)
    r = save(client, channels__media__active="no", categories__other__active="no")
    assert r.status_code == 303, r.text
    (v,) = versions(client)
    assert json.loads(v["changes"]) == [["categories.other.active", None, False],
                                        ["channels.media.active", None, False]]
    page = client.get("/admin/policy").text
    assert re.search(r'name="channels.media.active".*?<option value="no" selected', page, re.S)
    assert re.search(r'data-code="media">\s*<legend>媒体报道 <code>media</code> · '
                     r'<span class="tag tag-retired">已停用</span>', page)
    history = re.sub(r"<td\b[^>]*>", "<td>", client.get("/admin/policy/history").text)
    assert "<td>投诉渠道 · 媒体报道 · 在用</td><td>是</td><td>否</td>" in history

    client.login("clerk")
    intake = client.get("/intake").text
    assert 'value="media"' not in _select(intake, "channel")
    assert 'value="other"' not in _select(intake, "category")
    assert 'value="phone"' in _select(intake, "channel")
    # The complaint keeps its channel and category, by name; correcting it keeps them choosable.
    client.login("office")
    shown = client.get(f"/complaints/{row['number']}").text
    assert "媒体报道" in shown and "其他" in shown
    edit = client.get(f"/complaints/{row['number']}/edit").text
    assert re.search(r'<option selected value="media">媒体报道（已停用）</option>|'
                     r'<option value="media" selected>媒体报道（已停用）</option>',
                     _select(edit, "channel"))
    # Statistics keep it, by name.
    monkeypatch.setattr(stats_handlers, "utcnow", lambda: local(2026, 11, 12, 12))
    stats = client.get("/stats?period=2026-11&by=channel").text
    assert re.search(r'<tr data-group="media">\s*<th scope="row">媒体报道</th>', stats)

    # In use again: the retirement is undone, and intake offers it.
    client.login("admin")
    assert save(client, channels__media__active="yes").status_code == 303
    assert "active" not in next(c for c in json.loads(versions(client)[-1]["data"])["channels"]
                                if c["code"] == "media")
    client.login("clerk")
    assert 'value="media"' in _select(client.get("/intake").text, "channel")


def test_retiring_the_last_channel_or_category_is_refused(client):
    from portal.policy import load_policy

    policy = load_policy()
    client.login("admin")
    for kind in ("channels", "categories"):
        codes = [c.code for c in getattr(policy, kind)]
        r = client.post_form("/admin/policy", {f"{kind}.{c}.active": "no" for c in codes})
        assert r.status_code == 422
        last = f"p-{kind}-{codes[-1]}-active-error"
        assert re.search(rf'<p class="error" id="{last}">至少须保留一个在用的', r.text)
        assert versions(client) == []
    assert client.post_form("/admin/policy", {"channels.phone.active": "maybe"}).status_code == 422
    # Retiring every one while adding a new one in the same save is fine.
    r = client.post_form("/admin/policy", {
        **{f"channels.{c.code}.active": "no" for c in policy.channels},
        "channels.new.code": "app", "channels.new.zh": "手机应用", "channels.new.en": "App"})
    assert r.status_code == 303
    assert [c.code for c in client.app.state.policy.offered("channels")] == ["app"]


@pytest.fixture
def deactivated(client):
    """Departments deactivated for one test (the department table outlives a test)."""
    from db.tables import Department

    done = []

    def deactivate(code: str) -> None:
        client.run(lambda: Department.update({Department.is_active: False}).where(
            Department.code == code))
        done.append(code)

    yield deactivate
    for code in done:
        client.run(lambda c=code: Department.update({Department.is_active: True}).where(
            Department.code == c))


def test_a_deactivated_department_is_not_offered_and_refused_as_a_route(client, deactivated):
    deactivated("PROD")
    client.login("admin")
    page = client.get("/admin/policy").text
    assert 'value="PROD"' not in _select(page, "categories.quality.route")
    assert 'value="PROD"' not in _select(page, "categories.new.route")
    assert 'value="SALES"' in _select(page, "categories.quality.route")
    for posted, field in (({"categories.quality.route": "PROD"}, "categories.quality.route"),
                          ({"categories.new.code": "parts", "categories.new.zh": "配件",
                            "categories.new.en": "Parts", "categories.new.route": "PROD"},
                           "categories.new.route")):
        r = client.post_form("/admin/policy", {**posted, "revisit.rates.II": "0.5"})
        assert r.status_code == 422
        fid = "p-" + field.replace(".", "-")
        assert re.search(rf'<p class="error" id="{fid}-error">该部门已停用：', r.text)
        # The posted value stays selected, flagged, so the reader sees what was refused.
        assert re.search(r'<option value="PROD" selected>[^<]*· 已停用</option>',
                         _select(r.text, field))
        assert versions(client) == []
    assert client.app.state.policy.category("quality").route == "QA"


def test_a_route_deactivated_after_saving_is_shown_flagged_and_kept(client, deactivated):
    client.login("admin")
    assert save(client, categories__usage__route="SALES").status_code == 303
    deactivated("SALES")
    page = client.get("/admin/policy").text
    select = _select(page, "categories.usage.route")
    assert re.search(r'<option value="SALES" selected>[^<]*\(SALES\) · 已停用</option>', select)
    assert 'value="SALES"' not in _select(page, "categories.quality.route")
    assert 'id="p-categories-usage-route-warning"' in page
    assert 'aria-describedby="p-categories-usage-route-warning"' in select
    # Another setting saves: the unchanged route is not in the way.
    assert save(client, revisit__rates__II="0.5").status_code == 303
    assert client.app.state.policy.category("usage").route == "SALES"
    assert save(client, categories__usage__route="TECH").status_code == 303
    assert 'id="p-categories-usage-route-warning"' not in client.get("/admin/policy").text
