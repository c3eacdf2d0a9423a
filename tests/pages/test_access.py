"""Every page × every role, masking of contacts, and CSRF on every state change."""

import pytest

from db.tables import Attachment, Complaint, ContactView
from tests.factories import make_complaint

USERS = ["clerk", "office", "cshead", "admin", "qa.head", "qa.staff", "svc.head", "svc.staff"]

# page -> expected status per user (anonymous is always sent to /login).
PAGES = {
    "/intake": dict.fromkeys(USERS, 200),
    "/mine": dict.fromkeys(USERS, 200),
    "/notifications": dict.fromkeys(USERS, 200),
    "/notifications/bell": dict.fromkeys(USERS, 200),
    "/admin/calendar": {**dict.fromkeys(USERS, 403), "admin": 200},
    "/triage": {**dict.fromkeys(USERS, 403), "office": 200, "cshead": 200},
    "/inbox": {**dict.fromkeys(USERS, 200), "clerk": 403, "admin": 403},
    # A complaint dispatched to QA and logged by clerk.
    "complaint": {**dict.fromkeys(USERS, 404), "clerk": 200, "office": 200, "cshead": 200,
                  "qa.head": 200, "qa.staff": 200},
    "attachment": {**dict.fromkeys(USERS, 404), "clerk": 200, "office": 200, "cshead": 200,
                   "qa.head": 200, "qa.staff": 200},
}
HOME = {"clerk": "/mine", "admin": "/admin/calendar", "office": "/triage", "cshead": "/triage",
        "qa.head": "/inbox", "qa.staff": "/inbox", "svc.head": "/inbox", "svc.staff": "/inbox"}


@pytest.fixture
def qa_complaint(client, viewers, settings):
    row = client.run(make_complaint, viewers, status="dispatched", department="QA",
                     attachments_dir=settings.attachments_dir)
    settings.attachments_dir.mkdir(parents=True, exist_ok=True)
    (settings.attachments_dir / "abc123").write_bytes(b"evidence")

    async def attach():
        item = Attachment(complaint=row["id"], filename="photo.jpg", content_type="image/jpeg",
                          size=8, storage_key="abc123", uploaded_by=viewers["clerk"].id,
                          uploaded_at=row["logged_at"])
        await item.save()
        return item.id

    return row, client.run(attach)


def _url(page, qa_complaint):
    row, attachment_id = qa_complaint
    if page == "complaint":
        return f"/complaints/{row['number']}"
    if page == "attachment":
        return f"/complaints/{row['number']}/attachments/{attachment_id}"
    return page


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("page", list(PAGES))
def test_page_access_by_role(client, qa_complaint, page, user):
    client.login(user)
    assert client.get(_url(page, qa_complaint)).status_code == PAGES[page][user]


@pytest.mark.parametrize("page", list(PAGES))
def test_anonymous_visitors_are_sent_to_login(client, qa_complaint, page):
    url = _url(page, qa_complaint)
    r = client.get(url)
    assert r.status_code == 303
    assert r.headers["location"] == f"/login?next={url}"


@pytest.mark.parametrize("user", USERS)
def test_home_sends_each_role_to_its_work(client, viewers, user):
    client.login(user)
    r = client.get("/")
    assert r.status_code == 303 and r.headers["location"] == HOME[user]


def test_attachment_download_is_the_stored_file_as_attachment(client, qa_complaint):
    client.login("qa.staff")
    r = client.get(_url("attachment", qa_complaint))
    assert r.content == b"evidence"
    assert r.headers["content-disposition"].startswith("attachment")
    assert r.headers["x-content-type-options"] == "nosniff"


def test_unknown_complaint_is_404(client, viewers):
    client.login("office")
    assert client.get("/complaints/TS-2026-999999").status_code == 404


@pytest.mark.parametrize("user,full", [("office", True), ("cshead", True), ("qa.staff", True),
                                       ("qa.head", True), ("clerk", False)])
