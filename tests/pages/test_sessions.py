"""Server-side sessions (ASVS 4.0 §3) and sign-in protection (§2.2.1), on both databases."""

from datetime import UTC, datetime, timedelta

import pytest

import portal.timeutil
from db.tables import LoginAttempt, UserSession
from pages.login import handlers as login_handlers
from portal.timeutil import utcnow

# Thursday 3 December 2026, 09:00 in Shanghai: a working day.
THURSDAY_9AM = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def advance(self, **kw) -> None:
        self.now += timedelta(**kw)


@pytest.fixture
def clock(monkeypatch):
    pinned = Clock()
    monkeypatch.setattr(login_handlers, "utcnow", lambda: pinned.now)
    monkeypatch.setattr(portal.timeutil, "utcnow", lambda: pinned.now)
    return pinned


def session_cookie(client) -> str:
    return client.http.cookies["portal_session"]


def signed_in(client) -> bool:
    return client.get("/mine", follow_redirects=False).status_code == 200


def test_sign_in_gives_a_new_session_cookie_each_time(client):
    client.login("clerk")
    first = session_cookie(client)
    client.login("clerk")
    assert session_cookie(client) != first
    assert signed_in(client)


def test_the_session_row_holds_only_a_hash_of_the_token(client):
    client.login("clerk")
    rows = client.run(lambda: UserSession.select(UserSession.token_hash))
    assert len(rows) == 1 and len(rows[0]["token_hash"]) == 64
    assert rows[0]["token_hash"] not in session_cookie(client)


def test_a_session_cookie_from_before_sign_in_does_not_carry_over(client):
    client.get("/login")
    before = client.http.cookies.get("portal_session")
    client.login("clerk")
    assert session_cookie(client) != before


def test_sign_out_ends_the_session_on_the_server(client):
    client.login("clerk")
    stolen = session_cookie(client)
    assert client.post_form("/logout").status_code == 303
    client.http.cookies.set("portal_session", stolen)
    assert not signed_in(client)
    ended = client.run(lambda: UserSession.select(UserSession.ended_at).first())
    assert ended["ended_at"] is not None


def test_a_forged_or_unknown_token_is_refused(client):
    client.login("clerk")
    cookie = session_cookie(client)
    client.http.cookies.clear()
    client.http.cookies.set("portal_session", cookie[:-4] + ("AAAA" if cookie[-4:] != "AAAA" else "BBBB"))
    assert not signed_in(client)


def test_eight_working_hours_without_a_request_sign_out(client, clock):
    clock.now = THURSDAY_9AM
    client.login("clerk")
    clock.now = THURSDAY_9AM + timedelta(hours=8)  # 17:00, eight working hours later
    assert not signed_in(client)


def test_a_request_within_the_idle_time_keeps_the_session(client, clock):
    clock.now = THURSDAY_9AM
    client.login("clerk")
    clock.now = THURSDAY_9AM + timedelta(hours=7, minutes=59)
    assert signed_in(client)
    # That request counted as activity: the idle time starts again from 16:59.
    clock.now = THURSDAY_9AM + timedelta(hours=8, minutes=30)
    assert signed_in(client)


def test_the_evening_does_not_count_as_idle_time(client, clock):
    clock.now = THURSDAY_9AM + timedelta(hours=8, minutes=30)  # 17:30
    client.login("clerk")
    # 20:30 the same evening: wall clock 3 h, working time 30 min.
    clock.now = THURSDAY_9AM + timedelta(hours=11, minutes=30)
    assert signed_in(client)


def test_the_absolute_lifetime_signs_out_an_active_session(client, clock):
    client.login("clerk")
    for _ in range(12):
        clock.advance(minutes=59)
        signed_in(client)
    clock.advance(minutes=12)  # 12 h since sign-in
    assert not signed_in(client)


EXPIRED = 'data-testid="session-expired"'


