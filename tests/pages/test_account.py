"""/account: every user's password, language and email."""

import re

import pytest

from db.tables import User, UserSession
from portal.auth import hash_password, verify_password

NEW = "a-much-longer-secret"


@pytest.fixture
def restore_clerk(client):
    yield
    client.run(lambda: User.update({User.password_hash: hash_password("demo-pass"),
                                    User.language: "zh_CN", User.email: "clerk@example.com"}
                                   ).where(User.username == "clerk"))


def clerk(client) -> dict:
    return client.run(lambda: User.select().where(User.username == "clerk").first())


def change(client, current="demo-pass", new=NEW, confirm=None):
    return client.post_form("/account", {"current_password": current, "new_password": new,
                                         "new_password_confirm": new if confirm is None else confirm})


@pytest.mark.parametrize("username", ["clerk", "office", "cshead", "admin", "qa.head", "qa.staff"])
def test_every_role_has_an_account_page(client, username):
    client.login(username)
    r = client.get("/account")
    assert r.status_code == 200
    for name in ("current_password", "new_password", "new_password_confirm", "language", "email"):
        assert f'name="{name}"' in r.text


def test_anonymous_is_sent_to_log_in(client):
    r = client.get("/account", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/account"


def test_change_password(client, restore_clerk):
    client.login("clerk")
    r = change(client)
    assert r.status_code == 303 and r.headers["location"] == "/account"
    assert verify_password(clerk(client)["password_hash"], NEW)
    page = client.get("/account").text
    assert "Your password has been changed" in page or "密码已修改" in page
    client.http.cookies.clear()
    assert client.login("clerk", NEW).status_code == 303
    assert client.login("clerk", "demo-pass").status_code == 422


@pytest.mark.parametrize("current,new,confirm,field", [
    ("wrong-password", NEW, NEW, "current_password"),
    ("demo-pass", NEW, NEW + "x", "new_password_confirm"),
    ("demo-pass", "short", "short", "new_password"),
    ("demo-pass", "my-clerk-password", "my-clerk-password", "new_password"),
    ("demo-pass", "demo-pass", "demo-pass", "new_password"),
    ("", NEW, NEW, "current_password"),
])
def test_a_refused_password_change_says_why_and_changes_nothing(client, restore_clerk, current,
                                                                 new, confirm, field):
    client.login("clerk")
    before = clerk(client)["password_hash"]
    r = change(client, current, new, confirm)
    assert r.status_code == 422
    assert f'id="{field}-error"' in r.text
    assert clerk(client)["password_hash"] == before


def test_a_password_change_ends_the_other_sessions_but_not_this_one(client, restore_clerk):
    # Two browsers of the same user: one client, its session cookie swapped between them
    # (a second TestClient cannot share the app's PostgreSQL pool).
    client.login("clerk")
    other = client.http.cookies["portal_session"]
    client.login("clerk")
    this = client.http.cookies["portal_session"]
    assert other != this
    assert change(client).status_code == 303
    this = client.http.cookies["portal_session"]  # the flash rewrote this browser's cookie
    assert client.get("/mine").status_code == 200
    client.http.cookies.set("portal_session", other)
    assert client.get("/mine", follow_redirects=False).status_code == 303
    client.http.cookies.set("portal_session", this)
    assert client.get("/mine").status_code == 200
    live = client.run(lambda: UserSession.count().where(UserSession.ended_at.is_null()))
    assert live == 1


def test_change_language_and_email(client, restore_clerk):
    client.login("clerk")
    r = client.post_form("/account", {"language": "en", "email": "new.clerk@example.com"})
    assert r.status_code == 303
    row = clerk(client)
    assert row["language"] == "en" and row["email"] == "new.clerk@example.com"
    assert client.http.cookies.get("portal_lang") == "en"
    page = client.get("/account")
    assert "Your settings have been saved." in page.text and 'lang="en"' in page.text


def test_a_bad_email_is_refused_and_nothing_changes(client, restore_clerk):
    client.login("clerk")
    before = clerk(client)
    r = client.post_form("/account", {"language": "en", "email": "not-an-email"})
    assert r.status_code == 422 and 'id="email-error"' in r.text
    after = clerk(client)
    assert (after["language"], after["email"]) == (before["language"], before["email"])


def test_an_unknown_language_is_refused(client, restore_clerk):
    client.login("clerk")
    r = client.post_form("/account", {"language": "fr", "email": ""})
    assert r.status_code == 422
    assert clerk(client)["language"] == "zh_CN"


@pytest.mark.parametrize("lang, message", [("zh_CN", "不是可选的选项，请从列表中选择。"),
                                           ("en", "Not a valid choice.")])
def test_an_unknown_language_is_refused_in_the_readers_language(client, restore_clerk, lang,
                                                                 message):
    client.login("clerk")
    client.post_form("/lang", {"lang": lang, "next": "/"})
    r = client.post_form("/account", {"language": "fr", "email": ""})
    assert r.status_code == 422
    assert re.search(r'id="language-error"[^>]*>\s*' + re.escape(message), r.text)
    if lang == "zh_CN":
        assert "Not a valid" not in r.text


def test_account_changes_need_the_csrf_token(client, restore_clerk):
    client.login("clerk")
    before = clerk(client)["password_hash"]
    r = client.post_form("/account", {"current_password": "demo-pass", "new_password": NEW,
                                      "new_password_confirm": NEW}, csrf=False)
    assert r.status_code == 403
    assert clerk(client)["password_hash"] == before


def test_a_language_saved_in_the_account_follows_the_user_to_another_browser(client, restore_clerk):
    client.login("clerk")
    client.post_form("/account", {"language": "en", "email": "clerk@example.com"})
    client.login("clerk")  # a browser with no language cookie: cookies cleared
    assert client.http.cookies.get("portal_lang") == "en"
    assert '<html lang="en"' in client.get("/account").text


def test_the_switch_in_this_browser_wins_over_the_account(client, restore_clerk):
    client.login("clerk")
    client.post_form("/account", {"language": "en", "email": "clerk@example.com"})
    client.http.cookies.clear()
    client.http.cookies.set("portal_lang", "zh_CN")
    client.post("/login", data={"username": "clerk", "password": "demo-pass",
                                "_csrf_token": client.csrf})
    assert client.http.cookies.get("portal_lang") == "zh_CN"
    assert '<html lang="zh' in client.get("/account").text


def test_an_account_on_the_default_language_follows_the_browser(client):
    client.http.cookies.clear()
    r = client.post("/login", data={"username": "clerk", "password": "demo-pass",
                                    "_csrf_token": client.csrf},
                    headers={"Accept-Language": "en-US,en;q=0.9"})
    assert r.status_code == 303 and "portal_lang" not in r.headers.get("set-cookie", "")
    assert '<html lang="en"' in client.get("/account", headers={"Accept-Language": "en-US"}).text
