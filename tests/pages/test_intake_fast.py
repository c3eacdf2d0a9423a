"""/intake made faster (issue 12, item 10): the clerk's last channel and category, one-click
fill from the customer's earlier complaint, log and resolve on the spot in one transaction,
and every text field's limit shown and enforced with a message (never cut)."""

import re
from pathlib import Path

import pytest
from wtforms import StringField, TextAreaField
from wtforms.fields.core import UnboundField
from wtforms.validators import Length

from db import revisits
from db.commands import log_and_resolve
from db.tables import Attachment, Complaint, ComplaintEvent, ContactView, Notification
from pages.complaint.forms import ACTION_FORMS
from pages.intake.forms import IntakeForm
from portal.attachments import Upload
from portal.scheduler import env_for
from portal.timeutil import utcnow
from portal.workflow import Action
from tests.factories import intake_data, make_complaint
from tests.pages.test_intake import GOOD
from tests.pages.test_workflow_actions import ACTOR, VALID_FIELDS

MINOR = {**GOOD, "criteria": ["M-1"], "urgent": "", "callback_requested": "y",
         "reply": "已当场为客户更换滤网，客户表示满意。"}
RESOLVE = {**MINOR, "intent": "log-and-resolve"}


def count(client):
    return client.run(lambda: Complaint.count())


def rows(client):
    return client.run(lambda: Complaint.select().order_by(Complaint.id))


def history(client, complaint_id):
    return [e["action"] for e in client.run(lambda: ComplaintEvent.select(
        ComplaintEvent.action).where(ComplaintEvent.complaint == complaint_id).order_by(
        ComplaintEvent.id))]


def selected(html: str, name: str) -> list[str]:
    """The chosen options of a select (the empty "— choose —" one does not count)."""
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.S).group(0)
    found = re.findall(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected',
                       select)
    return [a or b for a, b in found if a or b]


# --- 1. channel and category start from the clerk's last choice ------------------------------

def test_a_user_who_never_logged_one_gets_nothing_preselected(client, viewers):
    client.run(make_complaint, viewers, logged_by="svc.staff", channel="email",
               category="service")  # someone else's choice is not the clerk's
    client.login("clerk")
    page = client.get("/intake").text
    assert selected(page, "channel") == [] and selected(page, "category") == []


def test_channel_and_category_default_to_the_users_last_complaint(client, viewers):
    client.run(make_complaint, viewers, channel="letter", category="usage")
    client.run(make_complaint, viewers, channel="walk-in", category="service")
    client.run(make_complaint, viewers, logged_by="svc.staff", channel="email", category="other")
    client.login("clerk")
    page = client.get("/intake").text
    assert selected(page, "channel") == ["walk-in"]
    assert selected(page, "category") == ["service"]


def test_the_defaults_are_only_defaults_the_choice_is_still_required(client, viewers):
    client.run(make_complaint, viewers, channel="walk-in", category="service")
    client.login("clerk")
    r = client.post_form("/intake", {**GOOD, "channel": ""})
    assert r.status_code == 422 and re.search("Choose the channel|请选择投诉渠道", r.text)


# --- 2. "use this customer's details" ----------------------------------------------------------

def check(client, **params):
    return client.get("/intake/second-check", params={"category": "other", **params},
                      headers={"HX-Request": "true"})


def fill_data(html: str) -> dict[str, str]:
    button = re.search(r'<button[^>]*data-action="fill-customer"[^>]*>', html, re.S)
    if not button:
        return {}
    return {name.replace("-", "_"): value for name, value in re.findall(
        r'data-(customer-[a-z]+)="([^"]*)"', button.group(0))}


def test_the_clerk_may_fill_in_only_the_name_of_a_customer_from_their_own_complaint(client,
                                                                                 viewers):
    first = client.run(make_complaint, viewers)  # 张伟, 13812345678, zw@example.com, 上海市
    client.login("clerk")
    r = check(client, customer_phone="138 1234 5678")
    assert r.status_code == 200
    assert fill_data(r.text) == {"customer_name": "张伟"}
    assert "zw@example.com" not in r.text and "上海市" not in r.text
    assert first["number"] in r.text
    assert client.run(lambda: ContactView.count()) == 0  # nothing of DOMAIN §8 was shown


@pytest.mark.parametrize("user", ["office", "cshead", "qa.staff", "qa.head"])
def test_the_office_and_the_handling_department_fill_in_everything_and_it_is_logged(
        client, viewers, user):
    first = client.run(make_complaint, viewers, status="dispatched", department="QA")
    client.login(user)
    r = check(client, customer_email="zw@example.com")
    assert fill_data(r.text) == {"customer_name": "张伟", "customer_phone": "13812345678",
                                 "customer_email": "zw@example.com",
                                 "customer_address": "上海市"}
    views = client.run(lambda: ContactView.select(ContactView.user, ContactView.complaint))
    assert views == [{"user": viewers[user].id, "complaint": first["id"]}]


