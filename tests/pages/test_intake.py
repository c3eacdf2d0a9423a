"""/intake: the complaint record form, its validation, numbers, second complaints, uploads."""

import asyncio
import re
import urllib.parse
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest

from db.tables import Attachment, Complaint, ComplaintEvent
from portal.timeutil import utcnow
from tests.factories import make_complaint

GOOD = {
    "customer_name": "王芳",
    "customer_phone": "139 8765 4321",
    "customer_email": "wangfang@example.com",
    "customer_address": "北京市朝阳区建国路 1 号",
    "channel": "phone",
    "category": "quality",
    "received_at": "2026-11-20T09:30",
    "occurred_at": "2026-11-19T18:00",
    "location": "家中",
    "product": "空气净化器",
    "model_batch": "AP-300 / B2026",
    "order_no": "SO123456",
    "purchase_date": "2026-10-01",
    "complained_department": "SALES",
    "complained_person": "张三",
    "description": "滤网异味明显",
    "demand": "退货退款",
    "claimed_loss": "1299.50",
    "criteria": ["II-5", "M-2"],
    "urgent": "y",
}


def count(client):
    return client.run(lambda: Complaint.count())


def post(client, data, files=None):
    return client.post_form("/intake", data, files=files)


def test_a_valid_complaint_is_saved_with_every_field_and_redirects_to_it(client, viewers):
    client.login("clerk")
    r = post(client, GOOD)
    assert r.status_code == 303
    assert re.fullmatch(r"/complaints/TS-\d{4}-000001", r.headers["location"])
    row = client.run(lambda: Complaint.select().first())
    assert row["customer_phone"] == "13987654321"  # spaces removed
    for name in ("customer_name", "customer_email", "customer_address", "channel", "category",
                 "location", "product", "model_batch", "order_no", "complained_department",
                 "complained_person", "description", "demand"):
        assert row[name] == GOOD[name], name
    assert row["claimed_loss"] == Decimal("1299.50")
    assert row["purchase_date"].isoformat() == "2026-10-01"
    assert row["received_at"].astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai")
                                         ).strftime("%Y-%m-%d %H:%M") == "2026-11-20 09:30"
    assert row["criteria"] == "II-5,M-2" and row["grade"] == "II"
    assert row["urgent"] is True and row["status"] == "logged"
    assert row["logged_by"] == viewers["clerk"].id
    events = client.run(lambda: ComplaintEvent.select().where(ComplaintEvent.complaint == row["id"]))
    assert [e["action"] for e in events] == ["log"]
    page = client.get(r.headers["location"])
    assert row["number"] in page.text and "flash-success" in page.text


def test_numbers_are_sequential(client, viewers):
    client.login("clerk")
    numbers = [post(client, GOOD).headers["location"].rsplit("/", 1)[1] for _ in range(3)]
    year = utcnow().year
    assert numbers == [f"TS-{year}-00000{i}" for i in (1, 2, 3)] or numbers[0].endswith("000001")


@pytest.mark.parametrize("field,value,message", [
    ("customer_name", "", "Enter the customer's name|请填写客户姓名"),
    ("description", "", "Describe what the customer complains about|请描述客户投诉的内容"),
    ("channel", "", "Choose the channel|请选择投诉渠道"),
    ("channel", "pigeon", "不是可选的选项，请从列表中选择。"),
    ("category", "", "Choose a category|请选择投诉类别"),
    ("received_at", "", "Enter when the complaint was received|请填写受理时间"),
    ("received_at", "2099-01-01T10:00", "cannot be in the future|不能晚于当前时间"),
    ("customer_phone", "12345", "mainland mobile|大陆手机号"),
    ("customer_email", "not-an-email", "valid email|有效的电子邮箱"),
    ("claimed_loss", "-1", "cannot be negative|不能为负数"),
    ("claimed_loss", "abc", "id=\"claimed_loss-error\">请输入数字。"),
])
def test_invalid_input_is_refused_with_a_message_and_nothing_saved(client, viewers, field, value,
                                                                     message):
    client.login("clerk")
    r = post(client, {**GOOD, field: value})
    assert r.status_code == 422
    assert re.search(message, r.text), r.text[:2000]
    assert count(client) == 0


def test_phone_or_email_is_required(client, viewers):
    client.login("clerk")
    r = post(client, {**GOOD, "customer_phone": "", "customer_email": ""})
    assert r.status_code == 422
    assert count(client) == 0


def test_unknown_criterion_is_refused(client, viewers):
    client.login("clerk")
    r = post(client, {**GOOD, "criteria": ["II-5", "Z-9"]})
    assert r.status_code == 422 and count(client) == 0