def expired_notice(client) -> bool:
    """Where a signed-out request is sent: does the sign-in page say the session expired?"""
    r = client.get("/mine", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    return EXPIRED in client.get(r.headers["location"]).text


def test_after_an_idle_timeout_the_sign_in_page_says_the_session_expired(client, clock):
    clock.now = THURSDAY_9AM
    client.login("clerk")
    clock.now = THURSDAY_9AM + timedelta(hours=8)
    assert expired_notice(client)
    page = client.get("/login").text  # still, on a second look: the cookie holds the same token
    assert "会话已过期，请重新登录。" in page
    client.post_form("/lang", {"lang": "en", "next": "/login"})
    assert "Your session has expired; please sign in again." in client.get("/login").text
    assert attempt(client, "clerk", "demo-pass").status_code == 303
    assert signed_in(client)


def test_after_the_absolute_lifetime_the_sign_in_page_says_the_session_expired(client, clock):
    client.login("clerk")
    for _ in range(12):
        clock.advance(minutes=59)
        signed_in(client)
    clock.advance(minutes=12)
    assert expired_notice(client)


def test_a_timed_out_session_noticed_first_by_the_sign_in_page_itself(client, clock):
    clock.now = THURSDAY_9AM
    client.login("clerk")
    clock.now = THURSDAY_9AM + timedelta(hours=9)
    assert EXPIRED in client.get("/login").text


def test_signing_out_or_a_password_change_elsewhere_is_not_called_an_expiry(client, clock):
    clock.now = THURSDAY_9AM
    assert EXPIRED not in client.get("/login").text  # no session at all
    client.login("clerk")
    stolen = session_cookie(client)
    client.post_form("/logout")
    assert not expired_notice(client)
    client.http.cookies.set("portal_session", stolen)  # the old cookie, replayed
    assert not expired_notice(client)
    # Much later the ended session would have timed out: still a sign-out, not an expiry.
    clock.now = THURSDAY_9AM + timedelta(days=3)
    assert not expired_notice(client)
    # A password change in another browser ends this session: nothing is said about why.
    clock.now = THURSDAY_9AM
    client.login("clerk")
    mine = session_cookie(client)
    from db.users import set_password

    client.run(set_password, client.run(lambda: UserSession.select(UserSession.user).first())[
        "user"], "demo-pass", now=clock.now)
    client.http.cookies.set("portal_session", mine)
    assert not expired_notice(client)


def test_a_deactivated_user_is_signed_out_at_once(client):
    from db.tables import User

    client.login("clerk")
    client.run(lambda: User.update({User.is_active: False}).where(User.username == "clerk"))
    try:
        assert not signed_in(client)
    finally:
        client.run(lambda: User.update({User.is_active: True}).where(User.username == "clerk"))


def test_session_and_csrf_cookies_are_http_only(client):
    client.http.cookies.clear()
    csrf = [c for c in client.get("/login").headers.get_list("set-cookie")
            if c.startswith("portal_csrf=")]
    assert csrf and "httponly" in csrf[0].lower()
    r = client.post("/login", data={"username": "clerk", "password": "demo-pass",
                                     "_csrf_token": client.csrf})
    session = [c for c in r.headers.get_list("set-cookie") if c.startswith("portal_session=")]
    assert session and "httponly" in session[0].lower()


# --- sign-in protection ---------------------------------------------------------------------

def attempt(client, username: str, password: str):
    return client.post("/login", data={"username": username, "password": password,
                                       "_csrf_token": client.csrf})


def test_five_wrong_passwords_lock_the_username_whatever_the_password(client, clock):
    for _ in range(5):
        assert attempt(client, "qa.staff", "wrong-password").status_code == 422
        clock.advance(seconds=30)
    r = attempt(client, "qa.staff", "demo-pass")
    assert r.status_code == 429
    assert "Too many failed sign-ins" in r.text or "登录失败次数过多" in r.text
    assert not signed_in(client)
    outcomes = client.run(lambda: LoginAttempt.select(LoginAttempt.outcome).order_by(LoginAttempt.id))
    assert [o["outcome"] for o in outcomes] == ["wrong-password"] * 5 + ["locked"]


def test_the_lock_shows_the_minute_it_ends_rounded_up_and_lifts_by_then(client, clock):
    clock.now = THURSDAY_9AM + timedelta(seconds=30)  # 09:00:30 in Shanghai
    for _ in range(5):
        attempt(client, "qa.staff", "wrong-password")
    r = attempt(client, "qa.staff", "demo-pass")  # the lock ends at 09:15:30
    assert r.status_code == 429 and "09:16" in r.text and "09:15" not in r.text
    clock.now = THURSDAY_9AM + timedelta(minutes=16)  # the time shown
    assert attempt(client, "qa.staff", "demo-pass").status_code == 303


def test_four_wrong_passwords_do_not_lock(client, clock):
    for _ in range(4):
        attempt(client, "qa.staff", "wrong-password")
        clock.advance(seconds=30)
    assert attempt(client, "qa.staff", "demo-pass").status_code == 303


def test_the_lock_lifts_after_fifteen_minutes(client, clock):
    for _ in range(5):
        attempt(client, "qa.staff", "wrong-password")
    clock.advance(minutes=14, seconds=59)
    assert attempt(client, "qa.staff", "demo-pass").status_code == 429
    clock.advance(seconds=1)
    assert attempt(client, "qa.staff", "demo-pass").status_code == 303


def test_a_lock_on_one_username_leaves_others_alone(client, clock):
    for _ in range(5):
        attempt(client, "qa.staff", "wrong-password")
    assert attempt(client, "svc.staff", "demo-pass").status_code == 303


def test_a_successful_sign_in_clears_the_username_count(client, clock):
    for _ in range(4):
        attempt(client, "qa.staff", "wrong-password")
    assert attempt(client, "qa.staff", "demo-pass").status_code == 303
    client.http.cookies.clear()
    for _ in range(4):
        attempt(client, "qa.staff", "wrong-password")
    assert attempt(client, "qa.staff", "demo-pass").status_code == 303


def test_twenty_failures_from_one_address_lock_the_address(client, clock):
    for i in range(20):
        attempt(client, f"nobody{i}", "wrong-password")
    r = attempt(client, "clerk", "demo-pass")
    assert r.status_code == 429
    assert not signed_in(client)


def test_unknown_users_and_wrong_passwords_get_the_same_answer(client):
    unknown = attempt(client, "no-such-user", "whatever")
    wrong = attempt(client, "clerk", "whatever")
    assert unknown.status_code == wrong.status_code == 422
    rows = client.run(lambda: LoginAttempt.select(LoginAttempt.outcome).order_by(LoginAttempt.id))
    assert [r["outcome"] for r in rows] == ["unknown-user", "wrong-password"]


def test_every_sign_in_is_logged_with_its_address(client):
    client.login("clerk")
    row = client.run(lambda: LoginAttempt.select().first())
    assert row["username"] == "clerk" and row["success"] and row["outcome"] == "ok"
    assert row["ip"] and row["user"] is not None


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example",
                                    "/\t/evil.example", "javascript:alert(1)"])
def test_sign_in_never_redirects_off_site(client, target):
    r = client.post("/login", data={"username": "clerk", "password": "demo-pass",
                                     "next": target, "_csrf_token": client.csrf})
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_sign_in_follows_a_path_on_this_site(client):
    r = client.post("/login", data={"username": "clerk", "password": "demo-pass",
                                     "next": "/mine?page=2", "_csrf_token": client.csrf})
    assert r.headers["location"] == "/mine?page=2"
