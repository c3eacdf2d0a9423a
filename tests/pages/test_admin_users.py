"""/admin and /admin/users: who gets in, creating, editing, deactivating and resetting a
password, each refusal with nothing changed, and every change in the admin log."""

from __future__ import annotations

import html
import json
import re

import pytest

from db.tables import SetPasswordLink
from tests.admin_support import USERS, events, outbox, restoring, user_row


@pytest.fixture
def accounts(client, viewers):
    yield from restoring(client, viewers)


PAGES = {
    "/admin": {**dict.fromkeys(USERS, 403), "admin": 200, "cshead": 200},
    "/admin/users": {**dict.fromkeys(USERS, 403), "admin": 200},
    "/admin/users/new": {**dict.fromkeys(USERS, 403), "admin": 200},
    "/admin/users/qa.staff": {**dict.fromkeys(USERS, 403), "admin": 200},
    "/admin/departments": {**dict.fromkeys(USERS, 403), "admin": 200},
}
NEW = {"username": "li.na", "name": "李娜", "email": "li.na@example.com", "role": "handler",
       "department": "QA", "language": "en", "password": ""}


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("user", USERS)
def test_only_the_admin_gets_in(client, accounts, page, user):
    client.login(user)
    assert client.get(page).status_code == PAGES[page][user]


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_sent_to_login(client, accounts, page):
    response = client.get(page)
    assert response.status_code in (302, 303) and "/login" in response.headers["location"]


@pytest.mark.parametrize("user", [u for u in USERS if u != "admin"])
def test_others_cannot_create_or_change_users(client, accounts, user):
    client.login(user)
    assert client.post_form("/admin/users/new", NEW).status_code == 403
    assert client.post_form("/admin/users/qa.staff", {**NEW, "username": "qa.staff"}
                            ).status_code == 403
    assert client.post_form("/admin/users/qa.staff/reset-password").status_code == 403
    assert client.run(user_row, "li.na") is None
    assert client.run(outbox) == []


def test_cs_head_sees_only_the_links_they_may_use(client, accounts):
    client.login("cshead")
    html = client.get("/admin").text
    assert 'href="/admin/policy"' in html and 'href="/admin/contact-views"' in html
    assert 'href="/admin/users"' not in html and 'href="/admin/calendar"' not in html
    client.login("admin")
    html = client.get("/admin").text
    for link in ("/admin/users", "/admin/departments", "/admin/policy", "/admin/logins",
                 "/admin/contact-views", "/admin/calendar"):
        assert f'href="{link}"' in html


def test_the_list_searches_username_name_and_department(client, accounts):
    client.login("admin")
    assert 'data-username="qa.staff"' in client.get("/admin/users?q=qa.st").text
    by_name = client.get("/admin/users", params={"q": "孙丽"}).text
    assert 'data-username="qa.staff"' in by_name and 'data-username="clerk"' not in by_name
    by_dept = client.get("/admin/users?q=SVC").text
    assert 'data-username="svc.head"' in by_dept and 'data-username="qa.head"' not in by_dept


def test_the_list_pages(client, accounts, monkeypatch):
    from db import users as store
    monkeypatch.setattr(store, "PER_PAGE", 3)
    client.login("admin")
    first = client.get("/admin/users").text
    assert first.count("data-username=") == 3 and 'rel="next"' in first
    last = client.get("/admin/users?page=3").text
    assert last.count("data-username=") == 2 and 'rel="next"' not in last


def test_creating_without_a_password_emails_a_set_password_link(client, accounts):
    client.login("admin")
    response = client.post_form("/admin/users/new", NEW)
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/users/li.na"
    row = client.run(user_row, "li.na")
    assert (row["display_name"], row["email"], row["role"], row["department"],
            row["language"], row["is_active"], row["password_hash"]) == (
        "李娜", "li.na@example.com", "handler", "QA", "en", True, "")
    [mail] = client.run(outbox)
    assert mail["recipient"] == "li.na@example.com"
    assert mail["subject"] == "[Complaint portal] Set your password"
    assert "http://testserver/set-password/" in mail["body"]
    [event] = client.run(events, "user:li.na")
    assert event["kind"] == "user-create" and event["actor"] == accounts["admin"].id
    assert json.loads(event["detail"])["role"] == [None, "handler"]
    page = client.get("/admin/users/li.na").text
    assert 'data-kind="user-create"' in page


def test_creating_with_a_password_lets_the_user_sign_in(client, accounts):
    client.login("admin")
    client.post_form("/admin/users/new", {**NEW, "password": "Long-enough-1"})
    assert client.run(outbox) == []
    assert client.login("li.na", "Long-enough-1").status_code == 303


@pytest.mark.parametrize("change, field", [
    ({"department": ""}, "department"),
    ({"role": "superuser"}, "role"),
    ({"department": "NOPE"}, "department"),
    ({"username": "qa.staff"}, "username"),
    ({"username": "bad name!"}, "username"),
    ({"name": ""}, "name"),
    ({"email": "not-an-address"}, "email"),
    ({"email": ""}, "email"),
    ({"password": "short"}, "password"),
    ({"password": "xx-li.na-xx-long"}, "password"),
])
def test_a_bad_new_user_is_refused_next_to_the_field(client, accounts, change, field):
    client.login("admin")
    response = client.post_form("/admin/users/new", {**NEW, **change})
    assert response.status_code == 422
    assert 'class="error"' in response.text and f'id="{field}-error"' in response.text
    assert client.run(user_row, "li.na") is None
    assert client.run(outbox) == []


