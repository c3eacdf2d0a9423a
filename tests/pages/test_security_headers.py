"""Security headers on every page, HEAD on every GET page, and the access log."""

import json
import logging

import pytest

from portal.security_headers import CSP
from tests.factories import make_complaint

# Every GET route of the app without path parameters, and who may see it.
PAGES = {
    "/login": None, "/": "clerk", "/intake": "clerk", "/intake/grade-preview": "clerk",
    "/intake/second-check": "clerk", "/triage": "office", "/inbox": "qa.staff",
    "/mine": "clerk", "/notifications": "clerk", "/notifications/bell": "clerk",
    "/admin/calendar": "admin", "/revisits": "office", "/stats": "office",
    "/stats/export.csv": "office", "/stats/export.xlsx": "office", "/leaderboard": "cshead",
    "/search": "clerk", "/inbox/export.csv": "qa.staff", "/inbox/export.xlsx": "qa.staff",
    "/account": "clerk", "/admin": "admin", "/admin/users": "admin", "/admin/users/new": "admin",
    "/admin/users/import": "admin", "/admin/departments": "admin", "/admin/policy": "cshead",
    "/admin/policy/history": "cshead", "/admin/logins": "admin", "/admin/contact-views": "cshead",
}
STRICT = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "content-security-policy": CSP,
}


def get_routes(app) -> set[str]:
    return {r.path for r in app.routes if "GET" in getattr(r, "methods", ())
            and "{" not in r.path and r.path != "/healthz"}


def test_the_list_of_pages_covers_every_get_route(app):
    assert get_routes(app) == set(PAGES)


def assert_strict(r):
    for name, value in STRICT.items():
        assert r.headers[name] == value, name


@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_the_security_headers(client, viewers, path):
    if PAGES[path]:
        client.login(PAGES[path])
    r = client.get(path)
    assert r.status_code in (200, 303), r.text[:500]
    assert_strict(r)
    assert r.headers["referrer-policy"] == "same-origin"
    assert r.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in r.headers


def test_the_policy_allows_no_inline_script_and_no_framing():
    directives = dict(d.split(" ", 1) for d in CSP.split("; "))
    assert directives["script-src"] == "'self'"
    assert "unsafe" not in CSP
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == directives["form-action"] == "'self'"


def test_a_complaint_page_sends_the_headers(client, viewers):
    row = client.run(make_complaint, viewers, status="dispatched", department="QA")
    client.login("qa.staff")
    r = client.get(f"/complaints/{row['number']}")
    assert r.status_code == 200
    assert_strict(r)
    assert r.headers["cache-control"] == "no-store"


def test_the_survey_keeps_no_referrer(client, viewers):
    r = client.get("/survey/not-a-real-token")
    assert r.status_code == 404
    assert_strict(r)
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["cache-control"] == "no-store"


def test_unknown_paths_and_refusals_send_the_headers_too(client, viewers):
    client.login("clerk")
    for path, status in (("/no-such-page", 404), ("/admin/calendar", 403)):
        r = client.get(path)
        assert r.status_code == status
        assert_strict(r)


def test_static_files_stay_cacheable(client):
    r = client.get("/static/css/portal.css")
    assert r.status_code == 200
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers.get("cache-control") != "no-store"


@pytest.fixture
def secure_client(settings, viewers):
    from dataclasses import replace

    from litestar.testing import TestClient

    from portal.app import create_app
    from tests.conftest import PortalClient

    app = create_app(replace(settings, secure_cookies=True))
    with TestClient(app, base_url="https://testserver.local") as http:
        http.follow_redirects = False
        yield PortalClient(http)


def test_behind_https_cookies_are_secure_and_hsts_is_sent(secure_client):
    page = secure_client.get("/login")
    assert page.headers["strict-transport-security"].startswith("max-age=31536000")
    r = secure_client.login("clerk")
    assert r.status_code == 303
    cookies = [v for k, v in r.headers.multi_items() if k == "set-cookie"]
    cookies += [v for k, v in page.headers.multi_items() if k == "set-cookie"]
    names = {c.split("=", 1)[0]: c.lower() for c in cookies}
    assert {"portal_session", "portal_csrf"} <= set(names)
    for name, cookie in names.items():
        assert "; secure" in cookie, name
    lang = secure_client.post_form("/lang", {"lang": "en", "next": "/"})
    assert "; secure" in lang.headers["set-cookie"].lower()
    saved = secure_client.post_form("/account", {"language": "en", "email": "clerk@example.com"})
    assert saved.status_code == 303
    assert "; secure" in saved.headers["set-cookie"].lower()
    again = secure_client.login("clerk")  # a new browser: sign-in sets the account's English
    assert "portal_lang=en" in again.headers["set-cookie"]
    assert "; secure" in again.headers["set-cookie"].lower()


# HEAD ---------------------------------------------------------------------------------------