def test_another_department_sees_no_fill_for_a_complaint_it_does_not_handle(client, viewers):
    client.run(make_complaint, viewers, status="dispatched", department="QA")
    client.login("svc.staff")
    r = check(client, customer_phone="13812345678")
    assert fill_data(r.text) == {} and "张伟" not in r.text
    assert 'data-action="fill-customer"' not in r.text


def test_a_complaint_the_user_may_not_see_fills_nothing(client, viewers):
    client.run(make_complaint, viewers, logged_by="svc.staff")  # never dispatched, not the clerk's
    client.login("clerk")
    r = check(client, customer_phone="13812345678")
    assert 'data-action="fill-customer"' not in r.text and "张伟" not in r.text


def test_the_newest_earlier_complaint_the_user_may_see_is_used(client, viewers):
    client.run(make_complaint, viewers, customer_name="张伟（旧）")
    client.run(make_complaint, viewers, customer_name="张伟")
    client.run(make_complaint, viewers, customer_name="别人登记的", logged_by="svc.staff")
    client.login("clerk")
    assert fill_data(check(client, customer_phone="13812345678").text) == {
        "customer_name": "张伟"}


def test_empty_details_are_left_out_so_nothing_typed_is_erased(client, viewers):
    client.run(make_complaint, viewers, customer_email="", customer_address="")
    client.login("office")
    assert fill_data(check(client, customer_phone="13812345678").text) == {
        "customer_name": "张伟", "customer_phone": "13812345678"}


def test_values_in_the_fill_button_are_escaped(client, viewers):
    client.run(make_complaint, viewers, customer_name='"><img src=x>')
    client.login("clerk")
    html = check(client, customer_phone="13812345678").text
    assert "<img src=x>" not in html and fill_data(html)["customer_name"].startswith("&#34;")


# --- 4. log and resolve on the spot in one step ----------------------------------------------

def test_a_minor_complaint_is_logged_and_resolved_on_the_spot_in_one_step(client, viewers):
    client.login("clerk")
    r = client.post_form("/intake", RESOLVE)
    assert r.status_code == 303
    [row] = rows(client)
    assert r.headers["location"] == f"/complaints/{row['number']}"
    # The customer asked to be called back, so the draw always keeps it for the revisit.
    assert (row["status"], row["grade"], row["reply"]) == ("replied", "M", RESOLVE["reply"])
    assert row["replied_at"] is not None and row["revisit_state"] == "pending"
    assert history(client, row["id"]) == ["log", "resolve-on-spot", "revisit-draw"]
    page = client.get(r.headers["location"]).text
    assert "已登记并当场处理" in page or "logged and resolved on the spot" in page
    assert RESOLVE["reply"] in page


def test_no_criterion_ticked_counts_as_minor_and_may_be_resolved(client, viewers):
    client.login("clerk")
    r = client.post_form("/intake", {**RESOLVE, "criteria": []})
    assert r.status_code == 303
    assert history(client, rows(client)[0]["id"])[:2] == ["log", "resolve-on-spot"]


def test_the_reply_is_required_only_to_resolve(client, viewers):
    client.login("clerk")
    r = client.post_form("/intake", {**RESOLVE, "reply": "  "})
    assert r.status_code == 422
    assert re.search("what the customer was told|请填写当场答复客户的内容", r.text)
    assert count(client) == 0
    assert client.post_form("/intake", {**MINOR, "reply": ""}).status_code == 303


def test_a_reply_with_the_plain_save_is_not_dropped_unseen(client, viewers):
    client.login("clerk")
    r = client.post_form("/intake", MINOR)
    assert r.status_code == 422 and count(client) == 0
    assert re.search("A reply is saved only with|答复内容只在点击", r.text)
    assert RESOLVE["reply"] in r.text  # kept in the form


@pytest.mark.parametrize("criteria", [["II-3"], ["M-1", "I-2"]])
def test_a_complaint_above_minor_is_refused_and_nothing_is_saved(client, viewers, criteria):
    client.login("clerk")
    r = client.post_form("/intake", {**RESOLVE, "criteria": criteria})
    assert r.status_code == 422
    assert 'data-testid="resolve-error"' in r.text
    assert re.search("Only a minor complaint|只有一般性抱怨可以当场处理", r.text)
    assert count(client) == 0


