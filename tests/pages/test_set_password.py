"""/set-password/{token}: the link from the email, delivered through a real SMTP server,
works once and for 24 hours; the password rule; used, expired and unknown links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from db.outbox import deliver
from pages.set_password import handlers as set_password_handlers
from portal.mailer import SmtpTransport
from tests.admin_support import events, link_in, restoring, user_row
from tests.smtp_support import SmtpServer


@pytest.fixture
def accounts(client, viewers):
    yield from restoring(client, viewers)


T = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
NEW = {"username": "li.na", "name": "李娜", "email": "li.na@example.com", "role": "handler",
       "department": "QA", "language": "zh_CN", "password": ""}
GOOD = {"new_password": "Tea-garden-42", "new_password_confirm": "Tea-garden-42"}


class Clock:
    now = T


@pytest.fixture
def clock(monkeypatch):
    from pages.admin import handlers as admin_handlers

    clock = Clock()
    monkeypatch.setattr(admin_handlers, "utcnow", lambda: clock.now)
    monkeypatch.setattr(set_password_handlers, "utcnow", lambda: clock.now)
    return clock


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def link(client, accounts, clock, smtp):
    """The admin creates li.na without a password; the path of the link she is emailed."""
    client.login("admin")
    assert client.post_form("/admin/users/new", NEW).status_code == 303
    transport = SmtpTransport(f"smtp://127.0.0.1:{smtp.port}", "portal@test", timeout=5)
    assert client.run(deliver, transport, clock.now).sent == 1
    [message] = smtp.collector.messages()
    assert message["To"] == "li.na@example.com"
    assert message["Subject"] == "【客户投诉管理】设置您的密码"
    client.cookies.clear()
    return link_in(message.get_content())


def test_the_emailed_link_sets_the_password_once(client, link):
    page = client.get(link)
    assert page.status_code == 200 and 'data-testid="username">li.na<' in page.text
    response = client.post_form(link, GOOD)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert client.login("li.na", "Tea-garden-42").status_code == 303
    assert [e["kind"] for e in client.run(events, "user:li.na")] == ["user-create",
                                                                       "set-password"]
    client.cookies.clear()
    again = client.get(link)
    assert again.status_code == 410 and 'data-reason="used"' in again.text
    assert client.post_form(link, {**GOOD, "new_password": "Other-pass-99",
                                   "new_password_confirm": "Other-pass-99"}).status_code == 410
    assert client.login("li.na", "Other-pass-99").status_code == 422


def test_the_link_expires_after_24_hours(client, link, clock):
    clock.now = T + timedelta(hours=24) - timedelta(seconds=1)
    assert client.get(link).status_code == 200
    clock.now = T + timedelta(hours=24)
    response = client.get(link)
    assert response.status_code == 410 and 'data-reason="expired"' in response.text
    assert client.post_form(link, GOOD).status_code == 410
    assert client.run(user_row, "li.na")["password_hash"] == ""


def test_a_tampered_link_is_not_found(client, link):
    response = client.get(link[:-2] + ("AA" if not link.endswith("AA") else "BB"))
    assert response.status_code == 404 and 'data-reason="unknown"' in response.text


def test_a_newer_link_replaces_the_older(client, link, smtp, clock):
    client.login("admin")
    client.post_form("/admin/users/li.na/reset-password")
    client.cookies.clear()
    assert client.get(link).status_code == 410


@pytest.mark.parametrize("form, field", [
    ({"new_password": "short", "new_password_confirm": "short"}, "new_password"),
    ({"new_password": "my-li.na-pass", "new_password_confirm": "my-li.na-pass"}, "new_password"),
    ({"new_password": "LI.NA", "new_password_confirm": "LI.NA"}, "new_password"),
    ({**GOOD, "new_password_confirm": "Tea-garden-43"}, "new_password_confirm"),
    ({"new_password": "", "new_password_confirm": ""}, "new_password"),
])
def test_a_bad_password_is_refused_and_the_link_still_works(client, link, form, field):
    response = client.post_form(link, form)
    assert response.status_code == 422 and f'id="{field}-error"' in response.text
    assert client.run(user_row, "li.na")["password_hash"] == ""
    assert client.post_form(link, GOOD).status_code == 303


def test_a_deactivated_users_link_no_longer_works(client, link):
    client.login("admin")
    client.post_form("/admin/users/li.na", {**NEW, "active": ""})
    client.cookies.clear()
    assert client.get(link).status_code == 410