def test_head_login_answers_like_get_without_a_body(client):
    r = client.head("/login")
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["content-type"].startswith("text/html")
    assert_strict(r)


@pytest.mark.parametrize("path", ["/mine", "/stats", "/admin/calendar"])
def test_head_on_a_page_needing_login_redirects_like_get(client, path):
    got, head = client.get(path), client.head(path)
    assert head.status_code == got.status_code == 303
    assert head.headers["location"] == got.headers["location"]
    assert head.content == b""


@pytest.mark.parametrize("path", [p for p, user in PAGES.items() if user])
def test_head_works_on_every_get_page(client, viewers, path):
    client.login(PAGES[path])
    got, head = client.get(path), client.head(path)
    assert head.status_code == got.status_code
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.content == b""


def test_head_does_not_bypass_post_only_routes(client, viewers):
    client.login("clerk")
    assert client.head("/logout").status_code == 405


# The access log -------------------------------------------------------------------------------

@pytest.fixture
def access_lines():
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(record.getMessage())

    handler = Keep()
    logger = logging.getLogger("portal.access")
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


def records(lines):
    return [json.loads(line) for line in lines]


def test_a_post_is_logged_as_one_json_line_with_the_user(client, viewers, access_lines):
    from tests.pages.test_intake import GOOD

    client.login("clerk")
    access_lines.clear()
    r = client.post_form("/intake?phone=13987654321", GOOD)
    assert r.status_code == 303
    [line] = records(access_lines)
    assert (line["method"], line["path"], line["status"]) == ("POST", "/intake", 303)
    assert (line["user_id"], line["username"]) == (viewers["clerk"].id, "clerk")
    assert line["ip"] and line["request_id"] and line["time"]
    assert line["duration_ms"] >= 0
    assert r.headers["x-request-id"] == line["request_id"]


def test_the_log_never_holds_customer_contact_data(client, viewers, access_lines):
    from tests.pages.test_intake import GOOD

    client.login("clerk")
    access_lines.clear()
    client.post_form("/intake", GOOD)
    client.post_form("/intake", {**GOOD, "customer_email": "not-an-email"})  # 422
    client.get("/inbox?q=13987654321")  # a refusal: the clerk has no inbox
    text = "\n".join(access_lines)
    assert len(access_lines) == 3
    for secret in ("13987654321", "139 8765 4321", "wangfang@example.com", "王芳", "not-an-email",
                   "北京市"):
        assert secret not in text


def test_refusals_are_logged_and_plain_page_views_are_not(client, viewers, access_lines):
    client.login("clerk")
    access_lines.clear()
    assert client.get("/mine").status_code == 200
    assert client.get("/admin/calendar").status_code == 403
    [line] = records(access_lines)
    assert (line["method"], line["path"], line["status"], line["username"]) == (
        "GET", "/admin/calendar", 403, "clerk")


def test_a_conflict_is_logged(client, viewers, access_lines):
    row = client.run(make_complaint, viewers, status="dispatched", department="QA")
    client.login("qa.staff")
    access_lines.clear()
    r = client.post_form(f"/complaints/{row['number']}/acknowledge", {"version": row["version"] - 1})
    assert r.status_code == 409, r.text[:300]
    assert [line["status"] for line in records(access_lines)] == [409]


def test_the_survey_token_is_not_logged(client, viewers, access_lines):
    client.post("/survey/secret-token-value", data={})
    text = "\n".join(access_lines)
    assert "secret-token-value" not in text
    assert records(access_lines)[0]["path"] == "/survey/…"


def test_a_sign_in_attempt_is_logged_with_the_name_typed(client, viewers, access_lines):
    client.http.cookies.clear()
    client.post("/login", data={"username": "clerk", "password": "wrong-password",
                                "_csrf_token": client.csrf})
    [line] = records(access_lines)
    assert (line["path"], line["status"], line["user_id"], line["sign_in_as"]) == (
        "/login", 422, None, "clerk")
    assert "wrong-password" not in "\n".join(access_lines)


def test_the_server_writes_no_access_line_of_its_own(monkeypatch):
    """uvicorn's access line holds the query string (a search for a phone number)."""
    import portal.server as server

    configs = []

    class NotStarted:
        def __init__(self, config):
            configs.append(config)

        def run(self):
            pass

    monkeypatch.setattr(server.uvicorn, "Server", NotStarted)
    monkeypatch.delenv("PORTAL_TRUSTED_PROXIES", raising=False)
    server.serve("127.0.0.1", 8999)
    monkeypatch.setenv("PORTAL_TRUSTED_PROXIES", "10.0.0.5")
    server.serve("127.0.0.1", 8999)
    direct, proxied = configs
    assert direct.access_log is False and direct.proxy_headers is False
    assert proxied.access_log is False and proxied.proxy_headers is True
    assert proxied.forwarded_allow_ips == "10.0.0.5"