def test_a_second_complaint_that_rises_above_minor_is_refused_inside_the_transaction(
        client, viewers, settings):
    # The same minor matter twice within 3 months rises to Class II (II-6): found only by the
    # repeat check inside the transaction, which then rolls back the number, the row and files.
    first = client.run(make_complaint, viewers, customer_phone="13987654321", customer_email="",
                       product=GOOD["product"], criteria=["M-1"])
    client.login("clerk")
    r = client.post_form("/intake", RESOLVE, files=[
        ("attachments", ("scan.pdf", b"%PDF-1.4 scan", "application/pdf"))])
    assert r.status_code == 422
    assert re.search("as a second complaint|二次投诉", r.text)
    assert [row["id"] for row in rows(client)] == [first["id"]]
    assert client.run(lambda: Attachment.count()) == 0
    assert not settings.attachments_dir.exists() or not any(settings.attachments_dir.iterdir())
    # No number was used up: the plain save gets the next one.
    saved = client.post_form("/intake", {**RESOLVE, "intent": "", "reply": ""})
    assert saved.headers["location"].endswith("-000002")


def test_a_failure_while_resolving_leaves_nothing_behind(client, viewers, settings,
                                                         monkeypatch, tmp_path):
    async def broken_draw(*args, **kwargs):
        raise RuntimeError("the revisit draw failed")

    monkeypatch.setattr(revisits, "after_reply", broken_draw)
    env = env_for(settings, client.app.state.policy)
    data = intake_data(criteria=["M-1"], callback_requested=True)
    upload = Upload("scan.pdf", b"%PDF-1.4 scan")
    with pytest.raises(RuntimeError):
        client.run(log_and_resolve, data, "当场处理", viewers["clerk"], [upload], utcnow(), env,
                   tmp_path)
    assert count(client) == 0
    assert client.run(lambda: ComplaintEvent.count()) == 0
    assert client.run(lambda: Notification.count()) == 0
    assert client.run(lambda: Attachment.count()) == 0
    assert list(Path(tmp_path).iterdir()) == []
    counter = client.run(lambda: Complaint.raw("SELECT value FROM complaint_counter"))
    assert counter in ([], [{"value": 0}])


def test_the_plain_save_is_unchanged(client, viewers):
    client.login("clerk")
    r = client.post_form("/intake", {**MINOR, "reply": ""})
    assert r.status_code == 303
    [row] = rows(client)
    assert row["status"] == "logged" and history(client, row["id"]) == ["log"]


# --- 5. every text field shows its limit; over-long is refused, never cut ---------------------

def text_limits(form_class) -> dict[str, int]:
    """name -> the Length(max) of each text field a form class declares."""
    limits = {}
    for name in dir(form_class):
        unbound = getattr(form_class, name, None)
        if not isinstance(unbound, UnboundField) or unbound.field_class not in (StringField,
                                                                              TextAreaField):
            continue
        validators = unbound.kwargs.get("validators") or (
            unbound.args[1] if len(unbound.args) > 1 else [])
        limit = next((v.max for v in validators if isinstance(v, Length) and v.max > 0), None)
        if limit:
            limits[name] = limit
    return limits


INTAKE_LIMITS = text_limits(IntakeForm)


def test_every_intake_text_field_has_a_limit():
    assert set(INTAKE_LIMITS) == {
        "customer_name", "customer_phone", "customer_email", "customer_address", "location",
        "product", "model_batch", "order_no", "complained_person", "description", "demand",
        "reply"}


def test_the_form_shows_every_limit_and_has_no_maxlength(client, viewers):
    client.login("clerk")
    page = client.get("/intake").text
    form = re.search(r'<form[^>]*action="/intake".*?</form>', page, re.S).group(0)
    assert "maxlength" not in form.lower()
    for name, limit in INTAKE_LIMITS.items():
        field = re.search(rf'<(?:input|textarea)[^>]*name="{name}"[^>]*>', page).group(0)
        assert f'data-maxchars="{limit}"' in field, name
        assert f'aria-describedby="{name}-limit"' in field, name
        assert re.search(rf'id="{name}-limit">(最多 {limit} 个字符|At most {limit} characters)',
                         page), name


def test_the_limits_are_shown_in_english_too(client, viewers):
    client.login("clerk")
    page = client.get("/intake", headers={"Accept-Language": "en"}).text
    assert "At most 200 characters" in page


@pytest.mark.parametrize("name", sorted(INTAKE_LIMITS))
def test_an_over_long_value_is_refused_with_a_message_and_nothing_saved(client, viewers, name):
    limit = INTAKE_LIMITS[name]
    value = "1" * (limit + 1) if name == "customer_phone" else "字" * (limit + 1)
    data = {**RESOLVE, name: value} if name == "reply" else {**GOOD, name: value}
    client.login("clerk")
    r = client.post_form("/intake", data)
    assert r.status_code == 422
    message = re.search(rf'<p class="error" id="{name}-error">([^<]*)</p>', r.text)
    assert message, r.text[:3000]
    assert re.search(rf"最多 {limit} 个字符，现在有 {limit + 1} 个", message.group(1))
    assert value in r.text  # kept in full for the user to shorten
    assert count(client) == 0


