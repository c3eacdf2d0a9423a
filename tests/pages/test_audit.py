"""/admin/logins and /admin/contact-views: who may see them, what they list, search, pages."""

from datetime import timedelta

import pytest

from db import logins
from db.tables import ContactView, User
from portal.timeutil import utcnow
from tests.factories import make_complaint

EVERY_ROLE = ["clerk", "office", "cshead", "admin", "qa.head", "qa.staff"]


@pytest.mark.parametrize("username", EVERY_ROLE)
def test_only_the_admin_sees_the_sign_in_log(client, username):
    client.login(username)
    assert client.get("/admin/logins").status_code == (200 if username == "admin" else 403)


@pytest.mark.parametrize("username", EVERY_ROLE)
def test_only_the_admin_and_the_cs_head_see_who_saw_customer_data(client, username):
    client.login(username)
    expected = 200 if username in ("admin", "cshead") else 403
    assert client.get("/admin/contact-views").status_code == expected


def test_the_sign_in_log_shows_success_failure_and_lockout(client):
    client.post("/login", data={"username": "qa.staff", "password": "nope",
                                "_csrf_token": client.csrf})
    client.login("admin")
    r = client.get("/admin/logins")
    assert r.status_code == 200
    assert 'data-outcome="wrong-password"' in r.text and 'data-outcome="ok"' in r.text
    assert "qa.staff" in r.text


def test_a_lockout_is_visible_in_the_log(client):
    for _ in range(6):
        client.post("/login", data={"username": "qa.staff", "password": "nope",
                                    "_csrf_token": client.csrf})
    client.login("admin")
    r = client.get("/admin/logins", params={"username": "qa.staff", "outcome": "locked"})
    assert r.text.count('data-outcome="locked"') == 1
    assert 'data-outcome="ok"' not in r.text


def test_the_sign_in_log_is_paginated_newest_first(client):
    now = utcnow()

    async def fill():
        for i in range(120):
            await logins.record(f"user{i:03d}", "10.0.0.1", "wrong-password",
                                now - timedelta(days=1, minutes=i))

    client.run(fill)
    client.login("admin")
    first = client.get("/admin/logins").text
    assert "user000" in first and "user060" not in first and "page=2" in first
    second = client.get("/admin/logins", params={"page": 2}).text
    assert "user060" in second and "user000" not in second
    third = client.get("/admin/logins", params={"page": 3}).text
    assert "user119" in third and 'rel="next"' not in third


def test_the_contact_view_log_searches_by_number_and_user(client, viewers):
    first = client.run(lambda: make_complaint(viewers, "dispatched"))["number"]
    second = client.run(lambda: make_complaint(viewers, "dispatched"))["number"]
    for number, username in ((first, "office"), (second, "cshead")):
        client.login(username)
        assert client.get(f"/complaints/{number}").status_code == 200
    client.login("admin")
    everything = client.get("/admin/contact-views").text
    assert first in everything and second in everything
    by_number = client.get("/admin/contact-views", params={"number": first[-6:]}).text
    assert first in by_number and second not in by_number
    by_user = client.get("/admin/contact-views", params={"user": "cshead"}).text
    assert second in by_user and first not in by_user
    assert "13812345678" not in everything  # the log names who looked, not the data itself


def test_the_contact_view_log_heads_its_columns_for_what_they_hold(client, viewers):
    number = client.run(lambda: make_complaint(viewers, "dispatched"))["number"]
    client.login("cshead")
    complaint = client.get(f"/complaints/{number}").text
    assert "<h2>投诉内容</h2>" in complaint  # the complaint page keeps its own wording
    heads = client.get("/admin/contact-views").text.split("<thead>")[1].split("</thead>")[0]
    assert "<th>投诉编号</th>" in heads and "<th>查看人</th>" in heads
    assert "投诉内容" not in heads
    client.post_form("/lang", {"lang": "en", "next": "/"})
    heads = client.get("/admin/contact-views").text.split("<thead>")[1].split("</thead>")[0]
    assert "<th>Complaint</th>" in heads and "<th>Who</th>" in heads


def test_the_contact_view_log_is_empty_with_a_sentence(client):
    client.login("cshead")
    r = client.get("/admin/contact-views", params={"number": "TS-1999-000001"})
    assert r.status_code == 200 and 'class="empty"' in r.text


def test_the_contact_view_log_is_paginated(client, viewers):
    number = client.run(lambda: make_complaint(viewers, "dispatched"))["number"]
    office = viewers["office"].id

    async def fill():
        row = await User.select(User.id).where(User.id == office).first()
        from db.tables import Complaint

        cid = (await Complaint.select(Complaint.id).where(Complaint.number == number).first())["id"]
        now = utcnow()
        for i in range(60):
            await ContactView(user=row["id"], complaint=cid, at=now - timedelta(minutes=i)).save()

    client.run(fill)
    client.login("admin")
    first = client.get("/admin/contact-views").text
    assert first.count(f">{number}<") == 50
    second = client.get("/admin/contact-views", params={"page": 2}).text
    assert second.count(f">{number}<") == 10