@pytest.mark.parametrize("lang, message", [("zh_CN", "不是可选的选项，请从列表中选择。"),
                                           ("en", "Not a valid choice.")])
def test_wtforms_own_messages_are_in_the_readers_language(client, accounts, lang, message):
    client.login("admin")
    client.post_form("/lang", {"lang": lang, "next": "/"})
    response = client.post_form("/admin/users/new", {**NEW, "role": "nonsense",
                                                     "name": ""})
    assert response.status_code == 422
    error = re.search(r'id="role-error"[^>]*>([^<]*)<', response.text).group(1)
    assert html.unescape(error).strip() == message
    if lang == "zh_CN":
        assert "Not a valid" not in response.text and "This field" not in response.text
    assert client.run(user_row, "li.na") is None


def _edit(**change):
    return {"username": "qa.staff", "name": "孙丽（质量部）", "email": "qa.staff@example.com",
            "role": "handler", "department": "QA", "language": "zh_CN", "active": "y",
            "password": "", **change}


def test_the_change_log_names_who_made_each_change(client, accounts):
    client.login("admin")
    client.post_form("/admin/users/qa.staff", _edit(department="SVC"))
    page = client.get("/admin/users/qa.staff").text
    heads = re.search(r"<h2>修改记录</h2>.*?<thead>(.*?)</thead>", page, re.S).group(1)
    assert "<th>操作人</th>" in heads and "查看人" not in heads  # the actor, not a viewer
    client.post_form("/lang", {"lang": "en", "next": "/"})
    assert "<th>Who</th>" in client.get("/admin/users/qa.staff").text


def test_editing_records_each_change_from_and_to(client, accounts):
    client.login("admin")
    response = client.post_form("/admin/users/qa.staff", _edit(department="SVC",
                                                               language="en"))
    assert response.status_code == 303
    row = client.run(user_row, "qa.staff")
    assert (row["department"], row["language"]) == ("SVC", "en")
    [event] = client.run(events, "user:qa.staff")
    assert event["kind"] == "user-update"
    assert json.loads(event["detail"]) == {"department": ["QA", "SVC"],
                                           "language": ["zh_CN", "en"]}
    page = client.get("/admin/users/qa.staff").text
    # The change log names departments and languages, not their codes.
    assert 'data-kind="user-update"' in page and "质量部 → 客服部" in page
    assert "中文 → English" in page and "QA → SVC" not in page


def test_a_deactivated_user_cannot_sign_in_and_leaves_the_assignees(client, accounts):
    from db.notify import department_users

    client.login("admin")
    client.post_form("/admin/users/qa.staff", _edit(active=""))
    assert client.run(user_row, "qa.staff")["is_active"] is False
    assert accounts["qa.staff"].id not in client.run(department_users, "QA")
    assert client.login("qa.staff").status_code == 422
    client.login("admin")
    assert "孙丽（质量部）" in client.get("/admin/users?q=qa.staff").text


def test_an_admin_cannot_deactivate_themselves(client, accounts):
    client.login("admin")
    response = client.post_form("/admin/users/admin", _edit(
        username="admin", name="系统管理员", email="admin@example.com", role="admin",
        department="", active=""))
    assert response.status_code == 409 and 'data-testid="refusal"' in response.text
    assert client.run(user_row, "admin")["is_active"] is True
    assert client.run(events, "user:admin") == []


def test_the_last_active_admin_cannot_lose_the_role(client, accounts):
    client.login("admin")
    client.post_form("/admin/users/new", {**NEW, "username": "root2", "role": "admin",
                                          "department": "", "password": "Long-enough-1"})
    # Another admin exists: the first may step down, but then root2 is the last one.
    assert client.post_form("/admin/users/admin", _edit(
        username="admin", name="系统管理员", email="admin@example.com", role="office",
        department="")).status_code == 303
    client.login("root2", "Long-enough-1")
    response = client.post_form("/admin/users/root2", _edit(
        username="root2", name="李娜", email="li.na@example.com", role="office",
        department=""))
    assert response.status_code == 409
    assert client.run(user_row, "root2")["role"] == "admin"


def test_reset_password_emails_a_new_link_and_supersedes_the_old(client, accounts):
    client.login("admin")
    client.post_form("/admin/users/new", NEW)
    response = client.post_form("/admin/users/li.na/reset-password")
    assert response.status_code == 303
    mails = client.run(outbox)
    assert len(mails) == 2 and mails[1]["recipient"] == "li.na@example.com"
    links = client.run(lambda: SetPasswordLink.select().order_by(SetPasswordLink.id))
    assert links[0]["used_at"] is not None and links[1]["used_at"] is None
    assert [e["kind"] for e in client.run(events, "user:li.na")] == ["user-create",
                                                                       "reset-password"]


def test_reset_password_needs_an_address(client, accounts):
    client.login("admin")
    client.post_form("/admin/users/qa.staff", _edit(email=""))
    response = client.post_form("/admin/users/qa.staff/reset-password")
    assert response.status_code == 409
    assert client.run(outbox) == []


def test_reset_password_refuses_a_get_and_unknown_users(client, accounts):
    client.login("admin")
    assert client.get("/admin/users/qa.staff/reset-password").status_code in (404, 405)
    assert client.post_form("/admin/users/nobody/reset-password").status_code == 404
    assert client.get("/admin/users/nobody").status_code == 404


def test_posting_without_csrf_is_refused(client, accounts):
    client.login("admin")
    assert client.post_form("/admin/users/new", NEW, csrf=False).status_code == 403
    assert client.run(user_row, "li.na") is None