def test_the_message_is_in_english_for_an_english_reader(client, viewers):
    client.login("clerk")
    r = client.post_form("/intake", {**GOOD, "product": "x" * 201})
    assert r.status_code == 422
    client.cookies.set("portal_lang", "en")
    r = client.post_form("/intake", {**GOOD, "product": "x" * 201})
    assert "At most 200 characters; this has 201." in r.text


@pytest.mark.parametrize("name", ["customer_name", "description", "demand", "product"])
def test_a_value_at_the_limit_is_saved_whole(client, viewers, name):
    limit = INTAKE_LIMITS[name]
    client.login("clerk")
    assert client.post_form("/intake", {**GOOD, name: "字" * limit}).status_code == 303
    assert rows(client)[0][name] == "字" * limit


def test_line_breaks_count_as_the_form_sends_them(client, viewers):
    # A browser sends CR LF for each line break in a textarea; portal.js counts the same way.
    client.login("clerk")
    text = "字" * 4998 + "\r\n"
    assert client.post_form("/intake", {**GOOD, "demand": text}).status_code == 303
    r = client.post_form("/intake", {**GOOD, "demand": "字" * 4999 + "\r\n"})
    assert r.status_code == 422 and "现在有 5001 个" in r.text


# The complaint's action forms: each text field with a limit, taken in a status that allows it.
ACTION_PATH = {
    Action.DISPATCH: "logged", Action.REGRADE: "logged", Action.INVALID: "logged",
    Action.ACKNOWLEDGE: "dispatched", Action.START: "acknowledged", Action.CONTACT: "in_progress",
    Action.SUBMIT_RESULT: "in_progress", Action.SIGN_OFF: "result_submitted",
    Action.VERIFY: "signed_off", Action.SEND_BACK: "result_submitted", Action.REPLY: "verified",
    Action.RESOLVE_ON_SPOT: "logged", Action.REQUEST_EXTENSION: "in_progress",
    Action.APPROVE_EXTENSION: "extension", Action.REFUSE_EXTENSION: "extension",
    Action.APPEAL: "dispatched", Action.APPEAL_REASSIGN: "appealed",
    Action.APPEAL_UPHOLD: "appealed", Action.REVISIT_ATTEMPT: "replied",
    Action.SEND_SURVEY: "replied", Action.ASSIGN: "dispatched",
    Action.RETURN_TO_HANDLER: "result_submitted", Action.NOTE: "in_progress",
    Action.URGE: "in_progress",
}
ACTION_FIELDS = [(action, name, limit) for action, form in ACTION_FORMS.items()
                 if action in ACTION_PATH for name, limit in text_limits(form).items()]


def test_every_action_text_area_is_covered():
    covered = {(a, n) for a, n, _limit in ACTION_FIELDS}
    assert (Action.NOTE, "note") in covered and (Action.SUBMIT_RESULT, "cause") in covered
    assert (Action.REPLY, "reply") in covered and (Action.REVISIT_ATTEMPT, "comments") in covered
    assert len(covered) >= 25


@pytest.mark.parametrize("action,name,limit", ACTION_FIELDS,
                         ids=[f"{a.value}-{n}" for a, n, _limit in ACTION_FIELDS])
def test_an_over_long_action_field_is_refused_with_a_message_and_nothing_changed(
        client, viewers, action, name, limit):
    row = client.run(make_complaint, viewers, status=ACTION_PATH[action], criteria=["M-1"],
                     callback_requested=True)
    before = history(client, row["id"])
    client.login(ACTOR[action])
    page = client.get(f"/complaints/{row['number']}").text
    actions = re.search(r'<section class="card action-panel".*?</section>', page, re.S).group(0)
    assert "maxlength" not in actions.lower()
    assert re.search(rf"最多 {limit} 个字符", page)
    data = {**VALID_FIELDS[action], "version": row["version"], name: "字" * (limit + 1)}
    if action is Action.REQUEST_EXTENSION:
        data["new_due"] = row["cap_due"].isoformat()
    r = client.post_form(f"/complaints/{row['number']}/{action.value}", data)
    assert r.status_code == 422, r.text[:2000]
    assert re.search(rf"最多 {limit:,} 个字符|最多 {limit} 个字符", r.text)
    after = client.run(lambda: Complaint.select().where(Complaint.id == row["id"]).first())
    assert (after["version"], after["status"]) == (row["version"], row["status"])
    assert history(client, row["id"]) == before