def test_automatic_criteria_cannot_be_ticked_by_hand(client, viewers):
    client.login("clerk")
    assert post(client, {**GOOD, "criteria": ["I-8"]}).status_code == 422


def test_entered_values_are_kept_when_the_form_is_refused(client, viewers):
    client.login("clerk")
    r = post(client, {**GOOD, "customer_name": ""})
    for name in ("customer_email", "customer_address", "location", "product", "order_no",
                 "complained_person"):
        assert f'value="{GOOD[name]}"' in r.text, name
    assert GOOD["description"] in r.text and GOOD["demand"] in r.text
    assert 'value="II-5" checked' in r.text and 'value="M-2" checked' in r.text
    assert re.search(r'<option selected value="phone">|<option value="phone" selected', r.text)
    assert 'value="2026-11-20T09:30"' in r.text


@pytest.mark.parametrize("criteria,grade", [
    (["M-1"], "M"), (["II-3"], "II"), (["I-2"], "I"), (["M-1", "II-3"], "II"),
    (["M-3", "II-1", "I-5"], "I"), ([], ""),
])
def test_grade_preview_shows_the_highest_grade(client, viewers, criteria, grade):
    client.login("clerk")
    r = client.get("/intake/grade-preview", params=[("criteria", c) for c in criteria],
                   headers={"HX-Request": "true"})
    assert r.status_code == 200 and "<html" not in r.text
    assert f'data-grade="{grade}"' in r.text


def check(client, **params):
    matter = {k: GOOD[k] for k in ("category", "product", "order_no", "description")}
    return client.get("/intake/second-check", params={**matter, **params})


def test_a_second_complaint_within_three_months_is_flagged_and_linked(client, viewers):
    first = client.run(make_complaint, viewers, customer_phone="13987654321", customer_email="",
                       product=GOOD["product"])
    client.login("clerk")
    warning = check(client, customer_phone="13987654321")
    assert first["number"] in warning.text
    assert 'data-why="product"' in warning.text
    post(client, GOOD)
    second = client.run(lambda: Complaint.select().where(Complaint.id != first["id"]).first())
    assert second["is_second"] is True and second["previous_number"] == first["number"]
    page = client.get(f"/complaints/{first['number']}")
    assert second["number"] in page.text  # the earlier one links to its repeat
    log = client.run(lambda: ComplaintEvent.select().where(ComplaintEvent.complaint == second["id"]).first())
    assert first["number"] in log["changes"]  # the history says which complaint it repeats


def test_the_same_email_also_makes_a_second_complaint(client, viewers):
    first = client.run(make_complaint, viewers, customer_phone="", customer_email="wangfang@example.com",
                       product=GOOD["product"])
    client.login("clerk")
    post(client, {**GOOD, "customer_phone": ""})
    second = client.run(lambda: Complaint.select().where(Complaint.id != first["id"]).first())
    assert second["previous_number"] == first["number"]


def test_an_older_or_different_customer_is_not_a_second_complaint(client, viewers):
    client.run(make_complaint, viewers, customer_phone="13987654321", customer_email="",
               now=utcnow() - timedelta(days=100))
    client.run(make_complaint, viewers, customer_phone="13700000000", customer_email="")
    client.login("clerk")
    nothing = check(client, customer_phone="13987654321").text
    assert re.search(r'<div id="second-match"[^>]*></div>', nothing), nothing
    assert "data-testid" not in nothing.replace('data-testid="grade-preview"', "")
    post(client, GOOD)
    newest = client.run(lambda: Complaint.select().order_by(Complaint.id, ascending=False).first())
    assert newest["is_second"] is False and newest["previous_number"] is None


def test_the_same_customer_with_another_matter_is_information_only(client, viewers):
    # Issue 12: the phone alone used to flag it and lift an unrelated matter to Class I.
    first = client.run(make_complaint, viewers, customer_phone="13987654321", customer_email="",
                       product="电饭煲", description="内胆涂层脱落", criteria=["II-5"])
    client.login("clerk")
    warning = check(client, customer_phone="13987654321", criteria="II-3")
    assert 'data-testid="earlier-complaints"' in warning.text and first["number"] in warning.text
    assert "second-complaint-warning" not in warning.text
    post(client, {**GOOD, "criteria": ["II-3"]})
    newest = client.run(lambda: Complaint.select().order_by(Complaint.id, ascending=False).first())
    assert (newest["is_second"], newest["previous_number"], newest["grade"]) == (False, None, "II")


