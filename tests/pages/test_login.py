def test_anonymous_page_redirects_to_login_with_next(client):
    r = client.get("/inbox", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/inbox"


def test_anonymous_htmx_fragment_gets_401_with_client_redirect(client):
    r = client.get("/intake/grade-preview", headers={"HX-Request": "true"}, follow_redirects=False)
    assert r.status_code == 401
    assert r.headers["HX-Redirect"].startswith("/login")


def test_login_with_right_password_starts_a_session(client):
    r = client.login("qa.staff")
    assert r.status_code == 303
    assert client.get("/inbox").status_code == 200


def test_login_with_wrong_password_is_refused_with_a_message(client):
    r = client.login("qa.staff", "wrong-password")
    assert r.status_code == 422
    assert "Wrong username or password" in r.text or "用户名或密码错误" in r.text
    assert client.get("/inbox", follow_redirects=False).status_code == 303


def test_login_never_redirects_off_site(client):
    r = client.post("/login", data={"username": "clerk", "password": "demo-pass",
                                     "next": "//evil.example/", "_csrf_token": client.csrf})
    assert r.headers["location"] == "/"


def test_login_without_csrf_token_is_refused(client):
    client.get("/login")
    r = client.post("/login", data={"username": "clerk", "password": "demo-pass"})
    assert r.status_code == 403


def test_logout_ends_the_session(client):
    client.login("clerk")
    r = client.post_form("/logout")
    assert r.status_code == 303
    assert client.get("/mine", follow_redirects=False).status_code == 303


def test_logout_requires_post(client):
    client.login("clerk")
    assert client.get("/logout").status_code == 405