def test_contacts_are_full_only_for_office_and_handling_department(client, qa_complaint, user, full):
    row, _ = qa_complaint
    client.login(user)
    page = client.get(f"/complaints/{row['number']}").text
    assert ("13812345678" in page) is full
    assert ("138****5678" in page) is not full
    assert ("zw@example.com" in page) is full
    views = client.run(lambda: ContactView.count().where(ContactView.complaint == row["id"]))
    assert views == (1 if full else 0)


def test_lists_always_mask_contacts(client, qa_complaint):
    client.login("qa.staff")
    page = client.get("/inbox").text
    assert "138****5678" in page and "13812345678" not in page
    assert "z***@example.com" in page and "zw@example.com" not in page


def test_complaint_page_shows_the_record_and_its_history(client, viewers):
    row = client.run(make_complaint, viewers, status="in_progress", criteria=["II-5", "M-1"],
                     urgent=True, product="电热水壶")
    client.login("qa.staff")
    page = client.get(f"/complaints/{row['number']}").text
    for text in (row["number"], "张伟", "底座漏电", "换新", "电热水壶", "II-5", "M-1"):
        assert text in page
    assert 'data-history' in page
    history = page.split("data-history", 1)[1].split("</ol>", 1)[0]
    assert history.count("<li") == 5  # log, dispatch, acknowledge, start, contact
    assert 'data-action="submit-result"' in page and 'data-action="contact"' in page
    assert 'data-action="sign-off"' not in page  # not the handler's, and not in this status


def test_action_buttons_match_the_viewer(client, viewers):
    row = client.run(make_complaint, viewers, status="result_submitted")
    client.login("qa.head")
    page = client.get(f"/complaints/{row['number']}").text
    assert 'data-action="sign-off"' in page
    client.login("office")
    page = client.get(f"/complaints/{row['number']}").text
    assert 'data-action="send-back"' in page and 'data-action="sign-off"' not in page


def test_page_is_printable_as_the_handling_form(client, viewers):
    row = client.run(make_complaint, viewers, status="replied")
    client.login("office")
    page = client.get(f"/complaints/{row['number']}").text
    assert 'media="print"' in page and "print-title" in page
    assert client.get("/static/css/print.css").status_code == 200


@pytest.mark.parametrize("url,data", [
    ("/intake", {"customer_name": "x", "customer_phone": "13812345678", "channel": "phone",
                 "category": "quality", "received_at": "2026-01-01T10:00", "description": "x"}),
    ("/logout", {}),
    ("/notifications/read", {}),
    ("/lang", {"lang": "en"}),
])
def test_posts_without_csrf_token_are_refused(client, viewers, url, data):
    client.login("clerk")
    r = client.post_form(url, data, csrf=False)
    assert r.status_code == 403
    assert client.run(lambda: Complaint.count()) == 0
    assert client.get("/mine").status_code == 200  # still logged in: logout did not happen


def test_action_without_csrf_token_is_refused_and_changes_nothing(client, viewers):
    row = client.run(make_complaint, viewers, status="dispatched")
    client.login("qa.staff")
    r = client.post_form(f"/complaints/{row['number']}/acknowledge", {"version": row["version"]},
                         csrf=False)
    assert r.status_code == 403
    assert client.run(lambda: Complaint.select(Complaint.status).where(
        Complaint.id == row["id"]).first())["status"] == "dispatched"


def test_action_with_a_forged_csrf_token_is_refused(client, viewers):
    row = client.run(make_complaint, viewers, status="dispatched")
    client.login("qa.staff")
    r = client.post_form(f"/complaints/{row['number']}/acknowledge",
                         {"version": row["version"], "_csrf_token": "forged"})
    assert r.status_code == 403


def test_htmx_action_with_csrf_header_is_accepted(client, viewers):
    row = client.run(make_complaint, viewers, status="dispatched")
    client.login("qa.staff")
    r = client.post(f"/complaints/{row['number']}/acknowledge", data={"version": row["version"]},
                    headers={"HX-Request": "true", "X-CSRFToken": client.csrf})
    assert r.status_code == 200