def test_a_similar_description_is_the_same_matter_and_the_grade_rise_is_announced(client,
                                                                                   viewers):
    first = client.run(make_complaint, viewers, customer_phone="13987654321", customer_email="",
                       category="usage", product="", description=GOOD["description"] + "，开机就有",
                       criteria=["II-5"])
    client.login("clerk")
    warning = check(client, customer_phone="13987654321", criteria="II-3")
    assert 'data-why="description"' in warning.text
    assert 'data-rule="I-7"' in warning.text  # two Class II matters: I-7 will lift it
    post(client, {**GOOD, "criteria": ["II-3"]})
    newest = client.run(lambda: Complaint.select().order_by(Complaint.id, ascending=False).first())
    assert (newest["is_second"], newest["previous_number"]) == (True, first["number"])
    assert newest["grade"] == "I" and "I-7" in newest["criteria"]


def test_the_warning_links_only_what_the_user_may_see(client, viewers):
    first = client.run(make_complaint, viewers, customer_phone="13987654321", customer_email="",
                       product=GOOD["product"], logged_by="svc.staff")
    client.login("clerk")  # did not log it, and it was never dispatched to the clerk
    warning = check(client, customer_phone="13987654321").text
    assert first["number"] in warning and f'href="/complaints/{first["number"]}"' not in warning
    client.login("office")
    assert f'href="/complaints/{first["number"]}"' in check(client, customer_phone="13987654321").text


def test_the_warning_is_asked_again_when_a_criterion_changes(client, viewers):
    """The criteria are ticked after the customer was typed: the matched part listens to the
    criteria fieldset, and its grade line follows the criteria sent with it."""
    client.run(make_complaint, viewers, customer_phone="13987654321", customer_email="",
               product=GOOD["product"])
    client.login("clerk")
    page = client.get("/intake").text
    box = re.search(r'<div id="second-warning"([^>]*)><div id="second-match"></div></div>', page)
    assert box, page
    attrs = box.group(1)
    assert 'hx-get="/intake/second-check?part=match"' in attrs
    assert 'hx-trigger="change from:#criteria-fieldset"' in attrs
    assert "[name='criteria']:checked" in attrs and "[name='customer_phone']" in attrs
    assert 'hx-target="#second-match"' in attrs and 'hx-swap="outerHTML"' in attrs
    # One look-up at a time, in order: an older answer never overwrites a newer one.
    assert re.search(r'<form [^>]*class="intake-form"[^>]*hx-sync="this:queue all"', page)
    full = check(client, customer_phone="13987654321").text
    assert 'data-testid="second-complaint-warning"' in full and "grade-will-rise" not in full
    ticked = client.get("/intake/second-check", params=[
        *check_params(customer_phone="13987654321"), ("part", "match"), ("criteria", "II-3")]).text
    assert ticked.lstrip().startswith('<div id="second-match"')
    assert 'data-testid="grade-will-rise" data-rule="I-7"' in ticked
    assert "按规则 I-7，其等级将升为" in ticked
    unticked = client.get("/intake/second-check", params=[
        *check_params(customer_phone="13987654321"), ("part", "match")]).text
    assert 'data-testid="second-complaint-warning"' in unticked
    assert "grade-will-rise" not in unticked


def test_the_grade_preview_says_the_grade_a_second_complaint_rises_to(client, viewers):
    client.run(make_complaint, viewers, customer_phone="13987654321", customer_email="",
               product=GOOD["product"])
    client.login("clerk")
    ticked = client.get("/intake/grade-preview", params=[
        *check_params(customer_phone="13987654321"), ("criteria", "II-3")],
        headers={"HX-Request": "true"}).text
    assert 'data-grade="II"' in ticked
    assert 'data-testid="preview-rise" data-rule="I-7"' in ticked
    assert 'data-final-grade="I"' in ticked and "二次投诉，按规则 I-7" in ticked
    # Another customer, or no criterion that reaches Class II: no rise.
    other = client.get("/intake/grade-preview", params=[
        *check_params(customer_phone="13900000002"), ("criteria", "II-3")]).text
    assert 'data-grade="II"' in other and "preview-rise" not in other
    minor = client.get("/intake/grade-preview", params=[
        *check_params(customer_phone="13987654321"), ("criteria", "M-1")]).text
    assert 'data-grade="M"' in minor and "preview-rise" not in minor
    # The full check sends the preview along (out of band); the matched part alone does not.
    full = client.get("/intake/second-check", params=[
        *check_params(customer_phone="13987654321"), ("criteria", "II-3")]).text
    assert re.search(r'<p id="grade-preview"[^>]*hx-swap-oob="true"', full)
    assert 'data-final-grade="I"' in full
    part = client.get("/intake/second-check", params=[
        *check_params(customer_phone="13987654321"), ("criteria", "II-3"), ("part", "match")]).text
    assert 'id="grade-preview"' not in part


def test_the_criteria_fieldset_sends_the_customer_and_matter_with_the_preview(client, viewers):
    client.login("clerk")
    page = client.get("/intake").text
    fieldset = re.search(r'<fieldset id="criteria-fieldset"([^>]*)>', page).group(1)
    assert 'hx-get="/intake/grade-preview"' in fieldset
    for name in ("customer_phone", "customer_email", "category", "product", "order_no",
                 "description"):
        assert f"[name='{name}']" in fieldset


def check_params(**params):
    matter = {k: GOOD[k] for k in ("category", "product", "order_no", "description")}
    return list({**matter, **params}.items())


def test_the_matched_part_alone_offers_no_fill_in_and_logs_no_contact_view(client, viewers):
    from db.tables import ContactView

    client.run(make_complaint, viewers, customer_phone="13987654321", customer_email="",
               product=GOOD["product"])
    client.login("office")  # sees contacts: the full check fills them in and logs the view
    assert 'data-action="fill-customer"' in check(client, customer_phone="13987654321").text
    assert client.run(lambda: ContactView.count()) == 1
    part = client.get("/intake/second-check", params=[
        *check_params(customer_phone="13987654321"), ("part", "match")]).text
    assert 'data-testid="second-complaint-warning"' in part
    assert "fill-customer" not in part
    assert client.run(lambda: ContactView.count()) == 1


def test_nothing_matched_leaves_the_matched_part_empty(client, viewers):
    client.login("clerk")
    text = check(client, customer_phone="13900000001").text
    assert re.search(r'<div id="second-match"[^>]*></div>', text), text


def test_the_chinese_warning_ends_with_chinese_punctuation(client, viewers):
    client.run(make_complaint, viewers, customer_phone="13987654321", customer_email="",
               product=GOOD["product"])
    client.login("clerk")
    text = check(client, customer_phone="13987654321").text
    assert "类别和产品相同。" in text and "相同." not in text


def test_twenty_parallel_intakes_get_twenty_distinct_gap_free_numbers(client, viewers, app):
    client.login("clerk")
    cookies = dict(client.cookies)
    token = client.csrf

    async def submit_all():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local",
                                     cookies=cookies) as http:
            return await asyncio.gather(*[
                http.post("/intake", data={**GOOD, "_csrf_token": token,
                                           "customer_name": f"客户{i}"}) for i in range(20)])

    responses = client.run(submit_all)
    assert [r.status_code for r in responses] == [303] * 20
    numbers = sorted(r.headers["location"].rsplit("/", 1)[1] for r in responses)
    assert len(set(numbers)) == 20
    assert [int(n[-6:]) for n in numbers] == list(range(1, 21))


def test_attachments_are_stored_outside_static_and_served_to_viewers(client, viewers, settings):
    client.login("clerk")
    files = [("attachments", (f"photo{i}.jpg", b"\xff\xd8\xffjpeg" + bytes([i]), "image/jpeg"))
             for i in range(5)]
    r = post(client, GOOD, files=files)
    assert r.status_code == 303
    items = client.run(lambda: Attachment.select().order_by(Attachment.id))
    assert [i["filename"] for i in items] == [f"photo{i}.jpg" for i in range(5)]
    assert all((settings.attachments_dir / i["storage_key"]).exists() for i in items)
    number = r.headers["location"].rsplit("/", 1)[1]
    got = client.get(f"/complaints/{number}/attachments/{items[2]['id']}")
    assert got.status_code == 200 and got.content == b"\xff\xd8\xffjpeg\x02"
    client.login("svc.staff")
    assert client.get(f"/complaints/{number}/attachments/{items[2]['id']}").status_code == 404


@pytest.mark.parametrize("files,message", [
    ([("attachments", (f"p{i}.jpg", b"x", "image/jpeg")) for i in range(6)], "At most 5|最多只能上传 5"),
    ([("attachments", ("big.pdf", b"x" * (10 * 1024 * 1024 + 1), "application/pdf"))], "10 MB"),
    ([("attachments", ("run.exe", b"MZ", "application/octet-stream"))], "run.exe"),
    ([("attachments", ("page.html", b"<script>", "text/html"))], "page.html"),
    # names and browsers that lie: the bytes decide
    ([("attachments", ("photo.jpg", b"<!doctype html><script>alert(1)</script>", "image/jpeg"))],
     "photo.jpg.*(HTML|网页)"),
    ([("attachments", ("chart.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="x()"/>',
                       "image/png"))], "chart.png.*(HTML|网页)"),
    ([("attachments", ("notes.txt", b"\x00\x01binary", "text/plain"))], "notes.txt"),
])
def test_bad_uploads_are_refused_with_a_message_and_nothing_saved(client, viewers, settings,
                                                                 files, message):
    client.login("clerk")
    r = post(client, GOOD, files=files)
    assert r.status_code == 422
    assert re.search(message, r.text)
    assert count(client) == 0
    assert client.run(lambda: Attachment.count()) == 0
    assert not settings.attachments_dir.exists() or not any(settings.attachments_dir.iterdir())


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20


def test_a_png_named_pdf_is_stored_and_served_as_png_for_download_only(client, viewers):
    client.login("clerk")
    r = post(client, GOOD, files=[("attachments", ("invoice.pdf", PNG, "application/pdf"))])
    assert r.status_code == 303
    item = client.run(lambda: Attachment.select().first())
    assert (item["filename"], item["content_type"]) == ("invoice.png", "image/png")
    number = r.headers["location"].rsplit("/", 1)[1]
    got = client.get(f"/complaints/{number}/attachments/{item['id']}")
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["content-type"] == "image/png"
    assert got.headers["content-disposition"].startswith("attachment")
    assert got.headers["x-content-type-options"] == "nosniff"


PDF = b"%PDF-1.4 scan"


@pytest.mark.parametrize("sent, stored, kind", [
    ("page.html", "page.png", "image/png"),
    ("doc.png", "doc.pdf", "application/pdf"),
    ("检测报告", "检测报告.pdf", "application/pdf"),
    ("photo.JPEG", "photo.JPEG", "image/jpeg"),
    ("scan.pdf", "scan.pdf", "application/pdf"),
])
def test_an_attachment_is_named_with_the_extension_of_what_it_is(client, viewers, sent, stored,
                                                                  kind):
    content = {"image/png": PNG, "application/pdf": PDF, "image/jpeg": b"\xff\xd8\xffjpeg"}[kind]
    client.login("clerk")
    r = post(client, GOOD, files=[("attachments", (sent, content, "text/html"))])
    assert r.status_code == 303
    item = client.run(lambda: Attachment.select().first())
    assert (item["filename"], item["content_type"]) == (stored, kind)
    number = r.headers["location"].rsplit("/", 1)[1]
    page = client.get(f"/complaints/{number}").text
    assert f">{stored}</a>" in page
    got = client.get(f"/complaints/{number}/attachments/{item['id']}")
    assert got.headers["content-type"].startswith(kind)
    disposition = got.headers["content-disposition"]
    assert disposition in (f'attachment; filename="{stored}"',
                           f"attachment; filename*=utf-8''{urllib.parse.quote(stored)}")


def test_a_file_stored_under_a_misleading_name_downloads_with_the_right_one(client, viewers):
    """Attachments saved before names followed the type: fixed when shown and downloaded."""
    client.login("clerk")
    r = post(client, GOOD, files=[("attachments", ("doc.pdf", PDF, "application/pdf"))])
    item = client.run(lambda: Attachment.select().first())
    client.run(lambda: Attachment.update({Attachment.filename: "doc.png"}).where(
        Attachment.id == item["id"]))
    number = r.headers["location"].rsplit("/", 1)[1]
    assert ">doc.pdf</a>" in client.get(f"/complaints/{number}").text
    got = client.get(f"/complaints/{number}/attachments/{item['id']}")
    assert 'filename="doc.pdf"' in got.headers["content-disposition"]


def test_an_uploaded_file_name_keeps_no_path(client, viewers, settings):
    client.login("clerk")
    r = post(client, GOOD, files=[("attachments", ("../../../etc/cron.d/x.pdf",
                                                   b"%PDF-1.4 scan", "application/pdf")),
                                  ("attachments", ("C:\\Users\\wang\\扫描件.pdf",
                                                   b"%PDF-1.4 scan", "application/pdf"))])
    assert r.status_code == 303
    names = client.run(lambda: Attachment.select(Attachment.filename).order_by(Attachment.id))
    assert [n["filename"] for n in names] == ["x.pdf", "扫描件.pdf"]
    stored = list(settings.attachments_dir.iterdir())
    assert len(stored) == 2 and all(p.name.isalnum() for p in stored)
